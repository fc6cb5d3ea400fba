/**
 * Creating local accounts and changing their passwords (`standalone.md` §2, §6), shared by
 * `sylk-db account` and the sign-up endpoint so both apply the same rules: the AOR must be
 * `user@domain` with a plain user part (`ACCOUNT_USER_RE`), the domain one of `[General]
 * sip_domains` unless that list is `*`, the password at least `MIN_PASSWORD_LENGTH` characters; only
 * the HA1s are stored.
 */
import { ACCOUNT_USER_RE, parseAccountAor, type AccountAor } from './aor.js';
import { ha1sFor, MIN_PASSWORD_LENGTH } from './credentials.js';
import type { AccountStore } from './types.js';

/** Which domains accounts may be created in: `*` (any) or a lower-cased list. */
export type ServedDomains = readonly string[] | '*';

export type AccountError = 'invalid-aor' | 'domain-not-served' | 'short-password' | 'exists' | 'unknown';

export type AccountResult = { ok: true; account: AccountAor } | { ok: false; error: AccountError; message: string };

const fail = (error: AccountError, message: string): AccountResult => ({ ok: false, error, message });

/** Check a new account's name against the rules; the parsed AOR or why not. */
export function checkNewAor(input: string, domains: ServedDomains): AccountResult {
  const a = parseAccountAor(input);
  if (!a || !ACCOUNT_USER_RE.test(a.user)) {
    return fail('invalid-aor', `invalid account ${JSON.stringify(input)}: expected user@domain, the user made of letters, digits and . _ + -`);
  }
  if (domains !== '*' && !domains.includes(a.domain)) {
    return fail('domain-not-served', `domain ${a.domain} is not served here ([General] sip_domains = ${domains.join(', ')})`);
  }
  return { ok: true, account: a };
}

export function checkPassword(password: string): string | null {
  return [...password].length < MIN_PASSWORD_LENGTH ? `the password must have at least ${MIN_PASSWORD_LENGTH} characters` : null;
}

/** Create an account (never overwrites one). */
export async function createAccount(
  store: AccountStore,
  input: { aor: string; password: string; displayName?: string | null },
  domains: ServedDomains,
): Promise<AccountResult> {
  const checked = checkNewAor(input.aor, domains);
  if (!checked.ok) return checked;
  const bad = checkPassword(input.password);
  if (bad) return fail('short-password', bad);
  const a = checked.account;
  const displayName = input.displayName?.trim() || null;
  const added = await store.addAccount({ aor: a.aor, ...ha1sFor(a, input.password), displayName });
  return added ? checked : fail('exists', `account ${a.aor} exists already`);
}

/** Replace an existing account's password. */
export async function changePassword(store: AccountStore, aor: string, password: string): Promise<AccountResult> {
  const a = parseAccountAor(aor);
  if (!a) return fail('invalid-aor', `invalid account ${JSON.stringify(aor)}: expected user@domain`);
  const bad = checkPassword(password);
  if (bad) return fail('short-password', bad);
  return (await store.setPassword(a.aor, ha1sFor(a, password))) ? { ok: true, account: a } : fail('unknown', `no account ${a.aor}`);
}
