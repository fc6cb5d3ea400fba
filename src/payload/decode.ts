/**
 * Body decoding of an incoming MESSAGE (`sip-messaging.md` §4.1): strict UTF-8, and
 * `Content-Encoding: deflate` (a zlib stream, RFC 1950, as produced by zlib's `compress`) tried only
 * when the raw body is not valid UTF-8. Unlike the original (quirk 2), a decompressed body is then
 * UTF-8-decoded, so compressed messages work. Raw RFC 1951 deflate is accepted too (some senders
 * follow the HTTP confusion). Built on `node:zlib` and `TextDecoder`; nothing to hand-write beyond
 * the order of the attempts.
 */
import { inflateRawSync, inflateSync } from 'node:zlib';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strict UTF-8 decode; null when the bytes are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/** At most this many bytes after decompression (a deflate bomb guard). */
export const MAX_INFLATED_BYTES = 1024 * 1024;

/** Is `deflate` among the codings of a Content-Encoding value? */
export function isDeflate(contentEncoding: string | undefined): boolean {
  return (contentEncoding ?? '')
    .split(',')
    .some((c) => c.trim().toLowerCase() === 'deflate');
}

/**
 * The text of a non-CPIM body: UTF-8 as is; else, with deflate encoding, inflated then UTF-8; else
 * null (the message is dropped).
 */
export function decodeBody(body: Buffer, contentEncoding?: string): string | null {
  const text = decodeUtf8(body);
  if (text !== null) return text;
  if (!isDeflate(contentEncoding)) return null;
  for (const inflate of [inflateSync, inflateRawSync]) {
    try {
      const out = inflate(body, { maxOutputLength: MAX_INFLATED_BYTES });
      return decodeUtf8(out);
    } catch {
      // try the next framing
    }
  }
  return null;
}
