/**
 * Constant-time comparison of shared secrets (API keys, the push management secret): both sides are
 * hashed first, so neither the content nor the length of the expected secret leaks through timing.
 * (SIP digest responses are compared in `sip/digest.ts`, on equal-length hex digests.)
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time equality of two secrets. */
export function secretsEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}
