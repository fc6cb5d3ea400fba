/**
 * The SIP message parser (RFC 3261 §7, §18.3, §25) and the stream framer for TCP/TLS (RFC 3261
 * §18.3, RFC 5626 §4.4.1 CRLF keep-alives).
 *
 * Owns: turning bytes into a `SipMessage` or a typed parse error — never an exception, whatever the
 * input (RFC 4475 torture messages, fuzzed bytes). The start line, the header section (compact
 * names, case-insensitive names, line folding, multiple fields) and the body (raw bytes,
 * Content-Length counted in bytes) are parsed here; header *values* stay strings (see `message.ts`)
 * and only the ones an element must check before answering are validated eagerly: Via, From, To,
 * Call-ID, CSeq (and its method against the request's), Max-Forwards, Content-Length, and the
 * Request-URI. Everything else is parsed lazily by the callers with `grammar.ts`/`uri.ts`.
 *
 * Verdicts on the RFC 4475 cases where the RFC allows either outcome: extra SP in the request line
 * (lwsstart, trws) is tolerated; a bad Date (baddate) and a Contact addr-spec with URI headers
 * (regbadct) pass because those headers are not parsed here; spaces inside `<...>` (badaspec) and
 * unquoted non-token display names (baddn) are rejected with 400. Requests that fail get a status
 * (400, 505 for another SIP version, 413/513 for size limits) and the headers parsed so far, so the
 * transport can build the error response; responses that fail are simply dropped.
 *
 * Hand-written because no maintained npm package is a server-side SIP stack; tuned for the common
 * case (indexOf over the decoded header section, no per-character regex, lazy value parsing).
 */
import * as cs from './charset.js';
import * as grammar from './grammar.js';
import { isResolvedLimits, resolveLimits, type SipLimits } from './limits.js';
import { Headers, type HeaderField, type SipMessage, type SipRequest, type SipResponse } from './message.js';
import * as uris from './uri.js';

// Local aliases: module bindings read in hot loops cost a getter call under some loaders (tsx).
const { C_TOKEN, CHARS } = cs;
const { isValidCallId, isValidNameAddr, isValidVia, parseCSeq, parseMaxForwards, parseVia } = grammar;
const checkUri = uris.checkUri;

/** Status a server answers a request that failed to parse (responses that fail are dropped). */
export type ParseErrorStatus = 400 | 413 | 505 | 513;

/** What could be read of a message that failed, for building the error response. */
export interface PartialMessage {
  kind?: 'request' | 'response';
  method?: string;
  uri?: string;
  status?: number;
  /** Header fields parsed before (or despite) the error. */
  headers?: Headers;
}

export interface ParseOk {
  ok: true;
  message: SipMessage;
  /** Bytes of the input that belonged to the message (trailing octets of a datagram are ignored). */
  length: number;
  /**
   * The top Via and the CSeq, already parsed while validating (so the stack need not parse them
   * again). Set by `parseMessage`; absent when the result was assembled elsewhere (stream framer).
   */
  topVia?: grammar.Via;
  cseq?: grammar.CSeq;
}

export interface ParseError {
  ok: false;
  /** Human-readable reason, suitable as the reason phrase's detail or a log line. */
  error: string;
  /** For requests: the status to answer with. Absent for responses (drop them). */
  status?: ParseErrorStatus;
  partial?: PartialMessage;
}

export type ParseResult = ParseOk | ParseError;

/** Compact header forms (RFC 3261 §7.3.3 and the registry: RFC 3265, 3515, 3892, 4028, 3841, 8224). */
export const COMPACT_FORMS: Readonly<Record<string, string>> = Object.freeze({
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
  u: 'allow-events',
  r: 'refer-to',
  b: 'referred-by',
  x: 'session-expires',
  a: 'accept-contact',
  j: 'reject-contact',
  d: 'request-disposition',
  y: 'identity',
});

/** Raw header name → canonical name, memoised (bounded so odd names can't grow it forever). */
const nameCache = new Map<string, string>();
const NAME_CACHE_MAX = 2048;

