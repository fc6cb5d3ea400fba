/**
 * A small, strict, namespace-aware XML reader and an escaping helper, for the three XML payloads the
 * messaging server reads: IMDN (RFC 5438), is-composing (RFC 3994) and RCS FT-HTTP (GSMA RCC.07).
 *
 * Hand-written on purpose: those documents are a few hundred bytes of elements, attributes and text;
 * what we need is namespace resolution (RFC 5438 documents are matched by namespace URI, not by prefix)
 * and a parser that refuses DTDs/entities outright (no XXE, no billion laughs). The maintained npm XML
 * parsers either do not resolve namespaces or pull in a DOM; neither is worth a dependency here.
 *
 * Supported: XML declaration, comments, processing instructions (skipped), CDATA, the five predefined
 * entities and numeric character references, default and prefixed namespace declarations. Refused
 * (throws {@link XmlError}): `<!DOCTYPE`, unknown entities, mismatched tags, undeclared prefixes,
 * trailing garbage, more than 1 000 elements or a nesting deeper than 32.
 */

export class XmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlError';
  }
}

export interface XmlElement {
  /** Namespace URI ('' when none). */
  ns: string;
  /** Local name (without prefix). */
  name: string;
  /** Attributes by local name (unprefixed and prefixed alike; last wins). */
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element. */
  text: string;
}

const MAX_ELEMENTS = 1000;
const MAX_DEPTH = 32;
const NAME_RE = /^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?/;

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z]+);|&/g, (m, ref: string | undefined) => {
    if (ref === undefined) throw new XmlError('bare "&" in character data');
    if (ref === 'lt') return '<';
    if (ref === 'gt') return '>';
    if (ref === 'amp') return '&';
    if (ref === 'quot') return '"';
    if (ref === 'apos') return "'";
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (!Number.isFinite(code) || code > 0x10ffff || code < 1) throw new XmlError(`bad character reference ${m}`);
      return String.fromCodePoint(code);
    }
    throw new XmlError(`unknown entity ${m}`);
  });
}

