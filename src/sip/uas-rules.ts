/**
 * The UAS core's request screening (RFC 3261 §8.2): what the stack answers itself before — or instead
 * of — handing a request to the application, in the order §8.2 gives (after the source check of
 * sip-messaging.md §3.2):
 *
 * 1. source outside `[SIP] trusted_peers` → 403;
 * 2. mandatory headers (§8.1.1: To, From, Call-ID, CSeq, Via) missing or unparseable, or a CSeq method
 *    that differs from the request method → 400 with a reason phrase naming the problem;
 * 3. Max-Forwards 0 → 483 (§16.3 step 2 — also for OPTIONS, RFC 4475 §3.3.11 `zeromf`);
 * 4. method inspection (§8.2.1): a method we recognise but neither the core nor the application
 *    handles → 405 + Allow; one we do not recognise at all → 501 (§21.5.2, RFC 4475 `intmeth`);
 * 5. Request-URI scheme other than sip/sips/tel → 416 (§8.2.2.1);
 * 6. `Require` with extensions we do not support → 420 + Unsupported (§8.2.2.3);
 * 7. OPTIONS → 200 with Allow/Accept (§11.2); INVITE → 488 (a messaging-only server:
 *    sip-messaging.md §3.1 — MSRP file-transfer sessions are not offered), after the content checks
 *    a UAS does first: a body that is not SDP → 415, an Accept without SDP → 406 (RFC 4475 `invut`,
 *    `sdp01`).
 * Anything that passes goes to the application (by default only MESSAGE).
 */
import type { ResponseSpec } from './api.js';
import { parseCSeq, parseMaxForwards, parseNameAddr, splitCommaList, tagOf } from './message/grammar.js';
import { parseVia } from './message/via-header.js';
import { Headers, type SipRequest, type SipResponse } from './message/message.js';
import { cleanValue, headerWireName, messageBytes } from './message/serializer.js';
import type { TrustedPeers } from './trusted-peers.js';
import { parseUri } from './message/uri.js';

export interface UasPolicy {
  trustedPeers: TrustedPeers;
  /** Methods handed to the application handler (default: MESSAGE). */
  applicationMethods: ReadonlySet<string>;
  /** Content types the application accepts (for OPTIONS' Accept). */
  accept: readonly string[];
  /** `allowedMethods(policy)`, precomputed by the owner of the policy (else computed per request). */
  allow?: readonly string[];
}

/** Methods the stack itself implements (ACK and CANCEL are handled by the transaction layer). */
const CORE_METHODS = ['INVITE', 'ACK', 'CANCEL', 'OPTIONS'];

/** Methods defined by RFC 3261 and its extensions: not allowed here → 405, anything else → 501. */
const KNOWN_METHODS = new Set([
  'INVITE', 'ACK', 'CANCEL', 'OPTIONS', 'BYE', 'REGISTER', 'MESSAGE', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'INFO', 'UPDATE', 'PRACK', 'PUBLISH',
]);

export function allowedMethods(policy: UasPolicy): string[] {
  const out = [...CORE_METHODS];
  for (const m of policy.applicationMethods) if (!out.includes(m)) out.push(m);
  return out;
}

/**
 * Screen a request; returns the response the core sends itself, or `undefined` if the request goes
 * to the application.
 */
