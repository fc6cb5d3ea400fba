/**
 * HTTP Digest authentication as SIP uses it (RFC 3261 §22.4, RFC 2617, RFC 7616, RFC 8760):
 * the client side answers a `WWW-Authenticate` / `Proxy-Authenticate` challenge with an
 * `Authorization` / `Proxy-Authorization` value, from a clear-text password or from a stored HA1
 * (SylkServer keeps `H(user:realm:password)` and treats the password given in `account-add` as HA1,
 * spec/sip-messaging.md §6.3.1); the server side issues challenges and verifies credentials (used
 * by tests that play a registrar).
 *
 * Algorithms: MD5, MD5-sess, SHA-256, SHA-256-sess, SHA-512-256(-sess); qop `auth`, `auth-int`, or
 * none (RFC 2069 compatibility). Hand-written because it is a few hashes over `node:crypto` and no
 * maintained npm package does SIP digest on the server side.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseAuth } from './message/auth-header.js';
import { quote } from './message/grammar.js';

const HASHES: Record<string, string> = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };

export interface DigestChallenge {
  /** `Digest` (the only scheme handled here). */
  scheme: string;
  realm: string;
  nonce: string;
  opaque?: string;
  /** As written (`MD5`, `SHA-256-sess`, ...); absent means MD5. */
  algorithm?: string;
  /** Offered qop values (`auth`, `auth-int`); empty when the challenge has none. */
  qop: string[];
  stale: boolean;
  domain?: string;
}

/** Parse a WWW-Authenticate / Proxy-Authenticate value; undefined unless it is a Digest challenge. */
export function parseDigestChallenge(value: string): DigestChallenge | undefined {
  const a = parseAuth(value);
  if (!a || a.scheme.toLowerCase() !== 'digest') return undefined;
  const realm = a.params.get('realm');
  const nonce = a.params.get('nonce');
  if (realm === undefined || nonce === undefined) return undefined;
  const c: DigestChallenge = { scheme: a.scheme, realm, nonce, qop: [], stale: (a.params.get('stale') ?? '').toLowerCase() === 'true' };
  const opaque = a.params.get('opaque');
  if (opaque !== undefined) c.opaque = opaque;
  const algorithm = a.params.get('algorithm');
  if (algorithm !== undefined) c.algorithm = algorithm;
  const domain = a.params.get('domain');
  if (domain !== undefined) c.domain = domain;
  const qop = a.params.get('qop');
  if (qop !== undefined) c.qop = qop.split(',').map((q) => q.trim().toLowerCase()).filter(Boolean);
  return c;
}

/** Split an algorithm name into its hash and whether it is a `-sess` variant; undefined if unknown. */
function algorithmOf(name: string | undefined): { hash: string; sess: boolean } | undefined {
  const up = (name ?? 'MD5').toUpperCase();
  const sess = up.endsWith('-SESS');
  const base = sess ? up.slice(0, -5) : up;
  const hash = Object.hasOwn(HASHES, base) ? HASHES[base] : undefined;
  return hash ? { hash, sess } : undefined;
}

function h(hash: string, data: string | Buffer): string {
  return createHash(hash).update(data).digest('hex');
}

/** Matches `DigestCredentials` of `api.ts`. */
export interface DigestSecret {
  username: string;
  /** Only answer challenges for this realm (when set). */
  realm?: string;
  /** Clear-text password ... */
  password?: string;
  /** ... or HA1 = H(username:realm:password) in hex, for the challenge's hash algorithm. */
  ha1?: string;
}

export interface DigestRequest {
  method: string;
  /** The digest-uri (the Request-URI of the request being authorised). */
  uri: string;
  /** The body, for qop=auth-int. */
  body?: Buffer;
  /** Client nonce; default 16 random bytes in hex. */
  cnonce?: string;
  /** Nonce count; default 1. */
  nc?: number;
}

interface ResponseInput {
  hash: string;
  sess: boolean;
  ha1: string;
  nonce: string;
  cnonce: string;
  nc: string;
  qop: string | undefined;
  method: string;
  uri: string;
  body: Buffer | undefined;
}

function computeResponse(r: ResponseInput): string {
  let ha1 = r.ha1;
  if (r.sess) ha1 = h(r.hash, `${ha1}:${r.nonce}:${r.cnonce}`);
  const a2 = r.qop === 'auth-int' ? `${r.method}:${r.uri}:${h(r.hash, r.body ?? Buffer.alloc(0))}` : `${r.method}:${r.uri}`;
  const ha2 = h(r.hash, a2);
  return r.qop ? h(r.hash, `${ha1}:${r.nonce}:${r.nc}:${r.cnonce}:${r.qop}:${ha2}`) : h(r.hash, `${ha1}:${r.nonce}:${ha2}`);
}

/** HA1 = H(username:realm:password) for the given algorithm (MD5 by default). */
export function computeHa1(username: string, realm: string, password: string, algorithm = 'MD5'): string {
  const alg = algorithmOf(algorithm);
  if (!alg) throw new RangeError(`unsupported digest algorithm ${algorithm}`);
  return h(alg.hash, `${username}:${realm}:${password}`);
}

/**
 * The Authorization / Proxy-Authorization value answering `challenge`, or undefined when it cannot
 * be answered (not Digest, unknown algorithm, only unsupported qops, HA1 of the wrong length).
 */