/** Escape text for element content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

interface Frame {
  el: XmlElement;
  qname: string;
  nsMap: Map<string, string>;
}

/** Parse a whole document; returns the root element. */
export function parseXml(input: string): XmlElement {
  let i = 0;
  let count = 0;
  const stack: Frame[] = [];
  let root: XmlElement | null = null;
  const rootNs = new Map<string, string>([['xml', 'http://www.w3.org/XML/1998/namespace']]);
  const n = input.length;

  const skipWs = (): void => {
    while (i < n && /\s/.test(input[i]!)) i++;
  };

  while (i < n) {
    const lt = input.indexOf('<', i);
    const textEnd = lt < 0 ? n : lt;
    if (textEnd > i) {
      const raw = input.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (top) top.el.text += decodeEntities(raw);
      else if (raw.trim() !== '') throw new XmlError('text outside the root element');
      i = textEnd;
      continue;
    }
    // input[i] === '<'
    if (input.startsWith('<?', i)) {
      const end = input.indexOf('?>', i + 2);
      if (end < 0) throw new XmlError('unterminated processing instruction');
      i = end + 2;
      continue;
    }
    if (input.startsWith('<!--', i)) {
      const end = input.indexOf('-->', i + 4);
      if (end < 0) throw new XmlError('unterminated comment');
      i = end + 3;
      continue;
    }
    if (input.startsWith('<![CDATA[', i)) {
      const end = input.indexOf(']]>', i + 9);
      if (end < 0) throw new XmlError('unterminated CDATA');
      const top = stack[stack.length - 1];
      if (!top) throw new XmlError('CDATA outside the root element');
      top.el.text += input.slice(i + 9, end);
      i = end + 3;
      continue;
    }
    if (input.startsWith('<!', i)) throw new XmlError('DTDs and declarations are not accepted');
    if (input.startsWith('</', i)) {
      i += 2;
      const m = NAME_RE.exec(input.slice(i, i + 256));
      if (!m) throw new XmlError('bad end tag');
      i += m[0].length;
      skipWs();
      if (input[i] !== '>') throw new XmlError('bad end tag');
      i++;
      const top = stack.pop();
      if (!top || top.qname !== m[0]) throw new XmlError(`mismatched end tag </${m[0]}>`);
      continue;
    }
    // start tag
    i++;
    const m = NAME_RE.exec(input.slice(i, i + 256));
    if (!m) throw new XmlError('bad start tag');
    const qname = m[0];
    i += m[0].length;
    const rawAttrs: Array<[string, string]> = [];
    let selfClosing = false;
    for (;;) {
      const before = i;
      skipWs();
      if (input.startsWith('/>', i)) {
        selfClosing = true;
        i += 2;
        break;
      }
      if (input[i] === '>') {
        i++;
        break;
      }
      if (i === before) throw new XmlError(`bad attribute list in <${qname}>`);
      const am = NAME_RE.exec(input.slice(i, i + 256));
      if (!am) throw new XmlError(`bad attribute in <${qname}>`);
      i += am[0].length;
      skipWs();
      if (input[i] !== '=') throw new XmlError(`attribute without value in <${qname}>`);
      i++;
      skipWs();
      const q = input[i];
      if (q !== '"' && q !== "'") throw new XmlError(`unquoted attribute in <${qname}>`);
      const end = input.indexOf(q, i + 1);
      if (end < 0) throw new XmlError('unterminated attribute value');
      const value = input.slice(i + 1, end);
      if (value.includes('<')) throw new XmlError('"<" in attribute value');
      rawAttrs.push([am[0], decodeEntities(value)]);
      i = end + 1;
    }
    if (++count > MAX_ELEMENTS) throw new XmlError('too many elements');
    if (stack.length >= MAX_DEPTH) throw new XmlError('nesting too deep');
    const parentNs = stack[stack.length - 1]?.nsMap ?? rootNs;
    let nsMap = parentNs;
    for (const [k, v] of rawAttrs) {
      if (k === 'xmlns' || k.startsWith('xmlns:')) {
        if (nsMap === parentNs) nsMap = new Map(parentNs);
        nsMap.set(k === 'xmlns' ? '' : k.slice(6), v);
      }
    }
    const colon = qname.indexOf(':');
    const prefix = colon < 0 ? '' : qname.slice(0, colon);
    const ns = nsMap.get(prefix);
    if (ns === undefined && prefix !== '') throw new XmlError(`undeclared prefix ${prefix}`);
    const attrs: Record<string, string> = {};
    for (const [k, v] of rawAttrs) {
      if (k === 'xmlns' || k.startsWith('xmlns:')) continue;
      const c = k.indexOf(':');
      if (c >= 0 && !nsMap.has(k.slice(0, c))) throw new XmlError(`undeclared prefix ${k.slice(0, c)}`);
      attrs[c < 0 ? k : k.slice(c + 1)] = v;
    }
    const el: XmlElement = { ns: ns ?? '', name: colon < 0 ? qname : qname.slice(colon + 1), attrs, children: [], text: '' };
    const parent = stack[stack.length - 1];
    if (parent) parent.el.children.push(el);
    else if (root) throw new XmlError('more than one root element');
    else root = el;
    if (!selfClosing) stack.push({ el, qname, nsMap });
  }
  if (stack.length > 0) throw new XmlError(`unclosed element <${stack[stack.length - 1]!.qname}>`);
  if (!root) throw new XmlError('no root element');
  return root;
}

/** First child with that namespace and local name. */
export function child(el: XmlElement, ns: string, name: string): XmlElement | undefined {
  return el.children.find((c) => c.ns === ns && c.name === name);
}

/** Trimmed text of the first such child, or undefined. */
export function childText(el: XmlElement, ns: string, name: string): string | undefined {
  const c = child(el, ns, name);
  return c === undefined ? undefined : c.text.trim();
}
