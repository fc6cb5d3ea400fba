/**
 * One SIP-over-WebSocket connection (RFC 7118): each text or binary frame carries exactly one SIP
 * message (§5), so there is no framing beyond the WebSocket's own; the `ws` package enforces the
 * frame size limit (`maxPayload`). An idle connection is closed after the idle timeout; ping/pong
 * from the peer counts as traffic.
 */
import { isUtf8 } from 'node:buffer';
import type { WebSocket } from 'ws';
import type { TransportAddress, TransportProtocol } from '../message/message.js';
import type { Connection } from './types.js';

let nextId = 1_000_000_000;

export class WsConnection implements Connection {
  readonly id = nextId++;
  closed = false;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  onFrame: (data: Buffer) => void = () => {};
  onClose: (conn: WsConnection) => void = () => {};

  constructor(
    readonly protocol: TransportProtocol,
    readonly socket: WebSocket,
    readonly remote: TransportAddress,
    readonly localPort: number,
    private readonly idleTimeoutMs: number,
    private readonly maxWriteBufferBytes: number,
  ) {
    this.touch();
    socket.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      this.touch();
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      this.onFrame(buf);
    });
    socket.on('ping', () => this.touch());
    socket.on('pong', () => this.touch());
    socket.on('error', () => this.close('socket error'));
    socket.on('close', () => this.close('closed by peer'));
  }

  private touch(): void {
    if (this.closed) return;
    if (this.idleTimer) this.idleTimer.refresh();
    else this.idleTimer = setTimeout(() => this.close('idle timeout'), this.idleTimeoutMs);
  }

  send(bytes: Buffer, cb?: (err?: Error) => void): void {
    if (this.closed) {
      cb?.(new Error('connection closed'));
      return;
    }
    if (this.socket.bufferedAmount > this.maxWriteBufferBytes) {
      this.close('write buffer full');
      cb?.(new Error('connection write buffer full'));
      return;
    }
    this.touch();
    // RFC 7118 §5: text frames for UTF-8 messages; binary only when the body is not valid UTF-8.
    this.socket.send(bytes, { binary: !isUtf8(bytes) }, (err) => cb?.(err ?? undefined));
  }

  close(_reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    try {
      this.socket.close(1000);
    } catch {
      this.socket.terminate();
    }
    // Do not wait for a peer that never completes the closing handshake.
    setTimeout(() => this.socket.terminate(), 2000).unref();
    this.onClose(this);
  }
}