export function screenRequest(req: SipRequest, sourceIp: string, policy: UasPolicy, trustedSyntax = false): ResponseSpec | undefined {
  if (!policy.trustedPeers.allows(sourceIp)) return { status: 403, reason: 'Forbidden' };

  const h = req.headers;
  // The parser has validated From, To, Via, Call-ID and CSeq (and CSeq's method) of every request it
  // accepts (message/parser.ts), so they are present; they are re-checked only for requests built some other way.
  if (!trustedSyntax) {
    for (const name of ['to', 'from', 'call-id', 'cseq', 'via']) {
      if (!h.has(name)) return { status: 400, reason: `Missing ${headerTitle(name)} header` };
    }
    const cseq = parseCSeq(h.get('cseq')!);
    if (!cseq) return { status: 400, reason: 'Malformed CSeq header' };
    if (cseq.method !== req.method) return { status: 400, reason: 'CSeq method does not match request method' };
    if (!parseNameAddr(h.get('from')!)) return { status: 400, reason: 'Malformed From header' };
    if (!parseNameAddr(h.get('to')!)) return { status: 400, reason: 'Malformed To header' };
    for (const v of h.getAll('via')) if (!parseVia(v)) return { status: 400, reason: 'Malformed Via header' };
    if (h.getAll('call-id').length > 1) return { status: 400, reason: 'Multiple Call-ID headers' };
  }

  // One pass for the headers looked at below (the common request has neither Require nor Accept).
  let mfValue: string | undefined;
  let hasRequire = false;
  let hasAccept = false;
  for (const f of h) {
    const n = f.name;
    if (n === 'max-forwards') {
      if (mfValue === undefined) mfValue = f.value;
    } else if (n === 'require') hasRequire = true;
    else if (n === 'accept') hasAccept = true;
  }
  if (mfValue !== undefined) {
    const mf = parseMaxForwards(mfValue);
    if (mf === undefined) return { status: 400, reason: 'Malformed Max-Forwards header' };
    if (mf === 0) return { status: 483, reason: 'Too Many Hops' };
  }

  const allow = policy.allow ?? allowedMethods(policy);
  if (!allow.includes(req.method)) {
    if (!KNOWN_METHODS.has(req.method)) return { status: 501, reason: 'Not Implemented', headers: [['Allow', allow.join(', ')]] };
    return { status: 405, reason: 'Method Not Allowed', headers: [['Allow', allow.join(', ')]] };
  }

  const uri = req.uri;
  const supported = uri.startsWith('sip:') || uri.startsWith('sips:') || SUPPORTED_SCHEMES.has(schemeOf(uri));
  if (!supported || (!trustedSyntax && !parseUri(uri))) return { status: 416, reason: 'Unsupported URI Scheme' };

  if (hasRequire) {
    const required = h.getAll('require').flatMap((v) => splitCommaList(v)).map((s) => s.trim()).filter((s) => s.length > 0);
    if (required.length > 0) {
      return { status: 420, reason: 'Bad Extension', headers: [['Unsupported', required.join(', ')]] };
    }
  }

  if (req.method === 'OPTIONS') {
    return {
      status: 200,
      reason: 'OK',
      headers: [
        ['Allow', allow.join(', ')],
        ['Accept', policy.accept.join(', ')],
        ['Accept-Encoding', 'identity'],
      ],
    };
  }
  if (req.method === 'INVITE' && !policy.applicationMethods.has('INVITE')) {
    const ct = h.get('content-type');
    if (req.body.length > 0 && (!ct || ct.split(';')[0]!.trim().toLowerCase() !== 'application/sdp')) {
      return { status: 415, reason: 'Unsupported Media Type', headers: [['Accept', 'application/sdp']] };
    }
    const accept = h.getAll('accept').flatMap((v) => splitCommaList(v)).map((s) => s.split(';')[0]!.trim().toLowerCase());
    if (hasAccept && !accept.some((a) => a === 'application/sdp' || a === 'application/*' || a === '*/*')) {
      return { status: 406, reason: 'Not Acceptable' };
    }
    return { status: 488, reason: 'Not Acceptable Here' };
  }
  return undefined;
}

const SUPPORTED_SCHEMES = new Set(['sip', 'sips', 'tel']);

function schemeOf(uri: string): string {
  const colon = uri.indexOf(':');
  return colon < 0 ? '' : uri.slice(0, colon).toLowerCase();
}

function headerTitle(name: string): string {
  return name === 'cseq' ? 'CSeq' : name === 'call-id' ? 'Call-ID' : name.charAt(0).toUpperCase() + name.slice(1);
}

/**
 * Build a response to `req` (§8.2.6): Via (all, in order), From, To (with `toTag` added when the
 * request's To has none and the status is above 100), Call-ID, CSeq copied; Timestamp echoed in a
 * 100 (§8.2.6.1); then the spec's own headers and body.
 */
