/**
 * Credential check of WebSocket accounts (`sylkrtc-websocket.md` §4.3): `account-register` starts an
 * {@link AccountAuthenticator} session for a binding; its first `registered` makes the binding
 * authenticated. Two implementations:
 *
 * - {@link SipRegistrationAuthenticator} (the original's way): a real SIP REGISTER for the AOR, sent
 *   through our SIP stack to the outbound proxy with the HA1 from `account-add` as digest secret, a
 *   Contact on this instance, refreshed while the session lives and removed (Expires: 0) on stop. The
 *   proxy's 200 proves the credentials. A final 401/407 (the stack already retried once with the
 *   credentials) is reported as "904 No matching challenge", the text the original's SIP stack gave, so
 *   the apps show "Wrong account or password"; other failures as "CODE REASON".
 * - {@link LocalCredentialAuthenticator}: standalone mode (`standalone.md` §4), compares the HA1 (or
 *   a clear-text password's HA1, realm = domain) with the stored account's.
 *
 * Either is wrapped in `GuessLimitedAuthenticator` (`limited-auth.ts`, `standalone.md` §5).
 */
import { randomUUID } from 'node:crypto';
import type { DigestCredentials, SipClient } from '../sip/api.js';
import { ha1Matches, passwordMatches } from '../accounts/credentials.js';
import type { LocalAccount } from '../accounts/types.js';
import { logger } from '../util/logger.js';
import { WS_CONTACT_PARAM } from '../messaging/index.js';
import { splitAor } from '../util/aor.js';

const log = logger.child({ module: 'sylkrtc.auth' });

/** The binding being authenticated. */
export interface AuthSubject {
  /** Normalised AOR (`user@domain`). */
  aor: string;
  /** `account-add`'s `password`: normally the HA1 (32 lower-case hex digits), else clear text. */
  password: string;
  displayName: string | null;
  userAgent: string | null;
  /** Opaque id of the connection (makes each binding's Contact unique). */
  connectionId: string;
  /** The client's address (the WebSocket peer), for the guessing limits (`standalone.md` §5). */
  remoteAddress: string;
}

export type AuthEvent = { state: 'registered' } | { state: 'failed'; reason: string };

export interface AuthSession {
  /**
   * Stop refreshing and drop the registration (if any). With `keepBinding` the registration is left
   * to the session that replaces this one (a repeated `account-register`: same Contact, so the
   * registrar just updates it; no un-REGISTER/REGISTER churn). Never rejects.
   */
  stop(options?: { keepBinding?: boolean }): Promise<void>;
}

export interface AccountAuthenticator {
  /**
   * Start checking/registering; `onEvent` is called with `registered` or `failed` (possibly several
   * times over the session's life, e.g. a refresh failing after a password change).
   */
  start(subject: AuthSubject, onEvent: (event: AuthEvent) => void): AuthSession;
}

const HA1_RE = /^[0-9a-f]{32}$/;

/** Digest credentials for an AOR from `account-add`'s password (§4.1: HA1 by default). */
export function credentialsFor(aor: string, password: string): DigestCredentials {
  const { user, domain } = splitAor(aor);
  return HA1_RE.test(password) ? { username: user || domain, ha1: password } : { username: user || domain, password };
}

// ------------------------------------------------------------------ SIP REGISTER

export interface SipRegistrationOptions {
  sip: SipClient;
  /** `host:port` of our SIP listener as the proxy can reach it (the Contact host). */
  contactHost: string;
  /** Transport parameter of the Contact (default udp). */
  contactTransport?: 'udp' | 'tcp' | 'tls';
  /** Next hop override (`[General] outbound_sip_proxy`); default: the stack's choice. */
  nextHop?: string;
  /** Requested registration lifetime in seconds (default 600). */
  expires?: number;
  /** Retry delay after a failed refresh, ms (default 30 s). */
  retryMs?: number;
}

/** The answer to wrong credentials, an unknown account and a blocked guesser alike (§4.3). */
export const WRONG_CREDENTIALS = '904 No matching challenge';

function grantedExpires(headers: { get(n: string): string | undefined; getAll(n: string): string[] }, contactMarker: string, asked: number): number {
  for (const value of headers.getAll('contact')) {
    for (const part of value.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)) {
      if (!part.includes(contactMarker)) continue;
      const m = /;\s*expires\s*=\s*(\d+)/i.exec(part.slice(part.indexOf('>') + 1));
      if (m) return Number(m[1]);
    }
  }
  const e = headers.get('expires');
  if (e && /^\d+$/.test(e.trim())) return Number(e.trim());
  return asked;
}

class SipRegistration implements AuthSession {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private keepBinding = false;
  private registered = false;
  private readonly callId = `${randomUUID()}@sylk`;
  private cseq = 0;
  private readonly contact: string;
  private readonly marker: string;
  private inflight: Promise<void> = Promise.resolve();

  constructor(
    private readonly opts: Required<Omit<SipRegistrationOptions, 'nextHop'>> & { nextHop?: string },
    private readonly subject: AuthSubject,
    private readonly onEvent: (event: AuthEvent) => void,
  ) {
    const { user } = splitAor(subject.aor);
    this.marker = `${WS_CONTACT_PARAM}=${subject.connectionId}`;
    const userPart = user ? `${user}@` : '';
    this.contact = `<sip:${userPart}${opts.contactHost};transport=${opts.contactTransport};${this.marker}>`;
    this.inflight = this.register();
  }