export function digestAuthorization(challenge: string | DigestChallenge, secret: DigestSecret, req: DigestRequest): string | undefined {
  const c = typeof challenge === 'string' ? parseDigestChallenge(challenge) : challenge;
  if (!c) return undefined;
  const alg = algorithmOf(c.algorithm);
  if (!alg) return undefined;
  if (secret.realm !== undefined && secret.realm !== c.realm) return undefined;
  let ha1: string;
  if (secret.ha1 !== undefined) {
    ha1 = secret.ha1.toLowerCase();
    if (ha1.length !== h(alg.hash, '').length || !/^[0-9a-f]+$/.test(ha1)) return undefined;
  } else if (secret.password !== undefined) ha1 = h(alg.hash, `${secret.username}:${c.realm}:${secret.password}`);
  else return undefined;
  let qop: string | undefined;
  if (c.qop.length > 0) {
    if (c.qop.includes('auth')) qop = 'auth';
    else if (c.qop.includes('auth-int')) qop = 'auth-int';
    else return undefined;
  }
  const cnonce = req.cnonce ?? randomBytes(16).toString('hex');
  const nc = (req.nc ?? 1).toString(16).padStart(8, '0');
  const response = computeResponse({ hash: alg.hash, sess: alg.sess, ha1, nonce: c.nonce, cnonce, nc, qop, method: req.method, uri: req.uri, body: req.body });
  const parts = [`username=${quote(secret.username)}`, `realm=${quote(c.realm)}`, `nonce=${quote(c.nonce)}`, `uri=${quote(req.uri)}`, `response="${response}"`];
  if (c.algorithm !== undefined) parts.push(`algorithm=${c.algorithm}`);
  if (qop || alg.sess) parts.push(`cnonce=${quote(cnonce)}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`);
  return `Digest ${parts.join(', ')}`;
}

export interface ChallengeOptions {
  realm: string;
  /** Default: 16 random bytes, base64url. */
  nonce?: string;
  opaque?: string;
  /** Default MD5 (written explicitly). */
  algorithm?: string;
  /** Default ['auth']; [] for none. */
  qop?: string[];
  stale?: boolean;
}

/** A WWW-Authenticate / Proxy-Authenticate value. */
export function digestChallenge(o: ChallengeOptions): string {
  const parts = [`realm=${quote(o.realm)}`, `nonce=${quote(o.nonce ?? randomBytes(16).toString('base64url'))}`];
  if (o.opaque !== undefined) parts.push(`opaque=${quote(o.opaque)}`);
  parts.push(`algorithm=${o.algorithm ?? 'MD5'}`);
  const qop = o.qop ?? ['auth'];
  if (qop.length > 0) parts.push(`qop=${quote(qop.join(','))}`);
  if (o.stale) parts.push('stale=TRUE');
  return `Digest ${parts.join(', ')}`;
}

export type DigestVerdict = { ok: true; username: string; realm: string; nonce: string } | { ok: false; reason: string };

export interface VerifyOptions {
  method: string;
  /** Body for qop=auth-int. */
  body?: Buffer;
  /** Realm the credentials must be for (when set). */
  realm?: string;
  /** Accept this nonce? (freshness / issued-by-us check); default accepts any. */
  nonceValid?: (nonce: string) => boolean;
  /** Secret of the user: password or HA1 for the credentials' algorithm; undefined = unknown user. */
  lookup: (username: string, realm: string) => { password?: string; ha1?: string } | undefined;
}

/** Server side: verify an Authorization / Proxy-Authorization value. */
export function verifyDigest(value: string, o: VerifyOptions): DigestVerdict {
  const a = parseAuth(value);
  if (!a || a.scheme.toLowerCase() !== 'digest') return { ok: false, reason: 'not Digest credentials' };
  const p = a.params;
  const username = p.get('username');
  const realm = p.get('realm');
  const nonce = p.get('nonce');
  const uri = p.get('uri');
  const response = p.get('response');
  if (username === undefined || realm === undefined || nonce === undefined || uri === undefined || response === undefined) return { ok: false, reason: 'missing digest parameter' };
  if (o.realm !== undefined && realm !== o.realm) return { ok: false, reason: 'wrong realm' };
  if (o.nonceValid && !o.nonceValid(nonce)) return { ok: false, reason: 'stale or unknown nonce' };
  const alg = algorithmOf(p.get('algorithm'));
  if (!alg) return { ok: false, reason: 'unsupported algorithm' };
  const qop = p.get('qop')?.toLowerCase();
  if (qop !== undefined && qop !== 'auth' && qop !== 'auth-int') return { ok: false, reason: 'unsupported qop' };
  const cnonce = p.get('cnonce') ?? '';
  const nc = p.get('nc') ?? '';
  if (qop && (cnonce === '' || !/^[0-9a-fA-F]{8}$/.test(nc))) return { ok: false, reason: 'missing cnonce/nc' };
  const secret = o.lookup(username, realm);
  if (!secret) return { ok: false, reason: 'unknown user' };
  let ha1: string;
  if (secret.ha1 !== undefined) ha1 = secret.ha1.toLowerCase();
  else if (secret.password !== undefined) ha1 = h(alg.hash, `${username}:${realm}:${secret.password}`);
  else return { ok: false, reason: 'no secret' };
  const expected = computeResponse({ hash: alg.hash, sess: alg.sess, ha1, nonce, cnonce, nc, qop, method: o.method, uri, body: o.body });
  const got = Buffer.from(response.toLowerCase());
  const want = Buffer.from(expected);
  if (got.length !== want.length || !timingSafeEqual(got, want)) return { ok: false, reason: 'wrong response' };
  return { ok: true, username, realm, nonce };
}
