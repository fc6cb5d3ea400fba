/**
 * The messaging layer's `SipClient` in standalone mode (`standalone.md` §3): what the SIP proxy does
 * for the MESSAGEs this server originates in proxy mode, done in-process, since there is no proxy.
 * - A message of a WebSocket client (CPIM, `sip-messaging.md` §6.3.1–§6.3.2) for an account of a
 *   domain we serve is handed to the messaging pipeline as the storage copy (`X-Sylk-App`), exactly
 *   as the proxy would bring it: one dispatch for every source. Its answer is the answer. The
 *   recipient's devices then get it from SIP delivery (`delivery.ts`), like every stored message.
 * - A notice for SIP devices (`X-Sylk-To-Sip`: sync notices, server notices) is sent to the
 *   registered devices of its To account (best effort; answered `200` at once).
 * - Anything else (another domain, REGISTER, OPTIONS) goes out through the SIP stack unchanged.
 */
import type { OutgoingRequest, OutgoingResult, RequestHandler, SipClient } from '../../sip/api.js';
import { Headers, type SipRequest, type SipResponse } from '../../sip/message/message.js';
import { parseNameAddr } from '../../sip/message/grammar.js';
import { aorOf } from '../../sip/message/uri.js';
import type { DeviceSender } from '../../registrar/device-sender.js';
import { runFromDevice } from '../../registrar/origin.js';
import type { Logger } from '../../util/logger.js';
import { APPLICATION_NAME } from '../outbound.js';

export interface StandaloneRouterOptions {
  stack: SipClient;
  devices: Pick<DeviceSender, 'sendToAccount'>;
  servesDomain: (domain: string) => boolean;
  /** The host of our own address (From tag/Call-ID host of in-process requests). */
  localHost: string;
  log: Logger;
}

let counter = 0;

function response(status: number, reason: string, callId: string): SipResponse {
  const headers = new Headers();
  headers.append('call-id', callId);
  return { kind: 'response', version: 'SIP/2.0', status, reason, headers, body: Buffer.alloc(0) };
}

export class StandaloneRouter implements SipClient {
  private handler: RequestHandler | undefined;

  constructor(private readonly o: StandaloneRouterOptions) {}

  /** The messaging pipeline (created after this client, which it is given). */
  setHandler(handler: RequestHandler): void {
    this.handler = handler;
  }

  async send(out: OutgoingRequest): Promise<OutgoingResult> {
    const aor = out.method === 'MESSAGE' && out.target === undefined ? aorOf(out.uri) : undefined;
    const at = aor?.lastIndexOf('@') ?? -1;
    if (!aor || at < 0 || !this.o.servesDomain(aor.slice(at + 1).toLowerCase()) || !this.handler) return this.o.stack.send(out);
    const callId = out.callId ?? `${Date.now().toString(36)}-${++counter}@${this.o.localHost}`;
    const cseq = out.cseq ?? 1;
    const body = out.body === undefined ? Buffer.alloc(0) : typeof out.body === 'string' ? Buffer.from(out.body, 'utf8') : out.body;
    const extra = out.headers ?? [];
    if (extra.some(([n]) => n.toLowerCase() === 'x-sylk-to-sip')) {
      const account = aor.replace(/@([^@]*)$/, (_m: string, d: string) => `@${d.toLowerCase()}`);
      const p = this.o.devices.sendToAccount(account, {
        from: out.from,
        to: out.to,
        contentType: out.contentType ?? 'text/plain',
        body,
        headers: extra.filter(([n]) => n.toLowerCase() !== 'user-agent'),
        callId,
      });
      p.catch((err: unknown) => this.o.log.warn({ err, account }, 'notice to SIP devices failed'));
      return { response: response(200, 'OK', callId), cseq, callId };
    }
    const headers = new Headers();
    headers.append('from', `${out.from};tag=${(++counter).toString(36)}`);
    headers.append('to', out.to);
    headers.append('call-id', callId);
    headers.append('cseq', `${cseq} MESSAGE`);
    for (const [name, value] of extra) if (name.toLowerCase() !== 'x-sylk-app') headers.append(name, value);
    headers.append('x-sylk-app', APPLICATION_NAME);
    if (out.contentType) headers.append('content-type', out.contentType);
    const request: SipRequest = { kind: 'request', method: 'MESSAGE', uri: out.uri, version: 'SIP/2.0', headers, body };
    try {
      const handler = this.handler;
      const incoming = { request, source: { protocol: 'tcp' as const, address: this.o.localHost, port: 0 } };
      // Marked as this server's own request, so that SIP delivery can pass on what only the request
      // holds (an IMDN's report, `delivery.ts`).
      const fromUri = parseNameAddr(out.from)?.uri;
      const from = fromUri !== undefined ? aorOf(fromUri) : undefined;
      const spec = from ? await runFromDevice({ aor: from, flow: null, request }, () => handler(incoming)) : await handler(incoming);
      return { response: response(spec.status, spec.reason ?? '', callId), cseq, callId };
    } catch (err) {
      this.o.log.error({ err, uri: out.uri }, 'in-process MESSAGE failed');
      return { response: response(500, 'Server Internal Error', callId), cseq, callId };
    }
  }
}