/**
 * Fast path for the usual spellings of common headers, indexed by first character and length
 * (`KNOWN_NAMES[c * 32 + length]`, names up to 31 characters): lets the header loop find a
 * canonical name without slicing or hashing a string, usually comparing against one candidate.
 */
const KNOWN_NAMES: Array<Array<[string, string]> | undefined> = [];
function addKnownName(spelling: string, canonical: string): void {
  (KNOWN_NAMES[spelling.charCodeAt(0) * 32 + spelling.length] ??= []).push([spelling, canonical]);
}
for (const wire of [
  'Via', 'From', 'To', 'Call-ID', 'Call-Id', 'CSeq', 'Max-Forwards', 'Content-Type', 'Content-Length', 'Contact',
  'Route', 'Record-Route', 'Expires', 'User-Agent', 'Server', 'Allow', 'Supported', 'Require', 'Event',
  'Authorization', 'Proxy-Authorization', 'WWW-Authenticate', 'Proxy-Authenticate', 'Date', 'Accept',
  'X-Sylk-From-Sip', 'X-Sylk-To-Sip', 'X-Sylk-App', 'X-Replicated-Message',
]) {
  const lower = wire.toLowerCase();
  for (const spelling of new Set([wire, lower])) addKnownName(spelling, lower);
}
for (const [short, long] of Object.entries(COMPACT_FORMS)) {
  addKnownName(short, long);
  addKnownName(short.toUpperCase(), long);
}
for (let i = 0; i < 128 * 32; i++) KNOWN_NAMES[i] ??= undefined; // dense array, no holes

/** Canonical name of the header name at `text[start, end)`, or undefined if not a token. */
function headerNameAt(text: string, start: number, end: number): string | undefined {
  const c = text.charCodeAt(start);
  const len = end - start;
  if (c < 128 && len < 32) {
    const cands = KNOWN_NAMES[c * 32 + len];
    if (cands !== undefined) {
      for (let i = 0; i < cands.length; i++) {
        const cand = cands[i]!;
        const spelling = cand[0];
        // A char loop: String#startsWith with a position is a builtin call per candidate.
        let k = 1;
        while (k < len && text.charCodeAt(start + k) === spelling.charCodeAt(k)) k++;
        if (k === len) return cand[1];
      }
    }
  }
  return canonicalHeaderName(text.slice(start, end));
}

/** Canonical header name (lower case, compact form expanded), or undefined if not a token. */
export function canonicalHeaderName(raw: string): string | undefined {
  const hit = nameCache.get(raw);
  if (hit !== undefined) return hit;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 128 || (CHARS[c]! & C_TOKEN) === 0) return undefined;
  }
  if (raw.length === 0) return undefined;
  const lower = raw.toLowerCase();
  const canon = lower.length === 1 && Object.hasOwn(COMPACT_FORMS, lower) ? COMPACT_FORMS[lower]! : lower;
  if (nameCache.size < NAME_CACHE_MAX) nameCache.set(raw, canon);
  return canon;
}

/** The parsed start line and header fields of one message (before body and validation). */
interface Head {
  kind: 'request' | 'response';
  method: string;
  uri: string;
  status: number;
  reason: string;
  fields: HeaderField[];
  /** First problem found in the start line or the header lines. */
  error?: string;
  errorStatus?: ParseErrorStatus;
  /** Content-Length: number; undefined when absent; -1 when invalid or repeated. */
  contentLength: number | undefined;
  /** Set by `validate`: the parsed top Via and CSeq. */
  topVia?: grammar.Via;
  cseq?: grammar.CSeq;
}

function isWs(c: number): boolean {
  return c === 32 || c === 9;
}

function fail(head: Head, error: string, status: ParseErrorStatus = 400): void {
  if (head.error === undefined) {
    head.error = error;
    head.errorStatus = status;
  }
}

