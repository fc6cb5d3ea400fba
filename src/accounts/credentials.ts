/**
 * The digest secrets of a local account (`standalone.md` §2, RFC 7616 §3.4.2): HA1 =
 * H(user:realm:password) with realm = the account's domain, for MD5 and SHA-256 (the hashes are the
 * SIP layer's `computeHa1`), and the checks of a password or of an HA1 a client presents
 * (`sylkrtc-websocket.md` §4.3: `ha1: true` clients send MD5 HA1). Comparisons are constant-time.
 */
import { timingSafeEqual } from 'node:crypto';
import { computeHa1 } from '../sip/digest.js';
import type { AccountAor } from './aor.js';
import type { Ha1Pair, LocalAccount } from './types.js';

/** The parts of an account the checks read. */
export type AccountSecrets = Pick<LocalAccount, 'aor' | 'ha1Md5' | 'ha1Sha256'>;

/** The shortest password `sylk-db account add|passwd` and sign-up accept (`standalone.md` §6). */
export const MIN_PASSWORD_LENGTH = 8;

/** Both HA1s of `password` for the account (realm = domain). */
export function ha1sFor(account: Pick<AccountAor, 'user' | 'domain'>, password: string): Ha1Pair {
  return {
    ha1Md5: computeHa1(account.user, account.domain, password, 'MD5'),
    ha1Sha256: computeHa1(account.user, account.domain, password, 'SHA-256'),
  };
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase());
  const y = Buffer.from(b.toLowerCase());
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `user` and `domain` of a stored account's AOR. */
function partsOf(aor: string): { user: string; domain: string } {
  const at = aor.lastIndexOf('@');
  return { user: aor.slice(0, at), domain: aor.slice(at + 1) };
}

/** Does `password` (plaintext) match the account? */
export function passwordMatches(account: AccountSecrets, password: string): boolean {
  return sameHex(ha1sFor(partsOf(account.aor), password).ha1Sha256, account.ha1Sha256);
}

/** Does `ha1` (an HA1 a client computed: MD5, or SHA-256 by its length) match the account? */
export function ha1Matches(account: AccountSecrets, ha1: string): boolean {
  if (!/^[0-9a-fA-F]+$/.test(ha1)) return false;
  if (ha1.length === 32) return sameHex(ha1, account.ha1Md5);
  if (ha1.length === 64) return sameHex(ha1, account.ha1Sha256);
  return false;
}

/** The stored HA1 for a digest algorithm name (`MD5`, `SHA-256`, their `-sess` forms), or undefined. */
export function ha1ForAlgorithm(account: AccountSecrets, algorithm: string | undefined): string | undefined {
  const base = (algorithm ?? 'MD5').toUpperCase().replace(/-SESS$/, '');
  if (base === 'MD5') return account.ha1Md5;
  if (base === 'SHA-256') return account.ha1Sha256;
  return undefined;
}
