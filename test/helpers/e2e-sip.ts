/**
 * A SIP device for the end-to-end suite: a byte-level recorder (`sip-recorder.ts`) as the device's
 * contact, registered with the proxy by sipp with digest authentication (fixture e2e/register.xml),
 * and a small UAC that sends MESSAGEs from the recorder's own port through the proxy, answering the
 * proxy's 407 challenge with RFC 2617 digest (MD5, with or without qop=auth). Written by hand, not
 * with our SIP stack, so the suite does not check the server with its own code.
 */
import { createHash, randomBytes } from 'node:crypto';
import { runSipp } from './sipp.js';
import { startRecorder, type RecordedRequest, type SipRecorder } from './sip-recorder.js';

export interface DeviceOptions {
  user: string;
  password: string;
  domain: string;
  /** The contact's UDP port (the recorder). */
  port: number;
  /** sipp's local port for the REGISTER. */
  sippPort: number;
  proxyPort: number;
}

export interface SentMessage {
  callId: string;
  status: number;
  response: string;
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

function headerOf(raw: string, name: string): string | undefined {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0 && line.slice(0, i).trim().toLowerCase() === name.toLowerCase()) return line.slice(i + 1).trim();
  }
  return undefined;
}

function param(challenge: string, name: string): string | undefined {
  const m = new RegExp(`${name}="?([^",]*)"?`, 'i').exec(challenge);
  return m?.[1];
}

export class SipDevice {
  private seq = 0;

  private constructor(
    readonly opts: DeviceOptions,
    readonly recorder: SipRecorder,
  ) {}

  static async start(opts: DeviceOptions): Promise<SipDevice> {
    return new SipDevice(opts, await startRecorder(opts.port));
  }

  get aor(): string {
    return `${this.opts.user}@${this.opts.domain}`;
  }

  get requests(): RecordedRequest[] {
    return this.recorder.requests;
  }

  /** REGISTER the recorder's address as contact (sipp, digest); `expires` 0 removes it. */
  async register(expires = 300): Promise<void> {
    const { user, domain, port, sippPort, proxyPort, password } = this.opts;
    const r = await runSipp({
      scenario: 'e2e/register.xml',
      target: `127.0.0.1:${proxyPort}`,
      localPort: sippPort,
      fields: [[user, domain, `127.0.0.1:${port}`, String(expires)]],
      auth: { username: user, password },
    });
    if (r.code !== 0) throw new Error(`REGISTER ${user} failed:\n${r.output}`);
  }

