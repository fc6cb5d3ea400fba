/**
 * Message/CPIM (RFC 3862) with the IMDN namespace (RFC 5438 §7), as `sip-messaging.md` §4.2 and
 * §6.3.1 describe: unwrap an incoming `message/cpim` body into its headers and inner MIME entity, and
 * build the bodies the server sends.
 *
 * Hand-written: no maintained npm package parses or builds CPIM (it exists only inside full RCS/SIP
 * client stacks); the format is a header block, a blank line and a MIME entity.
 *
 * Parsing rules (§4.2): split at the first blank line (CRLF CRLF, bare LF tolerated); header lines are
 * `[prefix.]Name: value`, a prefix must have been declared earlier by `NS: prefix <uri>` (lines with an
 * undeclared prefix are ignored); `From`/`To`/`cc` are `[display] <sip:...|sips:...>` (unparseable →
 * ignored); `Message-ID` and `Disposition-Notification` are found by name in any declared namespace.
 * The inner entity's headers end at the first blank line; its `Content-Type` media type (lower case, no
 * parameters) is the content type, `text/plain` when absent; the content is taken verbatim.
 * Every incoming MESSAGE goes through `parseCpim`, so it scans with `indexOf`/`charCodeAt` instead of
 * splitting into lines and matching each with a regular expression (same rules, fewer allocations).
 */

export class CpimError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CpimError';
  }
}

/** `[display name] <uri>` of a CPIM From/To/cc header. */
export interface CpimIdentity {
  displayName: string | null;
  /** The URI inside the angle brackets, with scheme (`sip:alice@example.com`). */
  uri: string;
}

/** A header that is not one of the standard CPIM headers (namespace URI '' = default namespace). */
export interface CpimExtraHeader {
  namespace: string;
  name: string;
  value: string;
}

export interface CpimMessage {
  from: CpimIdentity | null;
  to: CpimIdentity[];
  cc: CpimIdentity[];
  subject: string | null;
  /** DateTime as written (re-serialise with `normalizeTimestamp`). */
  dateTime: string | null;
  /** `NS` declarations: prefix → namespace URI. */
  namespaces: Map<string, string>;
  /** Every other header, in order. */
  headers: CpimExtraHeader[];
  /** The header named `Message-ID` (any declared namespace), trimmed. */
  messageId: string | null;
  /** The header named `Disposition-Notification` split on `,` and trimmed. */
  dispositionNotification: string[] | null;
  /** Inner media type, lower case, no parameters; `text/plain` if the inner part has none. */
  contentType: string;
  /** The inner `Content-Type` value as written (with parameters), if any. */
  contentTypeRaw: string | null;
  /** Inner MIME headers in order (names as written). */
  contentHeaders: Array<[string, string]>;
  /** The inner content, verbatim. */
  content: string;
}

export const IMDN_NAMESPACE_URN = 'urn:ietf:params:imdn';

const IDENTITY_RE = /^\s*(?:"((?:[^"\\]|\\.)*)"|([^<"]*?))\s*<(sips?:[^>\s]+)>\s*$/i;
const NS_RE = /^\s*([A-Za-z0-9_-]*)\s*<([^>]*)>\s*$/;