function parseStartLine(line: string, head: Head): void {
  // Tolerate (RFC 4475 §3.1.2.9/10) runs of SP between elements and trailing SP/HTAB.
  let end = line.length;
  while (end > 0 && isWs(line.charCodeAt(end - 1))) end--;
  const s1 = line.indexOf(' ');
  if (s1 <= 0 || s1 >= end) return fail(head, 'Malformed start line');
  let p2 = s1 + 1;
  while (p2 < end && line.charCodeAt(p2) === 32) p2++;
  const first = line.slice(0, s1);
  const c0 = first.charCodeAt(0);
  if ((c0 === 83 || c0 === 115) && first.length > 4 && first.slice(0, 4).toUpperCase() === 'SIP/') {
    head.kind = 'response';
    const s2 = line.indexOf(' ', p2);
    const code = line.slice(p2, s2 < 0 || s2 > end ? end : s2);
    head.reason = s2 < 0 || s2 > end ? '' : line.slice(s2 + 1, end);
    if (first.toUpperCase() !== 'SIP/2.0') return fail(head, 'Unsupported SIP version');
    if (code.length !== 3) return fail(head, 'Malformed status code');
    const n = Number(code);
    if (!(n >= 100 && n <= 699) || !/^\d{3}$/.test(code)) return fail(head, 'Malformed status code');
    head.status = n;
    for (let i = 0; i < head.reason.length; i++) {
      const c = head.reason.charCodeAt(i);
      if ((c < 32 && c !== 9) || c === 127) return fail(head, 'Malformed reason phrase');
    }
    return;
  }
  head.kind = 'request';
  head.method = first;
  for (let i = 0; i < first.length; i++) {
    const c = first.charCodeAt(i);
    if (c >= 128 || (CHARS[c]! & C_TOKEN) === 0) return fail(head, 'Malformed method');
  }
  const s2 = line.indexOf(' ', p2);
  if (s2 < 0 || s2 >= end) return fail(head, 'Malformed request line');
  head.uri = line.slice(p2, s2);
  let p3 = s2 + 1;
  while (p3 < end && line.charCodeAt(p3) === 32) p3++;
  if (!(end - p3 === 7 && line.startsWith('SIP/2.0', p3))) {
    const version = line.slice(p3, end);
    if (version.indexOf(' ') >= 0 || version.indexOf('\t') >= 0) return fail(head, 'Malformed Request-URI (whitespace)');
    if (version.toUpperCase() !== 'SIP/2.0') {
      if (/^sip\/\d+\.\d+$/i.test(version)) return fail(head, 'Version Not Supported', 505);
      return fail(head, 'Malformed SIP version');
    }
  }
  // checkUri accepts no whitespace, controls or non-ASCII characters in any scheme.
  const check = checkUri(head.uri);
  if (check === 0) return fail(head, 'Malformed Request-URI');
  if (check === 2) return fail(head, 'Request-URI must not contain headers');
}

/**
 * Parse the header section `text` (start line + header lines, CRLF-separated, without the final
 * empty line). Records the first error in `head.error` and keeps going where it can, so that a
 * request's error response can still be built from what was read.
 */
