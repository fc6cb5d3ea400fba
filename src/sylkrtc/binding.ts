/**
 * An account bound on a connection (`sylkrtc-websocket.md` §0 "account binding", §4): its password
 * and registration session, the last `registration-state` sent, the push parameters of
 * `account-devicetoken`. It knows its connection only through {@link BindingHost}, so neither the
 * request modules nor the registry depend on the connection class.
 */
import type { AuthSession } from './auth.js';
import type { DeviceTokenParams } from '../push/tokens.js';
import type { OutgoingFrame, RegistrationState } from './protocol.js';
import type { RoutedBinding } from './registry.js';

/** What a binding needs of the connection holding it. */
export interface BindingHost {
  readonly id: string;
  /** Remote address of the socket (file-transfer upload authorisation, `http-api.md` §3.2). */
  readonly remoteAddress: string;
  /** True once the socket closed (late results are then dropped). */
  readonly closed: boolean;
  /** Send one text frame; a Buffer must hold UTF-8 JSON. */
  sendRaw(json: string | Buffer): void;
  send(frame: OutgoingFrame): void;
}

export class Binding implements RoutedBinding {
  authenticated = false;
  /** Last `registration-state` sent (duplicates are suppressed, §6.1). */
  lastState: RegistrationState | null = null;
  session: AuthSession | null = null;
  /** Push parameters from `account-devicetoken` (§4.5). */
  deviceToken: DeviceTokenParams | null = null;
  /** Whether {@link deviceToken} was written to the store. */
  tokenStored = false;
  /** Incremented by each `account-register`; results of older sessions are ignored. */
  generation = 0;

  constructor(
    readonly connection: BindingHost,
    readonly aor: string,
    readonly password: string,
    readonly displayName: string | null,
    readonly userAgent: string | null,
  ) {}

  get connectionId(): string {
    return this.connection.id;
  }

  get remoteAddress(): string {
    return this.connection.remoteAddress;
  }

  get deviceId(): string | null {
    return this.deviceToken?.deviceId ?? null;
  }

  sendRaw(json: string | Buffer): void {
    this.connection.sendRaw(json);
  }

  /** Send an `account-event` for this binding. */
  event(event: string, members: Record<string, unknown>): void {
    this.connection.send({ sylkrtc: 'account-event', account: this.aor, event, ...members });
  }
}