export function buildResponse(req: SipRequest, spec: ResponseSpec, toTag: string, server?: string): SipResponse {
  const headers = new Headers();
  for (const f of req.headers) {
    if (f.name === 'via' || f.name === 'from' || f.name === 'call-id' || f.name === 'cseq') headers.append(f.name, f.value);
    else if (f.name === 'to') {
      // A value without the letters "tag" has no tag parameter: skip parsing it (the common case).
      headers.append('to', spec.status > 100 && toTag && (!MAYBE_TAG.test(f.value) || tagOf(f.value) === undefined) ? `${f.value};tag=${toTag}` : f.value);
    } else if (f.name === 'timestamp' && spec.status === 100) headers.append('timestamp', f.value);
  }
  if (server) headers.append('server', server);
  for (const [name, value] of spec.headers ?? []) headers.append(name, value);
  let body: Buffer = Buffer.alloc(0);
  if (spec.body !== undefined && spec.body.length > 0) {
    body = typeof spec.body === 'string' ? Buffer.from(spec.body, 'utf8') : spec.body;
    if (spec.contentType) headers.append('content-type', spec.contentType);
  }
  return { kind: 'response', version: 'SIP/2.0', status: spec.status, reason: spec.reason ?? reasonPhrase(spec.status), headers, body };
}

const MAYBE_TAG = /tag/i;

/**
 * `serializeMessage(buildResponse(req, spec, toTag, server))` without building the response's
 * `Headers` (the stack answers every request through here). `req` must be a request the parser
 * accepted: it has validated the Via, From, To, Call-ID and CSeq values copied here, so they hold no
 * CR or LF and are written as they are; every other value is cleaned as the serializer does.
 */
export function buildResponseBytes(req: SipRequest, spec: ResponseSpec, toTag: string, server?: string): Buffer {
  const status = spec.status;
  let out = 'SIP/2.0 ' + status + ' ' + cleanValue(spec.reason ?? reasonPhrase(status)) + '\r\n';
  for (const f of req.headers) {
    const v = f.value;
    switch (f.name) {
      case 'via':
        out += 'Via: ' + v + '\r\n';
        break;
      case 'from':
        out += 'From: ' + v + '\r\n';
        break;
      case 'to':
        out += status > 100 && toTag && (!MAYBE_TAG.test(v) || tagOf(v) === undefined) ? 'To: ' + v + ';tag=' + toTag + '\r\n' : 'To: ' + v + '\r\n';
        break;
      case 'call-id':
        out += 'Call-ID: ' + v + '\r\n';
        break;
      case 'cseq':
        out += 'CSeq: ' + v + '\r\n';
        break;
      case 'timestamp':
        if (status === 100) out += 'Timestamp: ' + cleanValue(v) + '\r\n';
        break;
    }
  }
  if (server) out += 'Server: ' + cleanValue(server) + '\r\n';
  let body: Buffer = EMPTY;
  if (spec.body !== undefined && spec.body.length > 0) body = typeof spec.body === 'string' ? Buffer.from(spec.body, 'utf8') : spec.body;
  let wroteLength = false;
  if (spec.headers) {
    for (const [name, value] of spec.headers) {
      const n = name.toLowerCase();
      if (n === 'content-length') {
        if (!wroteLength) out += 'Content-Length: ' + body.length + '\r\n';
        wroteLength = true;
      } else out += headerWireName(n) + ': ' + cleanValue(value) + '\r\n';
    }
  }
  if (body.length > 0 && spec.contentType) out += 'Content-Type: ' + cleanValue(spec.contentType) + '\r\n';
  if (!wroteLength) out += 'Content-Length: ' + body.length + '\r\n';
  return messageBytes(out + '\r\n', body);
}

const EMPTY = Buffer.alloc(0);

const REASONS: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  483: 'Too Many Hops',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  500: 'Server Internal Error',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status < 200 ? 'Trying' : status < 300 ? 'OK' : status < 400 ? 'Redirect' : status < 500 ? 'Client Error' : status < 600 ? 'Server Error' : 'Global Failure');
}