/** Is this UTF-16 code unit matched by `\s` (JS whitespace and line terminators)? */
function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 160) return false;
  return (
    c === 160 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

/**
 * A display name without the spaces and double quotes around it (`/^[\s"]+|[\s"]+$/g` replaced by
 * nothing, without the regular expression). Shared with the messaging layer's SIP name-addr split.
 */
export function trimDisplayName(raw: string): string {
  let a = 0;
  let b = raw.length;
  while (a < b) {
    const c = raw.charCodeAt(a);
    if (c !== 34 && !isSpace(c)) break;
    a++;
  }
  while (b > a) {
    const c = raw.charCodeAt(b - 1);
    if (c !== 34 && !isSpace(c)) break;
    b--;
  }
  return a === 0 && b === raw.length ? raw : raw.slice(a, b);
}

/** `\x` → `x` (backslash escapes of a quoted string; a backslash before a line terminator stays). */
export function unescapeBackslashes(raw: string): string {
  return raw.indexOf('\\') < 0 ? raw : raw.replace(/\\(.)/g, '$1');
}

/** Parse `[display] <sip:...>`; null when it does not fit (§4.2: then ignored). */
export function parseCpimIdentity(value: string): CpimIdentity | null {
  const m = IDENTITY_RE.exec(value);
  if (!m) return null;
  const raw = m[1] !== undefined ? unescapeBackslashes(m[1]) : (m[2] ?? '');
  const display = trimDisplayName(raw);
  return { displayName: display === '' ? null : display, uri: m[3]! };
}

/** The media type of a Content-Type value: lower case, parameters dropped. */
export function mediaType(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/**
 * Split at the first blank line (the first match of `/\r?\n\r?\n/`): the text before it and after it,
 * or null. Scanned with `indexOf` (no regular expression, no match object).
 */
function splitAtBlankLine(s: string): [string, string] | null {
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) {
    const n = s.charCodeAt(i + 1);
    const end = n === 10 ? i + 2 : n === 13 && s.charCodeAt(i + 2) === 10 ? i + 3 : -1;
    if (end < 0) continue;
    return [s.slice(0, i > 0 && s.charCodeAt(i - 1) === 13 ? i - 1 : i), s.slice(end)];
  }
  return null;
}

/** Is `s[from, to)` a non-empty run of `[A-Za-z0-9_-]` (`underscore` false: `[A-Za-z0-9-]`)? */
function isToken(s: string, from: number, to: number, underscore = true): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || (underscore && c === 95))) return false;
  }
  return true;
}

/** `s.indexOf(ch, from)`, or `s.length` when absent. */
function indexOrLength(s: string, ch: string, from: number): number {
  const i = s.indexOf(ch, from);
  return i < 0 ? s.length : i;
}

/** What `.` does not match: a value holding one of these does not fit `(.*)$`. */
const LINE_TERMINATOR = /[\r\n\u2028\u2029]/;

/** `value.split(',')`, each item trimmed, empty items dropped. */
function splitList(value: string): string[] {
  const list: string[] = [];
  for (let p = 0; ; ) {
    const c = value.indexOf(',', p);
    const item = (c < 0 ? value.slice(p) : value.slice(p, c)).trim();
    if (item !== '') list.push(item);
    if (c < 0) return list;
    p = c + 1;
  }
}

