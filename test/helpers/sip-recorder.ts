/**
 * A minimal SIP endpoint over UDP for tests that check what a peer (the proxy) sends: it records
 * every request it receives (the raw text) and answers each with `200 OK` copying Via, From, To
 * (adding a tag), Call-ID and CSeq — byte-level and independent of our own SIP stack, so a test of the
 * proxy configuration does not rely on the code it is meant to check against.
 */
import { createSocket, type Socket } from 'node:dgram';

export interface RecordedRequest {
  method: string;
  uri: string;
  raw: string;
  header(name: string): string | undefined;
  body: string;
}

export interface SipRecorder {
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Raw responses received (to requests sent with `send`). */
  readonly responses: string[];
  /** Resolves when `count` requests matching the predicate have arrived. */
  waitFor(predicate: (r: RecordedRequest) => boolean, count?: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Sends raw bytes from this endpoint's own port. */
  send(raw: string, port: number, host?: string): void;
  close(): Promise<void>;
}

function parse(raw: string): RecordedRequest | null {
  const end = raw.indexOf('\r\n\r\n');
  const head = end >= 0 ? raw.slice(0, end) : raw;
  const lines = head.split('\r\n');
  const m = /^([A-Z]+) (\S+) SIP\/2\.0$/.exec(lines[0] ?? '');
  if (!m) return null;
  const headers = lines.slice(1);
  return {
    method: m[1]!,
    uri: m[2]!,
    raw,
    body: end >= 0 ? raw.slice(end + 4) : '',
    header(name: string): string | undefined {
      const n = name.toLowerCase();
      for (const h of headers) {
        const i = h.indexOf(':');
        if (i > 0 && h.slice(0, i).trim().toLowerCase() === n) return h.slice(i + 1).trim();
      }
      return undefined;
    },
  };
}

function okFor(raw: string): string {
  const lines = raw.slice(0, raw.indexOf('\r\n\r\n')).split('\r\n').slice(1);
  const keep = lines.filter((l) => /^(via|v|from|f|to|t|call-id|i|cseq):/i.test(l));
  const withTag = keep.map((l) => (/^(to|t):/i.test(l) && !/;\s*tag=/i.test(l) ? `${l};tag=rec${Math.random().toString(36).slice(2, 10)}` : l));
  return `SIP/2.0 200 OK\r\n${withTag.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`;
}

export async function startRecorder(port: number): Promise<SipRecorder> {
  const sock: Socket = createSocket('udp4');
  const requests: RecordedRequest[] = [];
  const responses: string[] = [];
  const waiters: Array<() => void> = [];
  sock.on('message', (buf, rinfo) => {
    const raw = buf.toString('utf8');
    if (raw.startsWith('SIP/2.0 ')) {
      responses.push(raw);
      return;
    }
    const req = parse(raw);
    if (!req) return;
    requests.push(req);
    if (req.method !== 'ACK') sock.send(okFor(raw), rinfo.port, rinfo.address);
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, '127.0.0.1', () => resolve());
  });
  return {
    // The bound port (the given one, or the one the system chose for 0).
    port: sock.address().port,
    requests,
    responses,
    waitFor(predicate, count = 1, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`timed out waiting for ${count} request(s) on port ${port}; got:\n${requests.map((r) => r.raw).join('\n----\n')}`));
        }, timeoutMs);
        const check = (): void => {
          const hits = requests.filter(predicate);
          if (hits.length >= count) {
            clearTimeout(timer);
            resolve(hits);
          } else {
            waiters.push(check);
          }
        };
        check();
      });
    },
    send(raw, toPort, host = '127.0.0.1') {
      sock.send(raw, toPort, host);
    },
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}
