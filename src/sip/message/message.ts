/**
 * The SIP message model (RFC 3261 §7): requests and responses as the rest of the stack sees them.
 *
 * Owns: the in-memory shape of a SIP message — start line, an ordered header list with canonical
 * (lower-case, long-form) names, and the body as raw bytes (so UTF-8 and binary bodies round-trip and
 * Content-Length is always a byte count). Parsing lives in `parser.ts`, serialization in
 * `serializer.ts`, the grammar of individual header values (name-addr, Via, CSeq, parameters) in
 * `grammar.ts`. Hand-written because no maintained npm package provides a server-side SIP stack.
 */

/** One header field as it appeared (or will appear) on the wire; `name` is canonical lower case. */
export interface HeaderField {
  /** Canonical name: lower case, compact forms expanded (`f` → `from`, `v` → `via`). */
  readonly name: string;
  /** The raw value, with line folding already unfolded and surrounding whitespace trimmed. */
  readonly value: string;
}

/**
 * An ordered, case-insensitive multimap of header fields. Comma-separated multi-value headers
 * (Via, Contact, Route, ...) are kept as they arrived; `values()` splits them when asked.
 */
export class Headers {
  private fields: HeaderField[];

  constructor(fields: Iterable<HeaderField> = []) {
    this.fields = [...fields];
  }

  /** Wrap `fields` without copying it: the caller hands the array over and must not touch it again. */
  static adopt(fields: HeaderField[]): Headers {
    const h = new Headers();
    h.fields = fields;
    return h;
  }

  /** First value of the header, or undefined. */
  get(name: string): string | undefined {
    const n = name.toLowerCase();
    for (const f of this.fields) if (f.name === n) return f.value;
    return undefined;
  }

  /** Every field value of the header in order (not split at commas). */
  getAll(name: string): string[] {
    const n = name.toLowerCase();
    const out: string[] = [];
    for (const f of this.fields) if (f.name === n) out.push(f.value);
    return out;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Replace every field of that name by one field (appended where the first one was). */
  set(name: string, value: string): void {
    const n = name.toLowerCase();
    const i = this.fields.findIndex((f) => f.name === n);
    this.remove(n);
    const field = { name: n, value };
    if (i < 0 || i > this.fields.length) this.fields.push(field);
    else this.fields.splice(i, 0, field);
  }

  append(name: string, value: string): void {
    this.fields.push({ name: name.toLowerCase(), value });
  }

  /** Insert before every other field (e.g. a new top Via). */
  prepend(name: string, value: string): void {
    this.fields.unshift({ name: name.toLowerCase(), value });
  }

  remove(name: string): void {
    const n = name.toLowerCase();
    for (let i = this.fields.length - 1; i >= 0; i--) if (this.fields[i]!.name === n) this.fields.splice(i, 1);
  }

  /** Replace the value of the first field of that name in place (e.g. the top Via); false if none. */
  replaceFirst(name: string, value: string): boolean {
    const n = name.toLowerCase();
    const i = this.fields.findIndex((f) => f.name === n);
    if (i < 0) return false;
    this.fields[i] = { name: n, value };
    return true;
  }

  /** Remove only the first field of that name (e.g. the top Via of a response). */
  removeFirst(name: string): void {
    const n = name.toLowerCase();
    const i = this.fields.findIndex((f) => f.name === n);
    if (i >= 0) this.fields.splice(i, 1);
  }

  get size(): number {
    return this.fields.length;
  }

  [Symbol.iterator](): Iterator<HeaderField> {
    return this.fields[Symbol.iterator]();
  }

  clone(): Headers {
    return new Headers(this.fields);
  }
}

export interface SipRequest {
  readonly kind: 'request';
  /** Method token, case-sensitive as RFC 3261 says (`MESSAGE`, `OPTIONS`, ...). */
  method: string;
  /** The Request-URI exactly as on the wire; parse it with `parseUri` from `uri.ts`. */
  uri: string;
  /** Always `SIP/2.0` for accepted messages. */
  version: string;
  headers: Headers;
  body: Buffer;
}

export interface SipResponse {
  readonly kind: 'response';
  version: string;
  status: number;
  reason: string;
  headers: Headers;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

/** Which transport a message came in on or goes out over (RFC 3261 §18, RFC 7118). */
export type TransportProtocol = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** Where a message came from / goes to, at the transport layer. */
export interface TransportAddress {
  protocol: TransportProtocol;
  address: string;
  port: number;
}
