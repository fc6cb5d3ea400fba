/**
 * The SIP message parser (RFC 3261 §7, §18.3, §25). The stream framer for TCP/TLS builds on it
 * (`../transport/framer.ts`, through `parseHead`/`finishMessage`); header names are canonicalised in
 * `header-names.ts`.
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
import { isResolvedLimits, resolveLimits, type SipLimits } from '../limits.js';
import { headerNameAt } from './header-names.js';
import { Headers, type HeaderField, type SipMessage, type SipRequest, type SipResponse } from './message.js';
import * as uris from './uri.js';
import * as viaHeader from './via-header.js';

// Local aliases: module bindings read in hot loops cost a getter call under some loaders (tsx).
const { C_TOKEN, CHARS } = cs;
const { isValidCallId, isValidNameAddr, parseCSeq, parseMaxForwards } = grammar;
const { isValidVia, parseVia } = viaHeader;
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
  topVia?: viaHeader.Via;
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

/** The parsed start line and header fields of one message (before body and validation). */
export interface Head {
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
  topVia?: viaHeader.Via;
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
export function parseHead(text: string, limits: SipLimits): Head {
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

export function error(head: Head, message: string, status: ParseErrorStatus = 400): ParseError {
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
export function finish(head: Head, body: Buffer, length: number, limits: SipLimits): ParseResult {
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
export const EMPTY = Buffer.alloc(0);

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