function parseHead(text: string, limits: SipLimits): Head {
  const head: Head = { kind: 'request', method: '', uri: '', status: 0, reason: '', fields: [], contentLength: undefined };
  // Lines are split at LF, and every LF must be preceded by CR: a bare LF (which some elements
  // take for a line break and others not) is an error. A CR not followed by LF stays part of the
  // value; it is harmless here since the serializer never writes one.
  let lf = text.indexOf('\n');
  let eol = lf < 0 ? text.length : lf - 1;
  if (lf === 0 || (lf > 0 && text.charCodeAt(eol) !== 13)) {
    fail(head, 'Bare LF in header section');
    eol = lf;
  }
  parseStartLine(text.slice(0, eol), head);
  const fields = head.fields;
  let pos = eol + 2;
  let name = '';
  let value = '';
  let have = false;
  let clCount = 0;
  const len = text.length;
  while (pos < len) {
    lf = text.indexOf('\n', pos);
    let next: number;
    if (lf < 0) next = len;
    else if (lf > pos && text.charCodeAt(lf - 1) === 13) next = lf - 1;
    else {
      fail(head, 'Bare LF in header section');
      break;
    }
    const c = text.charCodeAt(pos);
    if (c === 32 || c === 9) {
      // Line folding (LWS): the CRLF and leading whitespace become one SP.
      if (!have) {
        fail(head, 'Continuation line before the first header');
        break;
      }
      let vs = pos + 1;
      while (vs < next && isWs(text.charCodeAt(vs))) vs++;
      let ve = next;
      while (ve > vs && isWs(text.charCodeAt(ve - 1))) ve--;
      if (ve > vs) value = value.length > 0 ? value + ' ' + text.slice(vs, ve) : text.slice(vs, ve);
      pos = next + 2;
      continue;
    }
    if (have) {
      fields.push({ name, value });
      if (name === 'content-length') clCount++;
    }
    if (fields.length >= limits.maxHeaderCount) {
      fail(head, 'Too many header fields', 513);
      have = false;
      break;
    }
    const colon = text.indexOf(':', pos);
    if (colon < 0 || colon >= next) {
      fail(head, 'Header line without colon');
      have = false;
      break;
    }
    let ne = colon;
    while (ne > pos && isWs(text.charCodeAt(ne - 1))) ne--;
    const canon = headerNameAt(text, pos, ne);
    if (canon === undefined) {
      fail(head, 'Malformed header name');
      have = false;
      break;
    }
    let vs = colon + 1;
    while (vs < next && isWs(text.charCodeAt(vs))) vs++;
    let ve = next;
    while (ve > vs && isWs(text.charCodeAt(ve - 1))) ve--;
    name = canon;
    value = text.slice(vs, ve);
    have = true;
    pos = next + 2;
  }
  if (have) {
    fields.push({ name, value });
    if (name === 'content-length') clCount++;
  }
  if (clCount > 0) {
    if (clCount > 1) head.contentLength = -1;
    else {
      let v = '';
      for (const f of fields) if (f.name === 'content-length') v = f.value;
      head.contentLength = parseContentLength(v);
    }
  }
  return head;
}

/** Content-Length = 1*DIGIT, bounded to 2^31-1; -1 when invalid (negative, junk, overlarge). */
function parseContentLength(v: string): number {
  if (v.length === 0 || v.length > 10) {
    let z = 0;
    while (z < v.length - 1 && v.charCodeAt(z) === 48) z++;
    if (v.length === 0 || v.length - z > 10) return -1;
    v = v.slice(z);
  }
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n <= 0x7fffffff ? n : -1;
}

function partialOf(head: Head): PartialMessage {
  const p: PartialMessage = { kind: head.kind, headers: new Headers(head.fields) };
  if (head.kind === 'request') {
    if (head.method) p.method = head.method;
    if (head.uri) p.uri = head.uri;
  } else if (head.status) p.status = head.status;
  return p;
}

function error(head: Head, message: string, status: ParseErrorStatus = 400): ParseError {
  const e: ParseError = { ok: false, error: message, partial: partialOf(head) };
  if (head.kind === 'request') e.status = status;
  return e;
}

