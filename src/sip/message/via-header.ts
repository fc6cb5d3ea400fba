/**
 * The Via header field value (RFC 3261 §20.42, §25.1 `via-parm`, RFC 3581 `rport`): parsing and
 * validation, allocation-free when only validating (the parser checks every Via of every message).
 */
import { isIP } from 'node:net';
import * as cs from './charset.js';
import * as grammar from './grammar.js';
import type { Params } from './grammar.js';
import * as uris from './uri.js';

// Local aliases: module bindings read in hot loops cost a getter call under some loaders (tsx).
const allIn = cs.allIn;
const { C_TOKEN } = cs;
const { isWs, parseDigits, skipWs, scanToken, scanParamsInto } = grammar;
const isValidHost = uris.isValidHost;

export interface Via {
  /** `SIP/2.0` (protocol name and version joined, upper-cased). */
  protocol: string;
  /** Transport token upper-cased: UDP, TCP, TLS, SCTP, WS, WSS, ... */
  transport: string;
  host: string;
  port?: number;
  params: Params;
  branch?: string;
  received?: string;
  /** `rport` with a value → number; present without value → null; absent → undefined. */
  rport?: number | null;
}

function upper(t: string): string {
  switch (t) {
    case 'UDP':
    case 'TCP':
    case 'TLS':
    case 'WS':
    case 'WSS':
      return t;
    default:
      return t.toUpperCase();
  }
}

/** Scan one via-parm from `s[i]`. */
/** Reused by validation-only scans so that checking a Via allocates no Map. */
const SCRATCH_PARAMS: Params = new Map();

/**
 * Scan one via-parm from `s[i]`; pushes the parsed Via onto `out` (or only validates when null).
 * Returns the index after it, or -1 when malformed.
 */
function scanViaInto(s: string, i: number, out: Via[] | null): number {
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport (SLASH = SWS "/" SWS)
  i = skipWs(s, i);
  const e1 = scanToken(s, i);
  if (e1 === i) return -1;
  const p1 = i;
  i = skipWs(s, e1);
  if (s.charCodeAt(i) !== 47) return -1;
  i = skipWs(s, i + 1);
  const e2 = scanToken(s, i);
  if (e2 === i) return -1;
  const p2 = i;
  i = skipWs(s, e2);
  if (s.charCodeAt(i) !== 47) return -1;
  i = skipWs(s, i + 1);
  const e3 = scanToken(s, i);
  if (e3 === i) return -1;
  const p3 = i;
  i = e3;
  const j = skipWs(s, i);
  if (j === i) return -1;
  i = j;
  let hostEnd: number;
  if (s.charCodeAt(i) === 91) {
    hostEnd = s.indexOf(']', i);
    if (hostEnd < 0) return -1;
    hostEnd++;
  } else {
    hostEnd = i;
    while (hostEnd < s.length) {
      const c = s.charCodeAt(hostEnd);
      if (c === 58 || c === 59 || c === 44 || isWs(c)) break;
      hostEnd++;
    }
  }
  const host = s.slice(i, hostEnd);
  if (!isValidHost(host)) return -1;
  i = skipWs(s, hostEnd);
  let port: number | undefined;
  if (s.charCodeAt(i) === 58) {
    const ps = skipWs(s, i + 1);
    let pe = ps;
    while (pe < s.length && s.charCodeAt(pe) >= 48 && s.charCodeAt(pe) <= 57) pe++;
    port = parseDigits(s.slice(ps, pe), 65535);
    if (port === undefined) return -1;
    i = pe;
  }
  const params: Params = out ? new Map() : SCRATCH_PARAMS;
  if (!out) params.clear();
  const end = scanParamsInto(s, i, params);
  if (end < 0) return -1;
  const branch = params.get('branch');
  if (branch !== undefined && (branch === null || !allIn(branch, 0, branch.length, C_TOKEN))) return -1;
  const received = params.get('received');
  if (received !== undefined && (received === null || isIP(received.startsWith('[') ? received.slice(1, -1) : received) === 0)) return -1;
  const r = params.get('rport');
  let rport: number | null | undefined;
  if (r === null) rport = null;
  else if (r !== undefined) {
    rport = parseDigits(r, 65535);
    if (rport === undefined) return -1;
  }
  const ttl = params.get('ttl');
  if (ttl !== undefined && (ttl === null || parseDigits(ttl, 255) === undefined)) return -1;
  const maddr = params.get('maddr');
  if (maddr !== undefined && (maddr === null || !isValidHost(maddr))) return -1;
  if (!out) return end;
  const pname = s.slice(p1, e1);
  const pversion = s.slice(p2, e2);
  const protocol = pname === 'SIP' && pversion === '2.0' ? 'SIP/2.0' : `${pname.toUpperCase()}/${pversion}`;
  const via: Via = { protocol, transport: upper(s.slice(p3, e3)), host, params };
  if (port !== undefined) via.port = port;
  if (branch != null) via.branch = branch;
  if (received != null) via.received = received;
  if (rport !== undefined) via.rport = rport;
  out.push(via);
  return end;
}

function scanViaList(value: string, out: Via[] | null): boolean {
  let i = 0;
  for (;;) {
    const end = scanViaInto(value, i, out);
    if (end < 0) return false;
    i = skipWs(value, end);
    if (i === value.length) return true;
    if (value.charCodeAt(i) !== 44) return false;
    i++;
  }
}

/** Parse a Via header field value (one or more comma-separated via-parms). */
export function parseVia(value: string): Via[] | undefined {
  const out: Via[] = [];
  return scanViaList(value, out) ? out : undefined;
}

/** True when `value` is a valid Via header field value (builds nothing). */
export function isValidVia(value: string): boolean {
  return scanViaList(value, null);
}

/** The top-most Via of a message's Via header field values. */
export function topVia(values: string[]): Via | undefined {
  const first = values[0];
  if (first === undefined) return undefined;
  return parseVia(first)?.[0];
}