/** Unwrap a CPIM body (already decoded as UTF-8). Throws {@link CpimError} when there is no blank line. */
export function parseCpim(body: string): CpimMessage {
  const parts = splitAtBlankLine(body);
  if (!parts) throw new CpimError('no blank line between CPIM headers and content');
  const [head, entity] = parts;
  const msg: CpimMessage = {
    from: null,
    to: [],
    cc: [],
    subject: null,
    dateTime: null,
    namespaces: new Map(),
    headers: [],
    messageId: null,
    dispositionNotification: null,
    contentType: 'text/plain',
    contentTypeRaw: null,
    contentHeaders: [],
    content: '',
  };
  // Header lines, scanned by hand (lines as `split(/\r?\n/)` cuts them) with the rules of the regular
  // expression `^(?:([A-Za-z0-9_-]+)\.)?([A-Za-z0-9_-]+):[ \t]*(.*)$`: prefix and name are tokens, the
  // value holds no line terminator; a line that does not fit is ignored.
  let nextColon = -1;
  let nextDot = -1;
  for (let pos = 0; pos <= head.length; ) {
    // The line [pos, end) as `split(/\r?\n/)` cuts it; the next one starts at `next`.
    const nl = head.indexOf('\n', pos);
    const end = nl < 0 ? head.length : nl > pos && head.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    const lineStart = pos;
    pos = nl < 0 ? head.length + 1 : nl + 1;
    // Tokens cannot hold ':', so the first ':' ends the name; `prefix.` is split off at the first '.'.
    // (The next ':' and '.' are remembered across lines, so the scan stays linear.)
    if (nextColon < lineStart) nextColon = indexOrLength(head, ':', lineStart);
    const colon = nextColon;
    if (colon >= end) continue;
    if (nextDot < lineStart) nextDot = indexOrLength(head, '.', lineStart);
    const dot = nextDot;
    const hasPrefix = dot < colon;
    const nameStart = hasPrefix ? dot + 1 : lineStart;
    if (!isToken(head, nameStart, colon) || (hasPrefix && !isToken(head, lineStart, dot))) continue;
    const raw = head.slice(colon + 1, end);
    if (LINE_TERMINATOR.test(raw)) continue;
    const prefix = hasPrefix ? head.slice(lineStart, dot) : undefined;
    let namespace = '';
    if (prefix !== undefined) {
      const ns = msg.namespaces.get(prefix);
      if (ns === undefined) continue; // undeclared prefix: ignored
      namespace = ns;
    }
    const name = head.slice(nameStart, colon);
    const value = raw.trim();
    const lname = name.toLowerCase();
    if (namespace === '') {
      if (lname === 'from') {
        const id = parseCpimIdentity(value);
        if (id) msg.from = id;
        continue;
      }
      if (lname === 'to' || lname === 'cc') {
        const id = parseCpimIdentity(value);
        if (id) (lname === 'to' ? msg.to : msg.cc).push(id);
        continue;
      }
      if (lname === 'subject') {
        msg.subject = value;
        continue;
      }
      if (lname === 'datetime') {
        msg.dateTime = value;
        continue;
      }
      if (lname === 'ns') {
        const nm = NS_RE.exec(value);
        if (nm) msg.namespaces.set(nm[1]!, nm[2]!);
        continue;
      }
      if (lname === 'required') continue;
    }
    msg.headers.push({ namespace, name, value });
    if (lname === 'message-id' && msg.messageId === null && value !== '') msg.messageId = value;
    if (lname === 'disposition-notification' && msg.dispositionNotification === null) {
      msg.dispositionNotification = splitList(value);
    }
  }
  // Inner MIME entity: headers, blank line, content. No headers at all → the whole entity is content.
  const c0 = entity.indexOf(':');
  const inner = c0 > 0 && isToken(entity, 0, c0, false) ? splitAtBlankLine(entity) : null;
  if (inner) {
    const [ihead, content] = inner;
    let c = -1;
    for (let pos = 0; pos <= ihead.length; ) {
      const nl = ihead.indexOf('\n', pos);
      const end = nl < 0 ? ihead.length : nl > pos && ihead.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (c < pos) c = indexOrLength(ihead, ':', pos);
      const lineStart = pos;
      pos = nl < 0 ? ihead.length + 1 : nl + 1;
      if (c >= end || c === lineStart) continue;
      const hname = ihead.slice(lineStart, c).trim();
      const hvalue = ihead.slice(c + 1, end).trim();
      msg.contentHeaders.push([hname, hvalue]);
      if (msg.contentTypeRaw === null && hname.toLowerCase() === 'content-type') {
        msg.contentTypeRaw = hvalue;
        const mt = mediaType(hvalue);
        if (mt !== '') msg.contentType = mt;
      }
    }
    msg.content = content;
  } else {
    msg.content = entity;
  }
  return msg;
}

function formatIdentity(id: CpimIdentity): string {
  return id.displayName ? `${id.displayName.replace(/[\r\n<>"]/g, '')} <${id.uri}>` : `<${id.uri}>`;
}

export interface BuildCpimOptions {
  from: CpimIdentity;
  to: CpimIdentity;
  /** Already formatted (`formatTimestamp`). */
  dateTime: string;
  messageId: string;
  /** e.g. `['positive-delivery', 'display']`; omitted when absent or empty (IMDN bodies). */
  dispositionNotification?: readonly string[] | null;
  /** Inner Content-Type value (parameters allowed, e.g. `text/plain; charset="utf-8"`). */
  contentType: string;
  content: string;
}

/**
 * Build a CPIM body as §6.3.1 shows: CRLF throughout (allowed by §6.3.1), the display name unquoted,
 * `imdn.` headers after `NS: imdn <urn:ietf:params:imdn>`, inner `MIME-Version: 1.0` + Content-Type.
 */
export function buildCpim(o: BuildCpimOptions): string {
  const lines = [
    `From: ${formatIdentity(o.from)}`,
    `To: ${formatIdentity(o.to)}`,
    `DateTime: ${o.dateTime}`,
    `NS: imdn <${IMDN_NAMESPACE_URN}>`,
    `imdn.Message-ID: ${o.messageId.replace(/[\r\n]/g, '')}`,
  ];
  if (o.dispositionNotification && o.dispositionNotification.length > 0) {
    lines.push(`imdn.Disposition-Notification: ${o.dispositionNotification.join(', ')}`);
  }
  return `${lines.join('\r\n')}\r\n\r\nMIME-Version: 1.0\r\nContent-Type: ${o.contentType}\r\n\r\n${o.content}`;
}
