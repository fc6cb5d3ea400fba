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
const HEADER_RE = /^(?:([A-Za-z0-9_-]+)\.)?([A-Za-z0-9_-]+):[ \t]*(.*)$/;
const NS_RE = /^\s*([A-Za-z0-9_-]*)\s*<([^>]*)>\s*$/;

/** Parse `[display] <sip:...>`; null when it does not fit (§4.2: then ignored). */
export function parseCpimIdentity(value: string): CpimIdentity | null {
  const m = IDENTITY_RE.exec(value);
  if (!m) return null;
  const raw = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? '');
  const display = raw.replace(/^[\s"]+|[\s"]+$/g, '');
  return { displayName: display === '' ? null : display, uri: m[3]! };
}

/** The media type of a Content-Type value: lower case, parameters dropped. */
export function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

function splitAtBlankLine(s: string): [string, string] | null {
  const m = /\r?\n\r?\n/.exec(s);
  if (!m) return null;
  return [s.slice(0, m.index), s.slice(m.index + m[0].length)];
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
  for (const line of head.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const m = HEADER_RE.exec(line);
    if (!m) continue;
    const [, prefix, name = '', rawValue = ''] = m;
    const value = rawValue.trim();
    let namespace = '';
    if (prefix !== undefined) {
      const ns = msg.namespaces.get(prefix);
      if (ns === undefined) continue; // undeclared prefix: ignored
      namespace = ns;
    }
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
      msg.dispositionNotification = value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    }
  }
  // Inner MIME entity: headers, blank line, content. No headers at all → the whole entity is content.
  const inner = splitAtBlankLine(entity);
  if (inner && /^[A-Za-z0-9-]+:/.test(entity)) {
    const [ihead, content] = inner;
    for (const line of ihead.split(/\r?\n/)) {
      const c = line.indexOf(':');
      if (c <= 0) continue;
      const hname = line.slice(0, c).trim();
      const hvalue = line.slice(c + 1).trim();
      msg.contentHeaders.push([hname, hvalue]);
      if (hname.toLowerCase() === 'content-type' && msg.contentTypeRaw === null) {
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
