/**
 * Standalone mode and local accounts in the composition root (`standalone.md` §1, §4–§6): the
 * `[Server] mode`, `[Accounts]` and `[General] sip_domains` keys turned into options, and the
 * WebSocket authenticator each mode uses — the local check against `store.accounts` (standalone) or
 * a REGISTER to the proxy on the account's behalf (proxy) — always behind the instance's one
 * `GuessLimiter` (`sylkrtc/limited-auth.ts`), which the SIP registrar shares.
 */
import { parseAccountAor } from '../../util/aor.js';
import type { GuessLimiter } from '../../accounts/guess-limiter.js';
import type { ServedDomains } from '../../accounts/manage.js';
import type { AccountStore } from '../../accounts/types.js';
import type { Config } from '../../config/index.js';
import type { SipStack } from '../../sip/stack.js';
import {
  GuessLimitedAuthenticator,
  LocalCredentialAuthenticator,
  SipRegistrationAuthenticator,
  type AccountAuthenticator,
  type LocalCredentialOptions,
  type SipRegistrationOptions,
} from '../../sylkrtc/index.js';

export type ServerMode = Config['Server']['mode'];

export interface AccountsOptions {
  mode: ServerMode;
  /** `[Accounts] allow_signup` (standalone only: a proxy keeps its own subscribers). */
  allowSignup: boolean;
  /** `[General] sip_domains`, lower-cased, or `*`. */
  domains: ServedDomains;
  /** Sign-up's default domain: the first served domain, none when any is served. */
  defaultDomain: string | null;
}

export function accountsOptionsFromConfig(config: Config): AccountsOptions {
  const list = config.General.sip_domains.map((d) => d.toLowerCase());
  const domains: ServedDomains = list.includes('*') ? '*' : list;
  return {
    mode: config.Server.mode,
    allowSignup: config.Server.mode === 'standalone' && config.Accounts.allow_signup,
    domains,
    defaultDomain: domains === '*' ? null : (domains[0] ?? null),
  };
}

/** The stored account for a WebSocket binding's AOR (accounts are lower-cased). */
function lookupIn(accounts: AccountStore) {
  return async (aor: string) => {
    const a = parseAccountAor(aor);
    return a ? accounts.getAccount(a.aor) : null;
  };
}

/** The WebSocket authenticator of the configured mode, behind the guessing limits. */
export function createAuthenticator(
  options: AccountsOptions,
  deps: { sip: SipStack; accounts: AccountStore; limiter: GuessLimiter; sipRegistration: Omit<SipRegistrationOptions, 'sip'>; presence?: LocalCredentialOptions['presence'] },
): AccountAuthenticator {
  const inner: AccountAuthenticator =
    options.mode === 'standalone'
      ? new LocalCredentialAuthenticator({ lookup: lookupIn(deps.accounts), ...(deps.presence ? { presence: deps.presence } : {}) })
      : new SipRegistrationAuthenticator({ sip: deps.sip, ...deps.sipRegistration });
  return new GuessLimitedAuthenticator(inner, deps.limiter);
}
