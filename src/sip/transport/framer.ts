/**
 * The stream framer for TCP/TLS (RFC 3261 §18.3: Content-Length frames messages on streams; RFC 5626
 * §4.4.1: CRLF keep-alives), on top of the message parser (`../message/parser.ts`).
 */
import { resolveLimits, type SipLimits } from '../limits.js';
import type { SipMessage } from '../message/message.js';
import { EMPTY, error, finish, parseHead, type Head, type ParseError } from '../message/parser.js';

const CRLFCRLF = Buffer.from('\r\n\r\n');

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