/** Validate what an element must check before accepting the message (see the module comment). */
function validate(head: Head): string | undefined {
  let from: string | undefined;
  let to: string | undefined;
  let callId: string | undefined;
  let cseq: string | undefined;
  let nFrom = 0;
  let nTo = 0;
  let nCallId = 0;
  let nCSeq = 0;
  let nMf = 0;
  let nVia = 0;
  for (const f of head.fields) {
    switch (f.name) {
      case 'via':
        if (nVia++ === 0) {
          // The first Via field is parsed (the stack needs its top via-parm), the others only checked.
          const vias = parseVia(f.value);
          if (!vias) return 'Malformed Via header';
          head.topVia = vias[0];
        } else if (!isValidVia(f.value)) return 'Malformed Via header';
        break;
      case 'from':
        nFrom++;
        from = f.value;
        break;
      case 'to':
        nTo++;
        to = f.value;
        break;
      case 'call-id':
        nCallId++;
        callId = f.value;
        break;
      case 'cseq':
        nCSeq++;
        cseq = f.value;
        break;
      case 'max-forwards':
        nMf++;
        if (parseMaxForwards(f.value) === undefined) return 'Malformed Max-Forwards header';
        break;
    }
  }
  if (nVia === 0) return 'Missing Via header';
  if (nFrom !== 1 || nTo !== 1 || nCallId !== 1 || nCSeq !== 1) {
    if (nFrom === 0) return 'Missing From header';
    if (nTo === 0) return 'Missing To header';
    if (nCallId === 0) return 'Missing Call-ID header';
    if (nCSeq === 0) return 'Missing CSeq header';
    return 'Multiple values in a single-value header';
  }
  if (nMf > 1) return 'Multiple Max-Forwards headers';
  if (!isValidNameAddr(from!)) return 'Malformed From header';
  if (!isValidNameAddr(to!)) return 'Malformed To header';
  if (!isValidCallId(callId!)) return 'Malformed Call-ID header';
  const cs = parseCSeq(cseq!);
  if (!cs) return 'Malformed CSeq header';
  if (head.kind === 'request' && cs.method !== head.method) return 'CSeq method does not match the request method';
  head.cseq = cs;
  return undefined;
}

