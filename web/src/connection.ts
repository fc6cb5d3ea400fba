/**
 * One sylkRTC WebSocket connection (sylkrtc-websocket.md §1): subprotocol `sylkRTC-2`, requests with
 * a transaction each answered by one `ack`/`error` (§1.9), events passed on, the client keepalive
 * (`ping` every 5 s, the socket closed after 6 missed answers, §1.6) and reconnection with back-off
 * after any drop (0.5 s doubling to 16 s, then staying there; reset after a `ready-event`). What to
 * do after (re)connecting — add the account, sync — belongs to the session (session.ts).
 */
import { uuid } from './ids.js';

export type Frame = Record<string, unknown>;
export type ConnectionState = 'connecting' | 'ready' | 'disconnected' | 'closed';

export interface ConnectionHandlers {
  state(state: ConnectionState, retryInMs: number | null): void;
  event(frame: Frame): void;
}

const PING_MS = 5000;
const MAX_MISSED = 6;
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 16000;

export class RequestError extends Error {}

export class Connection {
  private ws: WebSocket | null = null;
  private pending = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private missed = 0;
  state: ConnectionState = 'connecting';

  constructor(
    private readonly url: string,
    private readonly on: ConnectionHandlers,
  ) {}

  open(): void {
    this.setState('connecting', null);
    const ws = new WebSocket(this.url, 'sylkRTC-2');
    this.ws = ws;
    this.missed = 0;
    ws.onmessage = (e) => {
      let f: Frame;
      try {
        f = JSON.parse(String(e.data)) as Frame;
      } catch {
        return;
      }
      this.receive(f);
    };
    ws.onclose = () => {
      if (this.ws === ws) this.dropped();
    };
    this.pingTimer = setInterval(() => {
      if (++this.missed >= MAX_MISSED) {
        ws.close();
        if (this.ws === ws) this.dropped();
        return;
      }
      if (this.state === 'ready') this.request({ sylkrtc: 'ping' }).then(() => (this.missed = 0), () => undefined);
    }, PING_MS);
  }

  /** Send a request; resolves on `ack`, rejects with the server's error text or when the socket drops. */
  request(body: Frame): Promise<void> {
    const ws = this.ws;
    if (!ws || this.state !== 'ready') return Promise.reject(new RequestError('Connection is not ready'));
    const transaction = uuid();
    return new Promise<void>((resolve, reject) => {
      this.pending.set(transaction, { resolve, reject });
      ws.send(JSON.stringify({ ...body, transaction }));
    });
  }

  /** Close for good (sign-out). */
  close(): void {
    this.setState('closed', null);
    this.cleanup();
  }

  /** Retry at once (e.g. when the browser says it is online again). */
  retryNow(): void {
    if (this.state !== 'disconnected') return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.open();
  }

  private receive(f: Frame): void {
    const kind = f.sylkrtc;
    if (kind === 'ready-event') {
      this.retryMs = FIRST_RETRY_MS;
      this.setState('ready', null);
      return;
    }
    if (kind === 'ack' || kind === 'error') {
      const tx = typeof f.transaction === 'string' ? f.transaction : '';
      const p = this.pending.get(tx);
      if (!p) return;
      this.pending.delete(tx);
      if (kind === 'ack') p.resolve();
      else p.reject(new RequestError(typeof f.error === 'string' ? f.error : 'error'));
      return;
    }
    this.on.event(f);
  }

  private cleanup(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close();
    for (const p of this.pending.values()) p.reject(new RequestError('Connection closed'));
    this.pending.clear();
  }

  private dropped(): void {
    if (this.state === 'closed') return;
    this.cleanup();
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.setState('disconnected', wait);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.open();
    }, wait);
  }

  private setState(s: ConnectionState, retryInMs: number | null): void {
    this.state = s;
    this.on.state(s, retryInMs);
  }
}
