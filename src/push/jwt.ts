/**
 * Compact JWS signing (RFC 7515/7519) for provider authentication: ES256 for APNs provider tokens
 * (P-256 key from Apple's `.p8` file) and RS256 for Google service-account assertions. Written by hand
 * on node:crypto because it is twenty lines and a JWT library would be a dependency for that alone.
 * ES256 signatures use the raw r‖s form (`dsaEncoding: 'ieee-p1363'`) that JWS requires, not DER.
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';

export type JwtAlgorithm = 'ES256' | 'RS256';

export function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export function loadPrivateKey(pem: string | Buffer): KeyObject {
  return createPrivateKey({ key: pem, format: 'pem' });
}

export function signJwt(alg: JwtAlgorithm, header: Record<string, unknown>, claims: Record<string, unknown>, key: KeyObject): string {
  const input = `${base64url(JSON.stringify({ alg, ...header }))}.${base64url(JSON.stringify(claims))}`;
  const signature = alg === 'ES256' ? sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }) : sign('sha256', Buffer.from(input), key);
  return `${input}.${base64url(signature)}`;
}