  private async send(expires: number) {
    const { domain } = splitAor(this.subject.aor);
    const from = this.subject.displayName
      ? `"${this.subject.displayName.replace(/["\\]/g, '')}" <sip:${this.subject.aor}>`
      : `<sip:${this.subject.aor}>`;
    const headers: Array<[string, string]> = [
      ['Contact', this.contact],
      ['Expires', String(expires)],
    ];
    if (this.subject.userAgent) headers.push(['User-Agent', this.subject.userAgent.replace(/[\r\n]/g, ' ')]);
    const result = await this.opts.sip.send({
      method: 'REGISTER',
      uri: `sip:${domain}`,
      from,
      to: `<sip:${this.subject.aor}>`,
      headers,
      credentials: credentialsFor(this.subject.aor, this.subject.password),
      callId: this.callId,
      cseq: this.cseq + 1,
      ...(this.opts.nextHop ? { nextHop: this.opts.nextHop } : {}),
    });
    this.cseq = result.cseq;
    return result.response;
  }

  private async register(): Promise<void> {
    if (this.stopped) return;
    let event: AuthEvent;
    let next: number;
    try {
      const res = await this.send(this.opts.expires);
      if (this.stopped) {
        // stop() raced with the request: make sure we do not leave a binding behind.
        if (res.status >= 200 && res.status < 300 && !this.keepBinding) await this.send(0).catch(() => undefined);
        return;
      }
      if (res.status >= 200 && res.status < 300) {
        this.registered = true;
        event = { state: 'registered' };
        const granted = grantedExpires(res.headers, this.marker, this.opts.expires);
        next = Math.max(5, Math.floor(granted * 0.8)) * 1000;
      } else {
        const reason = res.status === 401 || res.status === 407 ? WRONG_CREDENTIALS : `${res.status} ${res.reason}`;
        event = { state: 'failed', reason };
        next = this.registered ? this.opts.retryMs : -1;
      }
    } catch (err) {
      if (this.stopped) return;
      log.warn({ err, aor: this.subject.aor }, 'REGISTER could not be sent');
      event = { state: 'failed', reason: `503 ${err instanceof Error ? err.message : 'Service Unavailable'}` };
      next = this.registered ? this.opts.retryMs : -1;
    }
    this.onEvent(event);
    if (next >= 0 && !this.stopped) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.inflight = this.register();
      }, next);
      this.timer.unref();
    }
  }

  async stop(options?: { keepBinding?: boolean }): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.keepBinding = options?.keepBinding === true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.inflight.catch(() => undefined);
    if (!this.registered || this.keepBinding) return;
    this.registered = false;
    try {
      await this.send(0);
    } catch (err) {
      log.debug({ err, aor: this.subject.aor }, 'un-REGISTER failed');
    }
  }
}

export class SipRegistrationAuthenticator implements AccountAuthenticator {
  private readonly opts: Required<Omit<SipRegistrationOptions, 'nextHop'>> & { nextHop?: string };

  constructor(options: SipRegistrationOptions) {
    this.opts = {
      contactTransport: 'udp',
      expires: 600,
      retryMs: 30_000,
      ...options,
    };
  }

  start(subject: AuthSubject, onEvent: (event: AuthEvent) => void): AuthSession {
    return new SipRegistration(this.opts, subject, onEvent);
  }
}

// ------------------------------------------------------------------ local check

/** What the local check needs of a stored account (`accounts/types.ts` `LocalAccount`). */
export type StoredCredentials = Pick<LocalAccount, 'aor' | 'ha1Md5' | 'ha1Sha256' | 'disabled'>;

export interface LocalCredentialOptions {
  /** The account for a binding's AOR (realm = its domain), or null when there is none. */
  lookup(aor: string): Promise<StoredCredentials | null>;
  /**
   * Told of each account authenticated here, for as long as the session lasts (the returned function
   * is called when it ends): with several instances, how the others reach this one's connections
   * (`messaging/standalone/ws-presence.ts`).
   */
  presence?: { join(aor: string): () => void };
}

const NO_ACCOUNT: StoredCredentials = { aor: 'nobody@invalid', ha1Md5: '0'.repeat(32), ha1Sha256: '0'.repeat(64), disabled: true };

/**
 * Standalone mode (`standalone.md` §4, §4.3 "verify the credentials yourself"): `account-add`'s
 * password is an HA1 (32 hex digits, MD5, realm = domain) or, for `ha1: false` clients, the
 * plaintext; it is compared with the stored account's. Unknown, disabled and wrong all answer the
 * same `904`, so nothing tells whether the account exists. No SIP traffic. Guessing limits are the
 * job of `GuessLimitedAuthenticator` around it.
 */
export class LocalCredentialAuthenticator implements AccountAuthenticator {
  constructor(private readonly opts: LocalCredentialOptions) {}

  start(subject: AuthSubject, onEvent: (event: AuthEvent) => void): AuthSession {
    let stopped = false;
    let leave: (() => void) | undefined;
    void (async () => {
      let event: AuthEvent;
      try {
        const found = await this.opts.lookup(subject.aor);
        // Unknown and disabled accounts are checked against a dummy, so they cost the same.
        const account = found ?? NO_ACCOUNT;
        const matches = (HA1_RE.test(subject.password) && ha1Matches(account, subject.password)) || passwordMatches(account, subject.password);
        const ok = found !== null && !found.disabled && matches;
        event = ok ? { state: 'registered' } : { state: 'failed', reason: WRONG_CREDENTIALS };
      } catch (err) {
        log.error({ err }, 'credential lookup failed');
        event = { state: 'failed', reason: '500 Internal Server Error' };
      }
      if (stopped) return;
      if (event.state === 'registered') leave = this.opts.presence?.join(subject.aor);
      onEvent(event);
    })();
    return {
      stop: async () => {
        stopped = true;
        leave?.();
        leave = undefined;
      },
    };
  }
}
