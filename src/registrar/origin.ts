/**
 * Which registered device a request being processed came from (`standalone.md` §3 delivery: the
 * sender's copy goes to the sender's *other* devices), or that it is a request of this server's own
 * (a WebSocket client's, handed in-process by `messaging/standalone/router.ts`: `flow` null). The MESSAGE gate runs the messaging pipeline
 * inside `runFromDevice`; the journal events the pipeline emits synchronously after its writes are
 * still inside that asynchronous context, so a subscriber of those events (SIP delivery) reads the
 * origin with `deviceOrigin()` without the pipeline knowing about devices.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { SipRequest } from '../sip/message/message.js';

export interface DeviceOrigin {
  /** The authenticated account. */
  aor: string;
  /** The flow token of the connection / UDP source it came over; null for this server's own request. */
  flow: string | null;
  /** The request as received (its body and content type are forwarded to the recipient's devices). */
  request: SipRequest;
}

const storage = new AsyncLocalStorage<DeviceOrigin>();

export function runFromDevice<T>(origin: DeviceOrigin, fn: () => T): T {
  return storage.run(origin, fn);
}

/** The device whose request is being processed, if any. */
export function deviceOrigin(): DeviceOrigin | undefined {
  return storage.getStore();
}
