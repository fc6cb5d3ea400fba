/**
 * Shedding a datagram before the full parse (issue 15 item 9, `overload.ts`): while the UDP receive
 * queue is over its bound, a request for the application is answered `503` + `Retry-After` from a
 * minimal scan of its header section — the request line and the fields a response copies (Via, From,
 * To, Call-ID, CSeq: RFC 3261 §8.2.6.2) — instead of the whole parse and validation, which is about
 * half of what a shed request costs; the event loop then empties the kernel queue that much faster.
 *
 * The scan only recognises the plain case and leaves everything else to the normal path (which parses
 * and sheds as before): a response, another method, a folded line, a missing field, a top Via
 * without an RFC 3261 branch. The UAS core checks the transaction table itself, so that a
 * retransmission of a request being handled is never answered 503.
 */
import { canonicalHeaderName } from './message/header-names.js';
import { Headers, type HeaderField, type SipRequest } from './message/message.js';
import { topVia, type Via } from './message/via-header.js';
import { isRfc3261Branch } from './transaction/keys.js';

const COPIED = new Set(['via', 'from', 'to', 'call-id', 'cseq']);
const CRLFCRLF = Buffer.from('\r\n\r\n');
const NO_BODY = Buffer.alloc(0);

/** The request (start line and copied fields only) and its top Via, or undefined: take the normal path. */
export function scanForShedding(msg: Buffer, methods: ReadonlySet<string>): { req: SipRequest; via: Via & { branch: string } } | undefined {
  const sp = msg.indexOf(32);
  if (sp <= 0 || sp > 32) return undefined;
  const method = msg.toString('latin1', 0, sp);
  if (!methods.has(method)) return undefined;
  const end = msg.indexOf(CRLFCRLF);
  if (end < 0) return undefined;
  const lines = msg.toString('utf8', 0, end).split('\r\n');
  const start = lines[0]!;
  const uriEnd = start.indexOf(' ', sp + 1);
  if (uriEnd < 0 || start.slice(uriEnd + 1) !== 'SIP/2.0') return undefined;
  const fields: HeaderField[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const c = line.charCodeAt(0);
    if (c === 32 || c === 9) return undefined; // a folded line
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = canonicalHeaderName(line.slice(0, colon).trimEnd());
    if (name === undefined) return undefined;
    if (COPIED.has(name)) fields.push({ name, value: line.slice(colon + 1).trim() });
  }
  const headers = Headers.adopt(fields);
  if (!headers.has('from') || !headers.has('to') || !headers.has('call-id') || !headers.has('cseq')) return undefined;
  const via = topVia(headers.getAll('via'));
  if (!via || !isRfc3261Branch(via.branch)) return undefined;
  return { req: { kind: 'request', method, uri: start.slice(sp + 1, uriEnd), version: 'SIP/2.0', headers, body: NO_BODY }, via: via as Via & { branch: string } };
}
