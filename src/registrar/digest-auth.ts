/**
 * The registrar's digest authentication (`standalone.md` §3 and §5; RFC 3261 §22, RFC 7616, RFC
 * 8760): challenges for REGISTER (`401` + `WWW-Authenticate`) and for MESSAGE (`407` +
 * `Proxy-Authenticate`) offering MD5 and SHA-256 with `qop=auth`, realm = the account's domain, and
 * the check of the credentials a device answers with against the local account's stored HA1s.
 *
 * Order of the check: credentials for another realm or none → challenge; the guessing limiter
 * (`accounts/guess-limiter.ts`) blocks the (account, address) pair → `403` without looking at them;
 * a nonce we did not issue → challenge; an expired one → challenge with `stale=true` (no failure:
 * the client knows the password); unknown or disabled account or wrong response → a failure for the
 * limiter and `403` (the same answer, never saying which); a replayed nonce count → challenge.
 */
import { randomBytes } from 'node:crypto';
import type { ResponseSpec } from '../sip/api.js';
import { digestChallenge, verifyDigest } from '../sip/digest.js';
import { parseAuth } from '../sip/message/auth-header.js';
import type { SipRequest } from '../sip/message/message.js';
import { ha1ForAlgorithm } from '../accounts/credentials.js';
import type { GuessLimiter } from '../accounts/guess-limiter.js';
import type { AccountStore, LocalAccount } from '../accounts/types.js';
import type { NonceManager } from './nonces.js';

/** The algorithms a challenge can offer. */
export const DIGEST_ALGORITHMS = ['MD5', 'SHA-256'] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

/**
 * Default offer, in this order. RFC 8760 §2.4 would list SHA-256 first, but SIP clients in the
 * field (sipp 3.6, many phones) take the first challenge whatever its algorithm and fail on SHA-256:
 * compatibility first (DESIGN.md decision 6). Clients that prefer SHA-256 pick the second.
 */
export const DEFAULT_DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'SHA-256'];

export interface DigestAuthDeps {
  /** Where the accounts are read (the registrar gives an `AccountLookupCache` over the store). */
  accounts: Pick<AccountStore, 'getAccount'>;
  nonces: NonceManager;
  limiter: GuessLimiter;
  /** Algorithms offered, in order (default `DEFAULT_DIGEST_ALGORITHMS`). */
  algorithms?: readonly DigestAlgorithm[];
}

export type AuthOutcome =
  | { ok: true; account: LocalAccount }
  /** The response to send (401/407 challenge, 403, 400). */
  | { ok: false; response: ResponseSpec; reason: string };

export type AuthKind = 'register' | 'proxy';

const FORBIDDEN: ResponseSpec = { status: 403, reason: 'Forbidden' };

/** Stands in for a missing account (random secrets no password matches). */
const DUMMY: LocalAccount = {
  aor: 'dummy@invalid',
  ha1Md5: randomBytes(16).toString('hex'),
  ha1Sha256: randomBytes(32).toString('hex'),
  displayName: null,
  createdAt: new Date(0),
  disabled: false,
};

export class DigestAuthenticator {
  constructor(private readonly deps: DigestAuthDeps) {}

  /** The challenge response for `realm` (`401` for REGISTER, `407` otherwise). */
  challenge(kind: AuthKind, realm: string, stale = false): ResponseSpec {
    const name = kind === 'register' ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    const nonce = this.deps.nonces.issue();
    const headers = (this.deps.algorithms ?? DEFAULT_DIGEST_ALGORITHMS).map((algorithm) => [name, digestChallenge({ realm, nonce, algorithm, qop: ['auth'], stale })] as const);
    return kind === 'register'
      ? { status: 401, reason: 'Unauthorized', headers }
      : { status: 407, reason: 'Proxy Authentication Required', headers };
  }

  /**
   * Authenticate `request` as `aor` (the To account of a REGISTER, the From account of a MESSAGE),
   * from client address `address`.
   */
  async authenticate(kind: AuthKind, request: SipRequest, aor: string, address: string): Promise<AuthOutcome> {
    const at = aor.lastIndexOf('@');
    const user = aor.slice(0, at);
    const realm = aor.slice(at + 1);
    const header = kind === 'register' ? 'authorization' : 'proxy-authorization';
    let value: string | undefined;
    let params: Map<string, string> | undefined;
    for (const v of request.headers.getAll(header)) {
      const a = parseAuth(v);
      if (a && a.scheme.toLowerCase() === 'digest' && (a.params.get('realm') ?? '').toLowerCase() === realm) {
        value = v;
        params = a.params;
        break;
      }
    }
    if (value === undefined || params === undefined) return { ok: false, response: this.challenge(kind, realm), reason: 'no credentials' };
    const username = (params.get('username') ?? '').toLowerCase();
    const nonce = params.get('nonce') ?? '';
    if (username !== user) return { ok: false, response: FORBIDDEN, reason: 'credentials for another account' };
    const { limiter, nonces } = this.deps;
    if (limiter.blocked(aor, address)) return { ok: false, response: FORBIDDEN, reason: 'guessing limit' };
    const freshness = nonces.check(nonce);
    if (freshness === 'invalid') return { ok: false, response: this.challenge(kind, realm), reason: 'unknown nonce' };
    if (freshness === 'stale') return { ok: false, response: this.challenge(kind, realm, true), reason: 'stale nonce' };
    const found = await this.deps.accounts.getAccount(aor);
    // An unknown or disabled account is checked against a dummy secret, so that it costs the same
    // time as a wrong password and the answer's timing does not tell whether the account exists.
    const usable = found !== null && !found.disabled;
    const account = usable ? found : DUMMY;
    const checked = verifyDigest(value, {
      method: request.method,
      body: request.body,
      realm,
      lookup: () => {
        const ha1 = ha1ForAlgorithm(account, params.get('algorithm'));
        return ha1 !== undefined ? { ha1 } : undefined;
      },
    });
    const verdict = usable ? checked : { ok: false as const, reason: found ? 'account disabled' : 'unknown account' };
    if (!verdict.ok) {
      limiter.failure(aor, address);
      return { ok: false, response: FORBIDDEN, reason: verdict.reason };
    }
    const ncText = params.get('nc');
    const nc = ncText !== undefined ? parseInt(ncText, 16) : undefined;
    if (!nonces.use(nonce, nc)) return { ok: false, response: this.challenge(kind, realm, true), reason: 'replayed nonce count' };
    limiter.success(aor, address);
    return { ok: true, account: found! };
  }
}
