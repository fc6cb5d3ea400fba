/**
 * Micro-benchmark of the messaging pipeline alone: the SIP `RequestHandler` of `createMessaging` called
 * with already parsed MESSAGEs alice → bob (CPIM text/plain, `X-Sylk-App` + `X-Sylk-From-Sip`: two
 * journal writes, events, 200 after the group commit) against a real SQLite store in a temp directory.
 * Requests are parsed outside the timed part, `window` at a time; each window is handed to the
 * pipeline in one turn and awaited (one group commit per window, as under load).
 *
 * Prints CPU µs per message for the pipeline (store commit included) and, for comparison, for the same
 * two journal writes per message issued straight to the store (`addMany`, same batching): the
 * difference is what the messaging layer costs. `--listeners` adds no-op listeners for `message`,
 * `sync-message-add` and `journal-appended` (as the WebSocket fan-out does for the first two).
 *
 *   npx tsx bench/messaging-pipeline.ts [--messages 200000] [--window 256] [--listeners] [--rounds 3]
 *                                       [--writer thread|inline]   (the SQLite store's write path)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env.SYLK_LOG_LEVEL ??= 'error';
const { loadConfig } = await import('../src/config/index.js');
const { createMessaging } = await import('../src/messaging/index.js');
const { messagingOptionsFromConfig } = await import('../src/cli/server/messaging.js');
const { parseMessage } = await import('../src/sip/message/parser.js');
const { openSqliteStore } = await import('../src/storage/sqlite/index.js');
type IncomingRequest = import('../src/sip/api.js').IncomingRequest;
type SipClient = import('../src/sip/api.js').SipClient;
type NewJournalEntry = import('../src/journal/types.js').NewJournalEntry;

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}
const total = Number(arg('messages', '200000'));
const window = Number(arg('window', '256'));
const rounds = Number(arg('rounds', '3'));
const listeners = process.argv.includes('--listeners');

let seq = 0;
/** Messages handed to the pipeline or the store so far (each writes two journal entries). */
let messagesDone = 0;
function datagram(n: number): Buffer {
  const callId = `mp-${process.pid}-${n}`;
  const body =
    'From: Alice <sip:alice@example.com>\r\nTo: <sip:bob@example.com>\r\nDateTime: 2024-05-01T10:00:00Z\r\n' +
    `NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: ${callId}\r\nimdn.Disposition-Notification: positive-delivery, display\r\n\r\n` +
    `Content-Type: text/plain\r\n\r\nHello Bob, this is message number ${n}.`;
  const head =
    `MESSAGE sip:bob@example.com SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK${callId};rport\r\n` +
    `Max-Forwards: 70\r\nFrom: "Alice" <sip:alice@example.com>;tag=${n}\r\nTo: <sip:bob@example.com>\r\n` +
    `Call-ID: ${callId}\r\nCSeq: 1 MESSAGE\r\nX-Sylk-App: webrtcgateway\r\nX-Sylk-From-Sip: yes\r\n` +
    `Content-Type: message/cpim\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  return Buffer.from(head + body);
}

function parsedBatch(): IncomingRequest[] {
  const out: IncomingRequest[] = [];
  for (let i = 0; i < window; i++) {
    const r = parseMessage(datagram(seq++));
    if (!r.ok || r.message.kind !== 'request') throw new Error('bench request does not parse');
    out.push({ request: r.message, source: { protocol: 'udp', address: '127.0.0.1', port: 5099 } });
  }
  return out;
}

const cpuNow = (): number => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

const dir = mkdtempSync(join(tmpdir(), 'sylk-mp-'));
const store = openSqliteStore({ path: join(dir, 'journal.sqlite'), writer: arg('writer', 'thread') === 'inline' ? 'inline' : 'thread' });
await store.addAccount('alice@example.com');
await store.addAccount('bob@example.com');
const config = loadConfig({ configDir: dir, systemDir: null, userDir: null, defaultIp: '127.0.0.1', cwd: dir, log: false });
const client: SipClient = {
  send: () => Promise.reject(new Error('no outgoing SIP in this benchmark')),
} as unknown as SipClient;
const messaging = createMessaging({ options: messagingOptionsFromConfig(config), store, client, webBaseUrl: () => 'http://127.0.0.1:10888' });
if (listeners) {
  messaging.events.on('message', () => undefined);
  messaging.events.on('sync-message-add', () => undefined);
  messaging.events.on('journal-appended', () => undefined);
}

async function pipelineRound(n: number): Promise<number> {
  let cpu = 0;
  for (let done = 0; done < n; done += window) {
    const batch = parsedBatch();
    messagesDone += batch.length;
    const c0 = cpuNow();
    const answers = await Promise.all(batch.map((b) => messaging.handler(b)));
    cpu += cpuNow() - c0;
    if (answers.some((a) => a.status !== 200)) throw new Error(`unexpected answer ${answers.find((a) => a.status !== 200)!.status}`);
  }
  return cpu / n;
}

async function storeRound(n: number): Promise<number> {
  let cpu = 0;
  for (let done = 0; done < n; done += window) {
    const batch: NewJournalEntry[][] = [];
    messagesDone += window;
    for (let i = 0; i < window; i++) {
      const id = `st-${process.pid}-${seq++}`;
      const content = `Hello Bob, this is message number ${seq}.`;
      const disposition = ['positive-delivery', 'display'];
      const msgTimestamp = new Date(1714557600000);
      batch.push([
        { account: 'alice@example.com', contact: 'bob@example.com', direction: 'outgoing', contentType: 'text/plain', content, messageId: id, disposition, state: 'accepted', msgTimestamp },
        { account: 'bob@example.com', contact: 'alice@example.com', direction: 'incoming', contentType: 'text/plain', content, messageId: id, disposition, state: 'received', msgTimestamp },
      ]);
    }
    const c0 = cpuNow();
    await Promise.all(batch.map((entries) => store.addMany(entries)));
    cpu += cpuNow() - c0;
  }
  return cpu / n;
}

console.log(`messaging pipeline: ${total} messages per round, window ${window}, listeners ${listeners ? 'yes' : 'no'}, node ${process.version}`);
await pipelineRound(Math.min(total, 20_000)); // warm-up
await storeRound(Math.min(total, 20_000));
for (let r = 0; r < rounds; r++) {
  const p = await pipelineRound(total);
  const s = await storeRound(total);
  console.log(`round ${r + 1}: pipeline ${p.toFixed(2)} us/msg   store addMany alone ${s.toFixed(2)} us/msg   messaging ${(p - s).toFixed(2)} us/msg`);
}
const written = (await store.countEntries('alice@example.com')) + (await store.countEntries('bob@example.com'));
console.log(`journal entries written: ${written} (expected ${2 * messagesDone})`);
if (written !== 2 * messagesDone) process.exitCode = 1;
await store.close();
rmSync(dir, { recursive: true, force: true });
