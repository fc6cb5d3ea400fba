/**
 * `Authorization: Apikey <token>` for the journal history (`http-api.md` §2.1–§2.2, §7.4): exactly two
 * whitespace-separated parts, scheme `Apikey` (case-sensitive, as the original), then the token.
 * Anything else — missing, malformed (the original's 500, a quirk), other scheme — is simply "no
 * credentials". Tokens are compared in constant time.
 */
import { secretsEqual } from '../util/secrets.js';

/** The token of an `Apikey` Authorization header, or null. */
export function parseApikey(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return null;
  const parts = value.trim().split(/\s+/);
  if (parts.length !== 2 || parts[0] !== 'Apikey' || parts[1] === '') return null;
  return parts[1]!;
}

/** Constant-time equality of two tokens (`util/secrets.ts`). */
export const tokensEqual = secretsEqual;
