/**
 * Authentication header field values (RFC 3261 §20.7, §20.27, §20.28, §20.44, §25.1; RFC 7616 §3.3):
 * challenges (WWW-/Proxy-Authenticate) and credentials (Authorization / Proxy-Authorization).
 */
import { scanQuoted, scanToken, skipWs } from './grammar.js';

/** A challenge (WWW-/Proxy-Authenticate) or credentials (Authorization / Proxy-Authorization). */
export interface AuthValue {
  /** Auth scheme as written (`Digest`); compare case-insensitively. */
  scheme: string;
  /** auth-params, names lower-cased, values unquoted. */
  params: Map<string, string>;
}

/**
 * Parse `scheme LWS auth-param *(COMMA auth-param)` (RFC 3261 §25.1 challenge / credentials,
 * RFC 7616 §3.3). Values may be tokens or quoted strings. A scheme followed by a non-param token
 * list (e.g. a token68) is kept as the single parameter `""`.
 */
export function parseAuth(value: string): AuthValue | undefined {
  let i = skipWs(value, 0);
  const se = scanToken(value, i);
  if (se === i) return undefined;
  const scheme = value.slice(i, se);
  const params = new Map<string, string>();
  i = skipWs(value, se);
  if (i === value.length) return { scheme, params };
  if (i === se) return undefined;
  for (;;) {
    const ns = i;
    const ne = scanToken(value, ns);
    if (ne === ns) return undefined;
    let j = skipWs(value, ne);
    if (value.charCodeAt(j) !== 61) {
      // token68-style credentials: keep the rest verbatim
      params.set('', value.slice(ns).trim());
      return { scheme, params };
    }
    j = skipWs(value, j + 1);
    let v: string;
    if (value.charCodeAt(j) === 34) {
      const q = scanQuoted(value, j);
      if (!q) return undefined;
      v = q.value;
      j = q.end;
    } else {
      const ve = scanToken(value, j);
      if (ve === j) return undefined;
      v = value.slice(j, ve);
      j = ve;
    }
    params.set(value.slice(ns, ne).toLowerCase(), v);
    j = skipWs(value, j);
    if (j === value.length) return { scheme, params };
    if (value.charCodeAt(j) !== 44) return undefined;
    i = skipWs(value, j + 1);
  }
}

/** Alias documenting intent: parse a WWW-Authenticate / Proxy-Authenticate value. */
export const parseChallenge = parseAuth;
/** Alias documenting intent: parse an Authorization / Proxy-Authorization value. */
export const parseCredentials = parseAuth;
