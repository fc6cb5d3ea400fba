/**
 * One sylkRTC WebSocket connection (`sylkrtc-websocket.md` §1.5, §1.9–§1.11): its account bindings,
 * the request queue and the way frames go out.
 *
 * Processing model (§1.10): requests of a connection are handled strictly one at a time in arrival
 * order, each answered by exactly one `ack`/`error`; events a request causes for this connection go
 * out after its `ack`. Two exceptions answered on receipt, so a slow request (a large sync) never
 * delays them: `ping` (the client's 30 s watchdog, §1.6) and frames that fail validation.
 * Requests are decoded by `decode.ts` and run by their module (`requests/`), which see the connection
 * only as a `RequestConnection`.
 */
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Binding } from './binding.js';
import type { SylkRtcContext } from './context.js';
import { decodeFrame } from './decode.js';
import { Errors, RequestError } from './errors.js';
import { MessagingError } from '../messaging/index.js';
import { logger } from '../util/logger.js';
import { wsRequests } from './metrics.js';
import type { OutgoingFrame } from './protocol.js';
import { handleRequest, type AnyRequest, type RequestConnection } from './requests/index.js';

const log = logger.child({ module: 'sylkrtc.connection' });

/** Close a connection whose peer does not read: more than this many bytes queued. */
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;
/** Requests queued behind a slow one before the connection is considered abusive. */
const MAX_QUEUED_REQUESTS = 1000;
/** A request not finished after this long is answered with an error so the queue moves on. */
export const REQUEST_TIMEOUT_MS = 30_000;

export class Connection implements RequestConnection {
  readonly id = randomBytes(9).toString('base64url');
  readonly bindings = new Map<string, Binding>();
  private readonly queue: AnyRequest[] = [];
  private busy = false;
  closed = false;

  constructor(
    readonly ctx: SylkRtcContext,
    private readonly ws: WebSocket,
    /** Remote address, for logs and file-transfer authorisation (§16). */
    readonly remoteAddress: string,
  ) {}

  /** Send one text frame; a Buffer must hold UTF-8 JSON (sent as text, not re-encoded). */
  sendRaw(json: string | Buffer): void {
    if (this.closed || this.ws.readyState !== 1) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      log.warn({ conn: this.id }, 'peer does not read; closing');
      this.ws.terminate();
      return;
    }
    if (typeof json === 'string') this.ws.send(json);
    else this.ws.send(json, { binary: false });
  }

  send(frame: OutgoingFrame): void {
    this.sendRaw(JSON.stringify(frame));
  }

  ack(transaction: string): void {
    this.sendRaw(`{"sylkrtc":"ack","transaction":${JSON.stringify(transaction)}}`);
  }

  error(transaction: string | undefined, error: string): void {
    this.send(transaction === undefined ? { sylkrtc: 'error', error } : { sylkrtc: 'error', transaction, error });
  }

  /** One text frame from the client (§1.4). */
  onText(text: string): void {
    const decoded = decodeFrame(text);
    if (!decoded.ok) {
      wsRequests.inc({ request: 'invalid', outcome: 'invalid' });
      this.error(decoded.transaction, decoded.error);
      return;
    }
    const req = decoded.request;
    if (req.sylkrtc === 'ping') {
      wsRequests.inc({ request: 'ping', outcome: 'ack' });
      this.ack(req.transaction);
      return;
    }
    if (this.queue.length >= MAX_QUEUED_REQUESTS) {
      this.error(req.transaction, Errors.tooManyPending);
      return;
    }
    this.queue.push(req);
    if (!this.busy) void this.drain();
  }

  /** Binary frames are not part of the protocol (§1.4): answered with an error, connection kept. */
  onBinary(): void {
    this.error(undefined, Errors.binaryFrame);
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const req = this.queue.shift()!;
        let after: (() => void) | void = undefined;
        try {
          after = await withTimeout(handleRequest(this.ctx, this, req), REQUEST_TIMEOUT_MS);
          this.ack(req.transaction);
          wsRequests.inc({ request: req.sylkrtc, outcome: 'ack' });
        } catch (err) {
          this.error(req.transaction, errorText(err, req));
          wsRequests.inc({ request: req.sylkrtc, outcome: 'error' });
          continue;
        }
        if (after) {
          try {
            after();
          } catch (err) {
            log.error({ err, conn: this.id, request: req.sylkrtc }, 'post-ack step failed');
          }
        }
      }
    } finally {
      this.busy = false;
    }
  }

  /**
   * The socket closed: drop every binding (§1.5 step 4). Resolves when their registrations are
   * removed (un-REGISTERs answered); never rejects.
   */
  onClose(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.queue.length = 0;
    const stops = [...this.bindings.values()].map((b) => this.dropBinding(b));
    this.bindings.clear();
    return Promise.all(stops).then(() => undefined);
  }

  /** Remove a binding from routing and end its registration (account-remove / close). */
  dropBinding(b: Binding): Promise<void> {
    this.ctx.registry.delete(b);
    b.authenticated = false;
    b.generation++;
    const s = b.session;
    b.session = null;
    return s ? s.stop().catch(() => undefined) : Promise.resolve();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RequestError(Errors.timedOut)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function errorText(err: unknown, req: AnyRequest): string {
  if (err instanceof RequestError) return err.message;
  if (err instanceof MessagingError && (err.code === 'invalid' || err.code === 'unavailable')) return err.message;
  log.error({ err, request: req.sylkrtc }, 'request failed');
  return Errors.internal;
}
