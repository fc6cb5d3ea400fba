/**
 * One TCP or TLS connection (RFC 3261 §18.3, RFC 5626 §3.5.1 keepalive), either accepted or opened by
 * us, as the transport layer sees it: bytes in (handed to the layer's framer through `onData`), bytes
 * out, and the two timers that bound what a peer can hold: an idle timeout (no traffic at all) and an
 * incomplete-message timeout (a message started but not finished, e.g. a peer that sends half a
 * request and stalls). Written on node:net/node:tls directly: the framing is SIP's own.
 */
import type { Socket } from 'node:net';
import type { TransportAddress, TransportProtocol } from '../message/message.js';
import type { Connection } from './types.js';

let nextId = 1;

export interface StreamConnectionOptions {
  idleTimeoutMs: number;
  incompleteMessageTimeoutMs: number;
  /** Most bytes queued for writing before the connection is considered stuck and closed. */
  maxWriteBufferBytes: number;
}

export class StreamConnection implements Connection {
  readonly id = nextId++;
  closed = false;
  private partialTimer: ReturnType<typeof setTimeout> | undefined;
  private ending = false;
  /** Called with each chunk read; returns the bytes the framer still holds (an unfinished message). */
  onData: (chunk: Buffer) => number = () => 0;
  onClose: (conn: StreamConnection) => void = () => {};

  constructor(
    readonly protocol: TransportProtocol,
    readonly socket: Socket,
    readonly remote: TransportAddress,
    private readonly options: StreamConnectionOptions,
  ) {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.setTimeout(options.idleTimeoutMs, () => this.close('idle timeout'));
    socket.on('data', (chunk: Buffer) => {
      if (this.closed) return;
      let held: number;
      try {
        held = this.onData(chunk);
      } catch {
        this.close('framing error');
        return;
      }
      if (this.closed) return;
      if (held > 0) {
        this.partialTimer ??= setTimeout(() => this.close('incomplete message timeout'), this.options.incompleteMessageTimeoutMs);
      } else if (this.partialTimer) {
        clearTimeout(this.partialTimer);
        this.partialTimer = undefined;
      }
    });
    socket.on('error', () => this.close('socket error'));
    socket.on('close', () => this.close('closed by peer'));
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  send(bytes: Buffer, cb?: (err?: Error) => void): void {
    if (this.closed || this.ending) {
      cb?.(new Error('connection closed'));
      return;
    }
    if (this.socket.writableLength > this.options.maxWriteBufferBytes) {
      this.close('write buffer full');
      cb?.(new Error('connection write buffer full'));
      return;
    }
    if (!cb) {
      this.socket.write(bytes);
      return;
    }
    // Node does not always call a write callback when the socket dies before connecting (e.g. a
    // failed TLS handshake): keep it, and fail it on close.
    let called = false;
    const once = (err?: Error): void => {
      if (called) return;
      called = true;
      this.pendingWrites.delete(once);
      cb(err);
    };
    this.pendingWrites.add(once);
    this.socket.write(bytes, (err) => once(err ?? undefined));
  }

  private readonly pendingWrites = new Set<(err?: Error) => void>();

  /**
   * Close once the queued bytes are written (e.g. an error response before dropping the peer): send
   * FIN, keep reading and discarding what the peer still sends (destroying a socket with unread data
   * makes the kernel send RST, and the peer would lose our response), destroy after at most 1 s.
   */
  closeAfterWrite(reason?: string): void {
    if (this.closed || this.ending) return;
    this.ending = true;
    this.onData = () => 0;
    this.socket.end();
    setTimeout(() => this.close(reason), 1000).unref();
  }



  close(reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.partialTimer) clearTimeout(this.partialTimer);
    this.partialTimer = undefined;
    this.socket.destroy();
    for (const cb of [...this.pendingWrites]) cb(new Error(`connection closed (${reason ?? 'closed'})`));
    this.onClose(this);
  }
}
