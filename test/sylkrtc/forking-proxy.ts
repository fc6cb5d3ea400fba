/**
 * A tiny stand-in for the SIP proxy's MESSAGE routing (`sip-messaging.md` §2): answers every MESSAGE
 * 200 and forks a copy back to the server under test with `X-Sylk-App: webrtcgateway`, as Kamailio
 * does, unless the MESSAGE carries `X-Sylk-To-Sip` (meant for SIP devices only). `copies` > 1 forks
 * the same MESSAGE several times (new branch each), like a proxy with two routes to us.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { Headers, type SipRequest, type SipResponse } from '../../src/sip/message/message.js';
import { parseMessage } from '../../src/sip/message/parser.js';
import { serializeMessage } from '../../src/sip/message/serializer.js';

export class ForkingProxy {
  readonly received: SipRequest[] = [];
  copies = 1;
  private sock: Socket | null = null;

  constructor(
    readonly port: number,
    private readonly target: () => number,
  ) {}

  async start(): Promise<void> {
    const sock = createSocket('udp4');
    this.sock = sock;
    sock.on('message', (buf, rinfo) => {
      const r = parseMessage(buf);
      if (!r.ok || r.message.kind !== 'request') return;
      const req = r.message;
      if (req.method !== 'MESSAGE') return;
      this.received.push(req);
      const h = new Headers();
      for (const name of ['via', 'from', 'to', 'call-id', 'cseq']) for (const v of req.headers.getAll(name)) h.append(name, name === 'to' && !v.includes('tag=') ? `${v};tag=px` : v);
      h.append('content-length', '0');
      const res: SipResponse = { kind: 'response', version: 'SIP/2.0', status: 200, reason: 'OK', headers: h, body: Buffer.alloc(0) };
      sock.send(serializeMessage(res), rinfo.port, rinfo.address);
      if (req.headers.has('x-sylk-to-sip')) return;
      for (let i = 0; i < this.copies; i++) {
        const fwd = req.headers.clone();
        fwd.prepend('via', `SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK${randomBytes(8).toString('hex')};rport`);
        fwd.set('x-sylk-app', 'webrtcgateway');
        const copy: SipRequest = { ...req, headers: fwd };
        sock.send(serializeMessage(copy), this.target(), '127.0.0.1');
      }
    });
    await new Promise<void>((resolve) => sock.bind(this.port, '127.0.0.1', () => resolve()));
  }

  async stop(): Promise<void> {
    const s = this.sock;
    this.sock = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
