/**
 * Random tokens for tags, branches and Call-IDs (RFC 3261 §8.1.1.4, §8.1.1.7, §19.3), shared by the
 * UAS and UAC cores.
 */
import { randomBytes } from 'node:crypto';

const TOKEN_CODES = Buffer.from('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 'latin1');
let pool = '';
let poolOffset = 0;

/**
 * A random alphanumeric token (tags, branches, Call-IDs): a slice of a pooled string drawn from the
 * CSPRNG (62 of 256 byte values are dropped, so every character stays uniform).
 */
export function randomToken(length: number): string {
  if (poolOffset + length > pool.length) {
    const bytes = randomBytes(8192);
    let n = 0;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b < 248) bytes[n++] = TOKEN_CODES[b % 62]!;
    }
    pool = bytes.toString('latin1', 0, n);
    poolOffset = 0;
  }
  const out = pool.slice(poolOffset, poolOffset + length);
  poolOffset += length;
  return out;
}
