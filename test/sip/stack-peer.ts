// A minimal SIP peer for tests: sends raw requests over UDP or TCP to the stack under test and
// collects what comes back, parsed with the project's parser.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import type { SipMessage, SipResponse } from '../../src/sip/message/message.js';
import { parseMessage } from '../../src/sip/message/parser.js';
import { StreamFramer } from '../../src/sip/transport/framer.js';

export interface Peer {
  readonly port: number;
  readonly received: SipMessage[];
  /** Every datagram (UDP) or chunk (TCP) received, as text, including unparseable ones. */
  readonly raw: string[];
  readonly closed: boolean;
  send(data: string | Buffer): void;
  /** Wait until `predicate` holds for some received message (or time out). */
  waitFor(predicate: (m: SipMessage) => boolean, timeoutMs?: number): Promise<SipMessage>;
  close(): Promise<void>;
}

function waiter(received: SipMessage[], listeners: Set<() => void>) {
  return (predicate: (m: SipMessage) => boolean, timeoutMs = 3000): Promise<SipMessage> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = received.find(predicate);
        if (hit) {
          clearTimeout(timer);
          listeners.delete(check);
          resolve(hit);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`timed out waiting; got ${received.map((m) => (m.kind === 'response' ? m.status : m.method)).join(',')}`));
      }, timeoutMs);
      if (!check()) listeners.add(check);
    });
}

export async function udpPeer(targetPort: number): Promise<Peer> {
  const sock: UdpSocket = createSocket('udp4');
  const received: SipMessage[] = [];
  const listeners = new Set<() => void>();
  const raw: string[] = [];
  sock.on('message', (msg) => {
    raw.push(msg.toString());
    const r = parseMessage(msg);
    if (!r.ok) for (const l of [...listeners]) l();
    if (r.ok) {
      received.push(r.message);
      for (const l of [...listeners]) l();
    }
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
  return {
    port: sock.address().port,
    received,
    raw,
    closed: false,
    send: (data) => sock.send(typeof data === 'string' ? Buffer.from(data) : data, targetPort, '127.0.0.1'),
    waitFor: waiter(received, listeners),
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}

export async function tcpPeer(targetPort: number): Promise<Peer & { socket: Socket }> {
  const socket = connect({ host: '127.0.0.1', port: targetPort });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const received: SipMessage[] = [];
  const listeners = new Set<() => void>();
  const framer = new StreamFramer();
  let closed = false;
  const raw: string[] = [];
  socket.on('data', (chunk) => {
    raw.push(chunk.toString());
    for (const ev of framer.push(chunk)) {
      if (ev.type === 'message') {
        received.push(ev.message);
        for (const l of [...listeners]) l();
      }
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
    for (const l of [...listeners]) l();
  });
  return {
    socket,
    port: socket.localPort ?? 0,
    received,
    raw,
    get closed() {
      return closed;
    },
    send: (data) => {
      if (!socket.destroyed) socket.write(data);
    },
    waitFor: waiter(received, listeners),
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.destroyed) resolve();
        else {
          socket.once('close', () => resolve());
          socket.destroy();
        }
      }),
  };
}

let counter = 0;

/** A well-formed request; `via` transport and sent-by port default to UDP and the peer's port. */
export function request(
  method: string,
  opts: { port: number; transport?: string; branch?: string; callId?: string; cseq?: number; extra?: string; body?: string; rport?: boolean; uri?: string } ,
): string {
  const n = ++counter;
  const branch = opts.branch ?? `z9hG4bKtest${n}x${Math.random().toString(36).slice(2)}`;
  const body = opts.body ?? '';
  return (
    `${method} ${opts.uri ?? 'sip:bob@127.0.0.1'} SIP/2.0\r\n` +
    `Via: SIP/2.0/${opts.transport ?? 'UDP'} 127.0.0.1:${opts.port};branch=${branch}${opts.rport === false ? '' : ';rport'}\r\n` +
    `Max-Forwards: 70\r\n` +
    `From: <sip:alice@example.com>;tag=from${n}\r\n` +
    `To: <sip:bob@example.com>\r\n` +
    `Call-ID: ${opts.callId ?? `call${n}-${Math.random().toString(36).slice(2)}`}\r\n` +
    `CSeq: ${opts.cseq ?? 1} ${method}\r\n` +
    (opts.extra ?? '') +
    (body ? 'Content-Type: text/plain\r\n' : '') +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
    body
  );
}

export function isResponse(status?: number, method?: string): (m: SipMessage) => m is SipResponse {
  return (m): m is SipResponse =>
    m.kind === 'response' && (status === undefined || m.status === status) && (method === undefined || (m.headers.get('cseq') ?? '').endsWith(method));
}