/** Build the message (or the error) once the head is parsed and the body bytes are known. */
function finish(head: Head, body: Buffer, length: number, limits: SipLimits): ParseResult {
  if (head.error !== undefined) return error(head, head.error, head.errorStatus);
  if (body.length > limits.maxBodyBytes) return error(head, 'Body too large', 413);
  const problem = validate(head);
  if (problem !== undefined) return error(head, problem);
  const headers = Headers.adopt(head.fields);
  let message: SipRequest | SipResponse;
  if (head.kind === 'request') message = { kind: 'request', method: head.method, uri: head.uri, version: 'SIP/2.0', headers, body };
  else message = { kind: 'response', version: 'SIP/2.0', status: head.status, reason: head.reason, headers, body };
  return { ok: true, message, length, topVia: head.topVia, cseq: head.cseq };
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

/**
 * Parse one complete message from a datagram (UDP) or an already framed buffer. Content-Length,
 * when present, bounds the body: a larger value than the bytes present is an error (400), extra
 * octets after the body are ignored (RFC 3261 §18.3); without it the body is the rest of the buffer.
 * Never throws.
 */
export function parseMessage(buf: Buffer, limits?: Partial<SipLimits>): ParseResult {
  let lim: SipLimits;
  if (limits !== undefined && isResolvedLimits(limits)) lim = limits;
  else {
    try {
      lim = resolveLimits(limits);
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }
  try {
    return parseDatagram(buf, lim);
  } catch (e) {
    // Defensive: the scanners are written not to throw; if one ever does, report it as a 400.
    return { ok: false, error: `Unparseable message (${(e as Error).message})`, status: 400 };
  }
}

function parseDatagram(buf: Buffer, limits: SipLimits): ParseResult {
  // Leading CRLFs before the start line are ignored (RFC 3261 §7.5).
  let start = 0;
  while (start + 1 < buf.length && buf[start] === 13 && buf[start + 1] === 10) start += 2;
  if (start >= buf.length) return { ok: false, error: 'Empty message' };
  let headEnd = buf.indexOf(CRLFCRLF, start);
  let bodyStart: number;
  if (headEnd < 0) {
    // Tolerate a datagram whose header section ends with a single CRLF and no body.
    if (buf.length - start >= 2 && buf[buf.length - 2] === 13 && buf[buf.length - 1] === 10) {
      headEnd = buf.length - 2;
      bodyStart = buf.length;
    } else {
      if (buf.length - start > limits.maxHeaderBytes) return { ok: false, error: 'Header section too large', status: 513 };
      const head = parseHead(buf.toString('utf8', start, Math.min(buf.length, start + limits.maxHeaderBytes)), limits);
      return error(head, 'No empty line after the header section');
    }
  } else bodyStart = headEnd + 4;
  if (buf.length - start > limits.maxDatagramBytes) {
    const head = parseHead(buf.toString('utf8', start, Math.min(headEnd, start + limits.maxHeaderBytes)), limits);
    return error(head, 'Message too large', 513);
  }
  if (headEnd - start > limits.maxHeaderBytes) {
    const head = parseHead(buf.toString('utf8', start, start + limits.maxHeaderBytes), limits);
    return error(head, 'Header section too large', 513);
  }
  const head = parseHead(buf.toString('utf8', start, headEnd), limits);
  const available = buf.length - bodyStart;
  let bodyLen = available;
  if (head.contentLength !== undefined) {
    if (head.contentLength < 0) return error(head, 'Invalid or repeated Content-Length');
    if (head.contentLength > available) return error(head, 'Content-Length larger than the message');
    bodyLen = head.contentLength;
  }
  const body = bodyLen === 0 ? EMPTY : buf.subarray(bodyStart, bodyStart + bodyLen);
  return finish(head, body, bodyStart + bodyLen, limits);
}

/** Events produced by `StreamFramer.push`. */
export type FramerEvent =
  /** A complete, valid message. */
  | { type: 'message'; message: SipMessage; bytes: number }
  /** A CRLFCRLF keep-alive ping (RFC 5626 §4.4.1): answer with a single CRLF. */
  | { type: 'ping' }
  /** A lone CRLF between messages (a keep-alive pong, or harmless padding). */
  | { type: 'pong' }
  /**
   * A message that failed. `fatal`: the stream cannot be re-synchronised (no usable Content-Length,
   * header section too large): answer if `error.status` is set, then close the connection. Not
   * fatal: the message's bytes were skipped and the next message is parsed normally.
   */
  | { type: 'error'; error: ParseError; fatal: boolean };

type FramerState = 'idle' | 'head' | 'body' | 'discard' | 'closed';

/**
 * Frames SIP messages on a byte stream (TCP, TLS): the header section ends at the first CRLFCRLF,
 * the body is exactly Content-Length bytes (mandatory on streams, RFC 3261 §18.3). Memory is
 * bounded: at most `maxHeaderBytes` of header section and `maxStreamMessageBytes` of message are
 * ever buffered; an over-large body is skipped without buffering and reported (413/513).
 */
export class StreamFramer {
  private readonly limits: SipLimits;
  private state: FramerState = 'idle';
  private chunks: Buffer[] = [];
  private have = 0;
  /** Last up-to-3 bytes of the header section seen so far (to find a CRLFCRLF split by chunks). */
  private tail: Buffer = EMPTY;
  private head: Head | undefined;
  private headBytes = 0;
  private need = 0;
  private sawCR = false;
  private crlfs = 0;

  constructor(limits?: Partial<SipLimits>) {
    this.limits = resolveLimits(limits);
  }

  /** Bytes currently buffered for an incomplete message. */
  get buffered(): number {
    return this.have;
  }

  /** True after a fatal error: the connection should be closed; further input is ignored. */
  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Feed the next chunk; returns the events it completed, in order. Never throws. */
  push(chunk: Buffer): FramerEvent[] {
    const events: FramerEvent[] = [];
    try {
      this.consume(chunk, events);
    } catch (e) {
      this.fatal(events, { ok: false, error: `Framing failure (${(e as Error).message})`, status: 400 });
    }
    return events;
  }

  private fatal(events: FramerEvent[], error: ParseError): void {
    this.state = 'closed';
    this.chunks = [];
    this.have = 0;
    this.head = undefined;
    events.push({ type: 'error', error, fatal: true });
  }

  private consume(chunk: Buffer, events: FramerEvent[]): void {
    let off = 0;
    const n = chunk.length;
    while (off < n) {
      switch (this.state) {
        case 'closed':
          return;
        case 'idle': {
          const c = chunk[off]!;
          if (c === 13) {
            this.sawCR = true;
            off++;
            continue;
          }
          if (c === 10) {
            if (this.sawCR) {
              this.crlfs++;
              if (this.crlfs === 2) {
                events.push({ type: 'ping' });
                this.crlfs = 0;
              }
            }
            this.sawCR = false;
            off++;
            continue;
          }
          if (this.crlfs === 1) events.push({ type: 'pong' });
          this.crlfs = 0;
          this.sawCR = false;
          this.state = 'head';
          this.tail = EMPTY;
          this.headBytes = 0;
          continue;
        }
        case 'head': {
          // Look for CRLFCRLF in (tail of previous chunks + this chunk).
          const probeFrom = this.tail.length;
          const probe = probeFrom > 0 ? Buffer.concat([this.tail, chunk.subarray(off)]) : chunk.subarray(off);
          const idx = probe.indexOf(CRLFCRLF);
          if (idx < 0) {
            const add = n - off;
            if (this.headBytes + add > this.limits.maxHeaderBytes + 3) {
              const text = Buffer.concat([...this.chunks, chunk.subarray(off)]).toString('utf8', 0, this.limits.maxHeaderBytes);
              const head = parseHead(text, this.limits);
              return this.fatal(events, error(head, 'Header section too large', 513));
            }
            this.chunks.push(chunk.subarray(off));
            this.have += add;
            this.headBytes += add;
            this.tail = probe.subarray(Math.max(0, probe.length - 3));
            off = n;
            continue;
          }
          // idx is relative to probe; the terminator ends at probe index idx+4 → chunk index:
          const endInChunk = off + (idx + 4 - probeFrom);
          const headLen = this.headBytes + (idx - probeFrom);
          if (headLen > this.limits.maxHeaderBytes) {
            const text = Buffer.concat([...this.chunks, chunk.subarray(off, endInChunk)]).toString('utf8', 0, this.limits.maxHeaderBytes);
            return this.fatal(events, error(parseHead(text, this.limits), 'Header section too large', 513));
          }
          this.chunks.push(chunk.subarray(off, endInChunk));
          const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
          this.chunks = [];
          this.have = 0;
          off = endInChunk;
          const head = parseHead(all.toString('utf8', 0, headLen), this.limits);
          this.headBytes = headLen + 4;
          const cl = head.contentLength;
          if (head.error !== undefined && (head.errorStatus === 513 || cl === undefined || cl < 0)) {
            return this.fatal(events, error(head, head.error, head.errorStatus));
          }
          if (cl === undefined) return this.fatal(events, error(head, 'Missing Content-Length on a stream transport'));
          if (cl < 0) return this.fatal(events, error(head, 'Invalid or repeated Content-Length'));
          const tooBig = cl > this.limits.maxBodyBytes ? 413 : this.headBytes + cl > this.limits.maxStreamMessageBytes ? 513 : 0;
          if (tooBig !== 0) {
            events.push({ type: 'error', error: error(head, tooBig === 413 ? 'Body too large' : 'Message too large', tooBig), fatal: false });
            this.state = 'discard';
            this.need = cl;
            this.head = undefined;
            continue;
          }
          this.head = head;
          this.need = cl;
          this.state = 'body';
          if (cl === 0) this.complete(events);
          continue;
        }
        case 'body': {
          const take = Math.min(this.need - this.have, n - off);
          this.chunks.push(chunk.subarray(off, off + take));
          this.have += take;
          off += take;
          if (this.have === this.need) this.complete(events);
          continue;
        }
        case 'discard': {
          const take = Math.min(this.need, n - off);
          this.need -= take;
          off += take;
          if (this.need === 0) this.state = 'idle';
          continue;
        }
      }
    }
    // A message with Content-Length 0 completes as soon as its header section does.
    if (this.state === 'body' && this.need === 0) this.complete(events);
  }

  private complete(events: FramerEvent[]): void {
    const head = this.head!;
    const body = this.need === 0 ? EMPTY : Buffer.concat(this.chunks, this.need);
    const bytes = this.headBytes + this.need;
    this.chunks = [];
    this.have = 0;
    this.head = undefined;
    this.state = 'idle';
    const r = finish(head, body, bytes, this.limits);
    if (r.ok) events.push({ type: 'message', message: r.message, bytes });
    else events.push({ type: 'error', error: r, fatal: false });
  }
}