  /** Polls the recorder for the final response to `callId`/`cseq` (no fixed sleep). */
  private async finalResponse(callId: string, cseq: number, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.recorder.responses.find(
        (r) => headerOf(r, 'Call-ID') === callId && headerOf(r, 'CSeq') === `${cseq} MESSAGE` && !/^SIP\/2\.0 1\d\d /.test(r),
      );
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no final response to MESSAGE ${callId} (CSeq ${cseq})`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * Sends a MESSAGE to `to` (user part or AOR) through the proxy and resolves with its final response;
   * retransmits every 500 ms until a response arrives, and answers one digest challenge.
   */
  async message(to: string, contentType: string, body: string, headers: string[] = [], timeoutMs = 15_000): Promise<SentMessage> {
    const { user, domain, proxyPort, port, password } = this.opts;
    const toAor = to.includes('@') ? to : `${to}@${domain}`;
    const callId = `${randomBytes(8).toString('hex')}@e2e`;
    const tag = randomBytes(4).toString('hex');
    let authorization: string | undefined;
    for (let cseq = 1; cseq <= 2; cseq++) {
      const branch = `z9hG4bK${randomBytes(8).toString('hex')}${++this.seq}`;
      const bodyBytes = Buffer.byteLength(body);
      const raw =
        `MESSAGE sip:${toAor} SIP/2.0\r\n` +
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=${branch};rport\r\n` +
        `Max-Forwards: 70\r\nFrom: <sip:${user}@${domain}>;tag=${tag}\r\nTo: <sip:${toAor}>\r\n` +
        `Call-ID: ${callId}\r\nCSeq: ${cseq} MESSAGE\r\n` +
        (authorization ? `Proxy-Authorization: ${authorization}\r\n` : '') +
        headers.map((h) => `${h}\r\n`).join('') +
        `Content-Type: ${contentType}\r\nContent-Length: ${bodyBytes}\r\n\r\n${body}`;
      this.recorder.send(raw, proxyPort);
      const retransmit = setInterval(() => this.recorder.send(raw, proxyPort), 500);
      let response: string;
      try {
        response = await this.finalResponse(callId, cseq, timeoutMs);
      } finally {
        clearInterval(retransmit);
      }
      const status = Number(/^SIP\/2\.0 (\d{3})/.exec(response)?.[1]);
      if (status !== 407 || cseq === 2) return { callId, status, response };
      const challenge = headerOf(response, 'Proxy-Authenticate') ?? '';
      const realm = param(challenge, 'realm') ?? domain;
      const nonce = param(challenge, 'nonce') ?? '';
      const qop = param(challenge, 'qop');
      const uri = `sip:${toAor}`;
      const a1 = md5(`${user}:${realm}:${password}`);
      const a2 = md5(`MESSAGE:${uri}`);
      if (qop && qop.split(',').map((q) => q.trim()).includes('auth')) {
        const cnonce = randomBytes(8).toString('hex');
        const nc = '00000001';
        const resp = md5(`${a1}:${nonce}:${nc}:${cnonce}:auth:${a2}`);
        authorization = `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${resp}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}"`;
      } else {
        authorization = `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${md5(`${a1}:${nonce}:${a2}`)}", algorithm=MD5`;
      }
    }
    throw new Error('unreachable');
  }

  close(): Promise<void> {
    return this.recorder.close();
  }
}

/** A CPIM (RFC 3862) body as SylkServer's clients send it, with an IMDN request (RFC 5438). */
export function cpim(opts: {
  from: string;
  to: string;
  messageId: string;
  contentType: string;
  content: string;
  disposition?: string;
  dateTime?: string;
}): string {
  const lines = [
    `From: <sip:${opts.from}>`,
    `To: <sip:${opts.to}>`,
    `DateTime: ${opts.dateTime ?? new Date().toISOString()}`,
    'NS: imdn <urn:ietf:params:imdn>',
    `imdn.Message-ID: ${opts.messageId}`,
  ];
  if (opts.disposition) lines.push(`imdn.Disposition-Notification: ${opts.disposition}`);
  return `${lines.join('\r\n')}\r\n\r\nContent-Type: ${opts.contentType}\r\nContent-Length: ${Buffer.byteLength(opts.content)}\r\n\r\n${opts.content}`;
}

/** An IMDN document (RFC 5438 §7.2) reporting `status` (delivered | displayed) for `messageId`. */
export function imdn(messageId: string, dateTime: string, recipient: string, status: 'delivered' | 'displayed'): string {
  const kind = status === 'delivered' ? 'delivery-notification' : 'display-notification';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<imdn xmlns="urn:ietf:params:xml:ns:imdn">\n' +
    `<message-id>${messageId}</message-id>\n<datetime>${dateTime}</datetime>\n<recipient-uri>sip:${recipient}</recipient-uri>\n` +
    `<original-recipient-uri>sip:${recipient}</original-recipient-uri>\n<${kind}><status><${status}/></status></${kind}>\n</imdn>`
  );
}

/** The CPIM payload's inner Content-Type and body of a recorded MESSAGE (or the body itself). */
export function unwrapCpim(req: RecordedRequest): { contentType: string; content: string; headers: string } {
  const ct = req.header('Content-Type') ?? '';
  if (!/^message\/cpim/i.test(ct)) return { contentType: ct, content: req.body, headers: '' };
  const [outer = '', rest = ''] = splitOnce(req.body, '\r\n\r\n');
  const [inner = '', content = ''] = splitOnce(rest, '\r\n\r\n');
  const innerCt = /^content-type:\s*(.*)$/im.exec(inner)?.[1]?.trim() ?? '';
  return { contentType: innerCt, content, headers: outer };
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + sep.length)];
}
