/**
 * The AOR of a local account (`standalone.md` §2): `user@domain`, an optional `sip:`/`sips:` scheme
 * dropped, lower-cased, no port or parameters, and a valid SIP URI once `sip:` is put in front (the
 * SIP layer's parser, RFC 3261 §25.1). The one place that decides what an account name is, for
 * `sylk-db account`, the WebSocket login, the registrar and sign-up.
 */
import { parseSipUri } from '../sip/message/uri.js';

export interface AccountAor {
  /** `user@domain`, lower-cased. */
  aor: string;
  user: string;
  domain: string;
}

/** The user part a new account may have (sign-up, `sylk-db account add`): letters, digits, `._-+`. */
export const ACCOUNT_USER_RE = /^[a-z0-9][a-z0-9._+-]{0,63}$/;

/** Parse an account AOR; null when it is not `user@domain` or not a valid SIP URI. */
export function parseAccountAor(value: string): AccountAor | null {
  let rest = value.trim();
  if (/^sips?:/i.test(rest)) rest = rest.slice(rest.indexOf(':') + 1);
  rest = rest.toLowerCase();
  if (rest.length === 0 || rest.length > 255) return null;
  const at = rest.lastIndexOf('@');
  if (at <= 0 || at === rest.length - 1) return null;
  const user = rest.slice(0, at);
  const domain = rest.slice(at + 1);
  if (/[;?:\s]/.test(rest) || domain.startsWith('[')) return null;
  const uri = parseSipUri(`sip:${rest}`);
  if (uri === undefined) return null;
  return { aor: rest, user, domain };
}
