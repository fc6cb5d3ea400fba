/**
 * The SIP message serializer (RFC 3261 §7): a `SipMessage` to wire bytes.
 *
 * Owns: the start line, header names in their canonical spelling (`Via`, `Call-ID`, `CSeq`,
 * `WWW-Authenticate`, unknown names capitalised per dash-separated word), one line per header field
 * in model order, and a Content-Length that is always the body's byte length (written where the
 * model had one, else last). A CR or LF inside a value is replaced by a space so that no value can
 * inject header lines. Hand-written as part of our own SIP stack (no maintained npm package
 * provides a server-side one).
 */
import type { SipMessage } from './message.js';

const CANONICAL: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
  'accept-contact': 'Accept-Contact',
  'alert-info': 'Alert-Info',
  'allow-events': 'Allow-Events',
  'authentication-info': 'Authentication-Info',
  'call-id': 'Call-ID',
  'call-info': 'Call-Info',
  'content-id': 'Content-ID',
  cseq: 'CSeq',
  'error-info': 'Error-Info',
  'mime-version': 'MIME-Version',
  'p-asserted-identity': 'P-Asserted-Identity',
  'p-preferred-identity': 'P-Preferred-Identity',
  rack: 'RAck',
  rseq: 'RSeq',
  'sip-etag': 'SIP-ETag',
  'sip-if-match': 'SIP-If-Match',
  'www-authenticate': 'WWW-Authenticate',
});

const nameCache = new Map<string, string>();

/** Canonical wire spelling of a (lower-case) header name. */
export function headerWireName(name: string): string {
  const hit = nameCache.get(name);
  if (hit !== undefined) return hit;
  let out = CANONICAL[name];
  if (out === undefined) {
    out = '';
    let up = true;
    for (let i = 0; i < name.length; i++) {
      const ch = name[i]!;
      out += up ? ch.toUpperCase() : ch;
      up = ch === '-';
    }
  }
  if (nameCache.size < 2048) nameCache.set(name, out);
  return out;
}

/** A header value or reason phrase safe to write: CR and LF become spaces (no header injection). */
export function cleanValue(v: string): string {
  return v.indexOf('\r') < 0 && v.indexOf('\n') < 0 ? v : v.replace(/[\r\n]+/g, ' ');
}

const clean = cleanValue;

/** Serialize a message; Content-Length always reflects `body.length`. */
export function serializeMessage(m: SipMessage): Buffer {
  let out = m.kind === 'request' ? `${m.method} ${clean(m.uri)} SIP/2.0\r\n` : `SIP/2.0 ${m.status} ${clean(m.reason)}\r\n`;
  let wroteLength = false;
  for (const f of m.headers) {
    if (f.name === 'content-length') {
      if (!wroteLength) out += `Content-Length: ${m.body.length}\r\n`;
      wroteLength = true;
      continue;
    }
    out += headerWireName(f.name) + ': ' + clean(f.value) + '\r\n';
  }
  if (!wroteLength) out += `Content-Length: ${m.body.length}\r\n`;
  out += '\r\n';
  return messageBytes(out, m.body);
}

/**
 * The wire bytes of a header section `head` (start line to the empty line, as text) and a body.
 *
 * Messages are carved out of 64 KiB slabs of our own rather than `Buffer.from`'s 8 KiB pool: the
 * head is UTF-8-encoded once, straight into the slab (no separate length pass), and a new slab —
 * an ArrayBuffer allocation, the costly part — is needed every ~200 responses instead of every ~25.
 * Finished UDP transactions keep their response (timer J), and with it its slab, for 32 s; so does
 * Node's pool. A message that may not fit in a slab gets a buffer of its own.
 */
export function messageBytes(head: string, body: Buffer): Buffer {
  // UTF-8 needs at most 3 bytes per UTF-16 code unit.
  const max = 3 * head.length + body.length;
  if (max > SLAB_BYTES / 4) {
    const headLen = Buffer.byteLength(head);
    const buf = Buffer.allocUnsafe(headLen + body.length);
    buf.write(head, 0, 'utf8');
    if (body.length > 0) body.copy(buf, headLen);
    return buf;
  }
  if (slabOffset + max > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabOffset = 0;
  }
  const start = slabOffset;
  const headLen = slab.write(head, start, 'utf8');
  if (body.length > 0) body.copy(slab, start + headLen);
  const end = start + headLen + body.length;
  slabOffset = (end + 7) & ~7;
  return slab.subarray(start, end);
}

const SLAB_BYTES = 64 * 1024;
let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
let slabOffset = 0;
