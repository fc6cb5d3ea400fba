/**
 * A sylkRTC WebSocket client for the end-to-end suite (`sylkrtc-websocket.md` §1): the `ws` package,
 * subprotocol `sylkRTC-2`, waits for `ready-event`; `request()` sends a request with a fresh
 * transaction and resolves with its `ack` (rejects on `error`); every other frame is recorded in
 * `events`, and `waitFor()` resolves when enough matching ones have arrived (no fixed sleeps).
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { ha1 } from './kamailio.js';

export type Frame = Record<string, unknown> & { sylkrtc: string };

export interface AccountEvent extends Frame {
  sylkrtc: 'account-event';
  account: string;
  event: string;
}

export class WsClient {
  readonly frames: Frame[] = [];
  private readonly pending = new Map<string, { resolve: (f: Frame) => void; reject: (e: Error) => void }>();
  private waiters: Array<() => void> = [];

  private constructor(
    readonly name: string,
    private readonly ws: WebSocket,
  ) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const frame = JSON.parse(data.toString()) as Frame;
      const tx = typeof frame.transaction === 'string' ? frame.transaction : undefined;
      const p = tx !== undefined && (frame.sylkrtc === 'ack' || frame.sylkrtc === 'error') ? this.pending.get(tx) : undefined;
      if (p) {
        this.pending.delete(tx!);
        if (frame.sylkrtc === 'ack') p.resolve(frame);
        else p.reject(new Error(`${this.name}: error ${String(frame.error)}`));
        return;
      }
      this.frames.push(frame);
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error(`${this.name}: connection closed`));
      this.pending.clear();
    });
  }

  static async connect(url: string, name: string): Promise<WsClient> {
    const ws = new WebSocket(url, 'sylkRTC-2');
    const client = new WsClient(name, ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await client.waitFor((f) => f.sylkrtc === 'ready-event');
    return client;
  }

  request(body: Record<string, unknown> & { sylkrtc: string }, timeoutMs = 15_000): Promise<Frame> {
    const transaction = randomUUID();
    return new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        reject(new Error(`${this.name}: no answer to ${body.sylkrtc} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(transaction, {
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.ws.send(JSON.stringify({ ...body, transaction }));
    });
  }

  /** The account events (optionally of one kind) received so far. */
  events(event?: string, account?: string): AccountEvent[] {
    return this.frames.filter(
      (f): f is AccountEvent =>
        f.sylkrtc === 'account-event' && (event === undefined || f.event === event) && (account === undefined || f.account === account),
    );
  }

  waitFor(predicate: (f: Frame) => boolean, count = 1, timeoutMs = 15_000): Promise<Frame[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${this.name}: timed out waiting for ${count} frame(s); got:\n${this.frames.map((f) => JSON.stringify(f)).join('\n')}`));
      }, timeoutMs);
      const check = (): void => {
        const hits = this.frames.filter(predicate);
        if (hits.length >= count) {
          clearTimeout(timer);
          resolve(hits);
        } else {
          this.waiters.push(check);
        }
      };
      check();
    });
  }

  waitForEvent(event: string, predicate: (e: AccountEvent) => boolean = () => true, count = 1, timeoutMs = 15_000): Promise<AccountEvent[]> {
    return this.waitFor((f) => f.sylkrtc === 'account-event' && f.event === event && predicate(f as AccountEvent), count, timeoutMs) as Promise<
      AccountEvent[]
    >;
  }

  /** account-add with the HA1 of `password` (realm = domain, as sylkrtc.js does). */
  async addAccount(account: string, password: string): Promise<void> {
    const [user, domain] = account.split('@') as [string, string];
    await this.request({ sylkrtc: 'account-add', account, password: ha1(user, domain, password), display_name: user });
  }

  /** account-register; resolves with the final registration-state event. */
  async register(account: string): Promise<AccountEvent> {
    const final = (f: Frame): boolean =>
      f.sylkrtc === 'account-event' && f.event === 'registration-state' && f.account === account && (f.state === 'registered' || f.state === 'failed');
    const before = this.frames.filter(final).length;
    await this.request({ sylkrtc: 'account-register', account });
    const finals = await this.waitFor(final, before + 1);
    return finals[finals.length - 1] as AccountEvent;
  }

  /** account-add + account-register, expecting `registered`. */
  async login(account: string, password: string): Promise<void> {
    await this.addAccount(account, password);
    const r = await this.register(account);
    if (r.state !== 'registered') throw new Error(`${this.name}: ${account} not registered: ${JSON.stringify(r)}`);
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
