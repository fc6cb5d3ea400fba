/**
 * End to end behind the real Kamailio (issue 7 item 2): Debian's kamailio with
 * deploy/kamailio/kamailio.cfg, one real `sylk-server` process (SQLite journal), SIP devices (recorders
 * registered with digest by sipp, sending through the proxy with digest) and sylkRTC WebSocket clients.
 * Each scenario uses its own accounts, so they share one proxy and one server.
 *
 * Ports (test-port plan): Kamailio 16160, sylk-server SIP 16170, device contacts 16101–16109, sipp
 * 16120–16139. The second file (e2e-cluster) uses 16161, 16171–16172, 16111–16119, 16140–16159.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startKamailio, type KamailioHandle } from '../helpers/kamailio.js';
import { startSylk, type SylkInstance } from '../helpers/e2e-server.js';
import { SipDevice, cpim, imdn, unwrapCpim } from '../helpers/e2e-sip.js';
import { WsClient } from '../helpers/e2e-ws.js';
import { openStore } from '../../src/storage/index.js';
import type { JournalStore } from '../../src/journal/store.js';
import type { JournalEntry } from '../../src/journal/types.js';
import type { RecordedRequest } from '../helpers/sip-recorder.js';

const DOMAIN = 'example.com';
const PROXY_PORT = 16160;
const SYLK_PORT = 16170;

const USERS = ['alice', 'bob', 'olive', 'sam', 'wendy', 'sid', 'max', 'pat', 'rita', 'una', 'vic'] as const;
const password = (user: string): string => `${user}-secret`;
const aor = (user: string): string => `${user}@${DOMAIN}`;

let portSeq = 0;
const sippPort = (): number => 16120 + (portSeq++ % 20);
let contactSeq = 0;
const contactPort = (): number => 16101 + contactSeq++;

describe('end to end behind Kamailio: one server', { timeout: 120_000 }, () => {
  let dir: string;
  let kamailio: KamailioHandle;
  let sylk: SylkInstance;
  let store: JournalStore;
  const devices: SipDevice[] = [];
  const clients: WsClient[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sylk-e2e-single-'));
    kamailio = await startKamailio({
      domain: DOMAIN,
      udpPort: PROXY_PORT,
      tcpPort: PROXY_PORT,
      sylkPort: SYLK_PORT,
      subscribers: USERS.map((u) => ({ username: u, password: password(u) })),
    });
    const sqlitePath = join(dir, 'journal.sqlite');
    sylk = await startSylk({ name: 'single', sipPort: SYLK_PORT, proxyPort: PROXY_PORT, storage: { sqlitePath } });
    store = await openStore({ engine: 'sqlite', path: sqlitePath });
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(devices.map((d) => d.close()));
    await store?.close();
    await sylk?.stop();
    await kamailio?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const diag = (): string => `\n--- sylk-server log ---\n${sylk.log().slice(-6000)}\n--- kamailio log ---\n${kamailio.log().slice(-3000)}`;

  async function device(user: string, register = true): Promise<SipDevice> {
    const d = await SipDevice.start({ user, password: password(user), domain: DOMAIN, port: contactPort(), sippPort: sippPort(), proxyPort: PROXY_PORT });
    devices.push(d);
    if (register) await d.register();
    return d;
  }

  async function ws(name: string, user: string): Promise<WsClient> {
    const c = await WsClient.connect(sylk.wsUrl, name);
    clients.push(c);
    await c.login(aor(user), password(user));
    return c;
  }

  /** Asks for an API token over SIP; resolves with the token reply the device received. */
  async function requestToken(d: SipDevice): Promise<{ token: string; url: string; request: RecordedRequest }> {
    const before = d.requests.length;
    const sent = await d.message(d.opts.user, 'application/sylk-api-token', 'I need a token');
    assert.equal(sent.status, 200, `token request answered ${sent.response}${diag()}`);
    const [reply] = await d.recorder.waitFor(
      (r) => d.requests.indexOf(r) >= before && r.method === 'MESSAGE' && /^application\/sylk-api-token/.test(r.header('Content-Type') ?? ''),
      1,
      10_000,
    );
    const body = JSON.parse(reply!.body) as { token: string; url: string };
    return { ...body, request: reply! };
  }

  async function fetchHistory(t: { token: string; url: string }): Promise<Array<Record<string, string>>> {
    const res = await fetch(t.url, { headers: { Authorization: `Apikey ${t.token}` } });
    assert.equal(res.status, 200, `history ${t.url}: ${res.status} ${await res.clone().text()}`);
    return ((await res.json()) as { messages: Array<Record<string, string>> }).messages;
  }

  async function journal(account: string): Promise<JournalEntry[]> {
    return (await store.query(account, { limit: 5000 })).entries;
  }

  /** The number of MESSAGEs a device got whose (CPIM-unwrapped) content contains `text`. */
  const received = (d: SipDevice, text: string): RecordedRequest[] =>
    d.requests.filter((r) => r.method === 'MESSAGE' && unwrapCpim(r).content.includes(text));

  test('SIP device to SIP device, both registered: delivered by the proxy, stored once in each journal', async () => {
    const alice = await device('alice');
    const bob = await device('bob');
    // The token request creates the account records (storage-enabled accounts, sip-messaging.md §1).
    await requestToken(alice);
    await requestToken(bob);
    const text = `hello bob ${randomUUID()}`;
    const messageId = randomUUID();
    const sent = await alice.message(
      'bob',
      'message/cpim',
      cpim({ from: aor('alice'), to: aor('bob'), messageId, contentType: 'text/plain', content: text, disposition: 'positive-delivery, display' }),
    );
    assert.equal(sent.status, 200, sent.response);
    const [toBob] = await bob.recorder.waitFor((r) => r.method === 'MESSAGE' && unwrapCpim(r).content === text);
    assert.equal(toBob!.header('X-Sylk-App'), undefined);
    // The proxy replicates it to alice's own device.
    const [replica] = await alice.recorder.waitFor((r) => r.method === 'MESSAGE' && unwrapCpim(r).content === text);
    assert.equal(replica!.header('X-Replicated-Message'), 'yes');

    let bobJournal: JournalEntry[] = [];
    let aliceJournal: JournalEntry[] = [];
    await waitUntil(async () => {
      bobJournal = (await journal(aor('bob'))).filter((e) => e.messageId === messageId);
      aliceJournal = (await journal(aor('alice'))).filter((e) => e.messageId === messageId);
      return bobJournal.length > 0 && aliceJournal.length > 0;
    }, `journals of alice and bob${diag()}`);
    assert.equal(bobJournal.length, 1);
    assert.equal(aliceJournal.length, 1);
    assert.deepEqual(
      [bobJournal[0]!.direction, bobJournal[0]!.contact, bobJournal[0]!.content, bobJournal[0]!.state],
      ['incoming', aor('alice'), text, 'received'],
    );
    assert.deepEqual(
      [aliceJournal[0]!.direction, aliceJournal[0]!.contact, aliceJournal[0]!.content, aliceJournal[0]!.state],
      ['outgoing', aor('bob'), text, 'accepted'],
    );
    assert.equal(received(bob, text).length, 1, 'bob got the message more than once');
  });

  test('to an offline user: stored; the device later gets an API token over SIP and reads the journal over HTTP', async () => {
    const sam = await device('sam');
    await requestToken(sam);
    // olive has an account record but no registered device.
    const olive = await device('olive', false);
    await olive.register();
    await requestToken(olive);
    await olive.register(0);
    await kamailio.waitForLocations((l) => l.length === 0, 'olive');

    const text = `while you were away ${randomUUID()}`;
    const sent = await sam.message('olive', 'text/plain', text);
    assert.equal(sent.status, 200, sent.response);
    assert.equal(received(olive, text).length, 0);

    await olive.register();
    const { token, url, request } = await requestToken(olive);
    assert.equal(request.header('X-Sylk-To-Sip'), 'yes');
    assert.match(request.header('From') ?? '', /sip:sylkserver@127\.0\.0\.1/);
    assert.equal(url, `${sylk.httpUrl}/webrtcgateway/messages/history/${aor('olive')}`);
    const res = await fetch(url, { headers: { Authorization: `Apikey ${token}` } });
    assert.equal(res.status, 200, `history: ${res.status} ${await res.clone().text()}`);
    const body = (await res.json()) as { account: string; messages: Array<{ content: string; direction: string; contact: string }> };
    assert.equal(body.account, aor('olive'));
    const hits = body.messages.filter((m) => m.content === text);
    assert.equal(hits.length, 1, JSON.stringify(body.messages));
    assert.equal(hits[0]!.direction, 'incoming');
    assert.equal(hits[0]!.contact, aor('sam'));
    // A wrong token is refused.
    const bad = await fetch(url, { headers: { Authorization: `Apikey x${token}` } });
    assert.equal(bad.status, 401);
  });

  test('WebSocket client and SIP device, both ways, with delivered and displayed reports reaching the sender', async () => {
    const sid = await device('sid');
    const wendy = await ws('wendy', 'wendy');

    // SIP → WS, with an IMDN request; wendy reports delivered and displayed; sid receives both IMDNs.
    const inId = randomUUID();
    const inText = `from sid ${inId}`;
    const dateTime = new Date().toISOString();
    const sent = await sid.message(
      'wendy',
      'message/cpim',
      cpim({ from: aor('sid'), to: aor('wendy'), messageId: inId, contentType: 'text/plain', content: inText, disposition: 'positive-delivery, display', dateTime }),
    );
    assert.equal(sent.status, 200, sent.response);
    const [msg] = await wendy.waitForEvent('message', (e) => e.message_id === inId);
    assert.equal(msg!.content, inText);
    assert.equal((msg!.sender as { uri: string }).uri, aor('sid'));
    assert.deepEqual(msg!.disposition_notification, ['positive-delivery', 'display']);
    for (const state of ['delivered', 'displayed'] as const) {
      await wendy.request({ sylkrtc: 'account-disposition-notification', account: aor('wendy'), uri: aor('sid'), message_id: inId, state, timestamp: dateTime });
    }
    const imdnFor = (status: string) => (r: RecordedRequest) => {
      const p = unwrapCpim(r);
      return r.method === 'MESSAGE' && /^message\/imdn/.test(p.contentType) && p.content.includes(inId) && p.content.includes(`<${status}/>`);
    };
    await sid.recorder.waitFor(imdnFor('delivered'));
    await sid.recorder.waitFor(imdnFor('displayed'));

    // WS → SIP; sid reports delivered and displayed; wendy gets accepted, delivered, displayed once each.
    const outId = randomUUID();
    const outText = `from wendy ${outId}`;
    const ts = new Date().toISOString();
    await wendy.request({ sylkrtc: 'account-message', account: aor('wendy'), uri: aor('sid'), message_id: outId, content: outText, content_type: 'text/plain', timestamp: ts });
    const [toSid] = await sid.recorder.waitFor((r) => r.method === 'MESSAGE' && unwrapCpim(r).content === outText);
    const outer = unwrapCpim(toSid!).headers;
    assert.match(outer, new RegExp(`Message-ID: ${outId}`));
    const cpimDateTime = /DateTime: (\S+)/.exec(outer)?.[1] ?? ts;
    await wendy.waitForEvent('disposition-notification', (e) => e.message_id === outId && e.state === 'accepted');
    for (const state of ['delivered', 'displayed'] as const) {
      const r = await sid.message(
        'wendy',
        'message/cpim',
        cpim({ from: aor('sid'), to: aor('wendy'), messageId: randomUUID(), contentType: 'message/imdn+xml', content: imdn(outId, cpimDateTime, aor('sid'), state) }),
      );
      assert.equal(r.status, 200, r.response);
      await wendy.waitForEvent('disposition-notification', (e) => e.message_id === outId && e.state === state);
    }
    // Exactly once each, though the proxy delivers each MESSAGE to wendy's contact and as the storage copy.
    await settle();
    assert.equal(wendy.events('message').filter((e) => e.message_id === inId).length, 1);
    for (const state of ['accepted', 'delivered', 'displayed']) {
      assert.equal(wendy.events('disposition-notification').filter((e) => e.message_id === outId && e.state === state).length, 1, state);
    }
    assert.equal(received(sid, outText).length, 1);
    const entry = (await journal(aor('wendy'))).find((e) => e.messageId === outId);
    assert.equal(entry?.state, 'displayed');
  });

  test('one account on two WebSocket devices and one SIP device: every device sees every message, read marker and removal once', async () => {
    const pat = await device('pat');
    const maxSip = await device('max');
    const maxToken = await requestToken(maxSip);
    const ws1 = await ws('max-ws1', 'max');
    const ws2 = await ws('max-ws2', 'max');
    const max = aor('max');

    // pat → max: both WS devices and the SIP device.
    const id1 = randomUUID();
    const t1 = `pat to max ${id1}`;
    assert.equal((await pat.message('max', 'message/cpim', cpim({ from: aor('pat'), to: max, messageId: id1, contentType: 'text/plain', content: t1 }))).status, 200);
    await ws1.waitForEvent('message', (e) => e.message_id === id1);
    await ws2.waitForEvent('message', (e) => e.message_id === id1);
    await maxSip.recorder.waitFor((r) => r.method === 'MESSAGE' && unwrapCpim(r).content === t1);

    // ws1 → pat: ws2 gets the sync event; the SIP device finds it in the journal over HTTP (the server
    // does not copy WS users' outgoing messages to their SIP devices, sip-messaging.md §8).
    const id2 = randomUUID();
    const t2 = `max(ws1) to pat ${id2}`;
    await ws1.request({ sylkrtc: 'account-message', account: max, uri: aor('pat'), message_id: id2, content: t2, content_type: 'text/plain', timestamp: new Date().toISOString() });
    await pat.recorder.waitFor((r) => r.method === 'MESSAGE' && unwrapCpim(r).content === t2);
    await ws2.waitForEvent('sync', (e) => e.type === 'message' && e.action === 'add' && (e.content as { message_id: string }).message_id === id2);

    // SIP device of max → pat: both WS devices get the server-generated sync event.
    const id3 = randomUUID();
    const t3 = `max(sip) to pat ${id3}`;
    assert.equal((await maxSip.message('pat', 'message/cpim', cpim({ from: max, to: aor('pat'), messageId: id3, contentType: 'text/plain', content: t3 }))).status, 200);
    await pat.recorder.waitFor((r) => r.method === 'MESSAGE' && unwrapCpim(r).content === t3);
    for (const c of [ws1, ws2]) {
      await c.waitForEvent('sync', (e) => e.type === 'message' && e.action === 'add' && (e.content as { message_id: string }).message_id === id3);
    }

    // ws1 marks the conversation read: ws2 and the SIP device are told.
    await ws1.request({ sylkrtc: 'account-mark-conversation-read', account: max, contact: aor('pat') });
    await ws2.waitForEvent('sync', (e) => e.type === 'conversation' && e.action === 'read' && (e.content as { contact: string }).contact === aor('pat'));
    const isRead = (r: RecordedRequest): boolean => r.method === 'MESSAGE' && /^application\/sylk-conversation-read/.test(r.header('Content-Type') ?? '');
    await maxSip.recorder.waitFor(isRead);

    // ws2 removes pat's message: ws1 and the SIP device are told.
    await ws2.request({ sylkrtc: 'account-remove-message', account: max, message_id: id1, contact: aor('pat') });
    await ws1.waitForEvent('sync', (e) => e.type === 'message' && e.action === 'remove' && (e.content as { message_id: string }).message_id === id1);
    const isRemove = (r: RecordedRequest): boolean =>
      r.method === 'MESSAGE' && /^application\/sylk-message-remove/.test(r.header('Content-Type') ?? '') && r.body.includes(id1);
    await maxSip.recorder.waitFor(isRemove);

    await settle();
    const count = (c: WsClient, pred: (e: Record<string, unknown>) => boolean): number => c.frames.filter((f) => f.sylkrtc === 'account-event' && pred(f)).length;
    const syncOf = (type: string, action: string, key: string, value: string) => (e: Record<string, unknown>) =>
      e.event === 'sync' && e.type === type && e.action === action && (e.content as Record<string, string>)[key] === value;
    assert.equal(count(ws1, (e) => e.event === 'message' && e.message_id === id1), 1, 'ws1: message from pat');
    assert.equal(count(ws2, (e) => e.event === 'message' && e.message_id === id1), 1, 'ws2: message from pat');
    assert.equal(received(maxSip, t1).length, 1, 'sip: message from pat');
    assert.equal(count(ws1, syncOf('message', 'add', 'message_id', id2)), 0, 'ws1: its own message echoed');
    assert.equal(count(ws2, syncOf('message', 'add', 'message_id', id2)), 1, 'ws2: message of ws1');
    const history = await fetchHistory(maxToken);
    assert.equal(history.filter((m) => m.message_id === id2 && m.direction === 'outgoing').length, 1, 'sip (history): message of ws1');
    assert.equal(history.filter((m) => m.message_id === id3 && m.direction === 'outgoing').length, 1, 'sip (history): own message');
    assert.equal(count(ws1, syncOf('message', 'add', 'message_id', id3)), 1, 'ws1: message of the SIP device');
    assert.equal(count(ws2, syncOf('message', 'add', 'message_id', id3)), 1, 'ws2: message of the SIP device');
    assert.equal(received(maxSip, t3).length, 1, 'sip: own message replicated once by the proxy');
    assert.equal(count(ws1, syncOf('conversation', 'read', 'contact', aor('pat'))), 0, 'ws1: own read marker echoed');
    assert.equal(count(ws2, syncOf('conversation', 'read', 'contact', aor('pat'))), 1, 'ws2: read marker');
    assert.equal(maxSip.requests.filter(isRead).length, 1, 'sip: read marker');
    assert.equal(count(ws1, syncOf('message', 'remove', 'message_id', id1)), 1, 'ws1: removal');
    assert.equal(count(ws2, syncOf('message', 'remove', 'message_id', id1)), 0, 'ws2: own removal echoed');
    assert.equal(maxSip.requests.filter(isRemove).length, 1, 'sip: removal');
    // pat's copy of the WS message exactly once as well.
    assert.equal(received(pat, t2).length, 1);
    const maxJournal = await journal(max);
    assert.equal(maxJournal.filter((e) => e.messageId === id2).length, 1);
    assert.equal(maxJournal.filter((e) => e.messageId === id3).length, 1);
    assert.equal(maxJournal.filter((e) => e.messageId === id1).length, 0, 'removed message still in the journal');
  });

  test('WebSocket to WebSocket on one server: the proxy brings the MESSAGE back twice, each device sees it once', async () => {
    const una = await ws('una', 'una');
    const vic = await ws('vic', 'vic');
    const id = randomUUID();
    const ts = new Date().toISOString();
    await una.request({ sylkrtc: 'account-message', account: aor('una'), uri: aor('vic'), message_id: id, content: `una to vic ${id}`, content_type: 'text/plain', timestamp: ts });
    const [m] = await vic.waitForEvent('message', (e) => e.message_id === id);
    await una.waitForEvent('disposition-notification', (e) => e.message_id === id && e.state === 'accepted');
    await vic.request({ sylkrtc: 'account-disposition-notification', account: aor('vic'), uri: aor('una'), message_id: id, state: 'displayed', timestamp: m!.timestamp });
    await una.waitForEvent('disposition-notification', (e) => e.message_id === id && e.state === 'displayed');
    await settle();
    assert.equal(vic.events('message').filter((e) => e.message_id === id).length, 1);
    assert.equal(una.events('disposition-notification').filter((e) => e.message_id === id && e.state === 'displayed').length, 1);
    assert.equal(una.events('disposition-notification').filter((e) => e.message_id === id && e.state === 'accepted').length, 1);
    assert.equal((await journal(aor('vic'))).filter((e) => e.messageId === id).length, 1);
    assert.equal((await journal(aor('una'))).find((e) => e.messageId === id)?.state, 'displayed');
  });

  test('account-register: a wrong password fails with 904; the right one registers our contact with the proxy', async () => {
    const c = await WsClient.connect(sylk.wsUrl, 'rita');
    clients.push(c);
    const rita = aor('rita');
    await c.addAccount(rita, 'not-the-password');
    const failed = await c.register(rita);
    assert.equal(failed.state, 'failed');
    assert.match(String(failed.reason), /904/);
    assert.deepEqual(kamailio.locations('rita'), []);
    await c.request({ sylkrtc: 'account-remove', account: rita });
    await c.addAccount(rita, password('rita'));
    const ok = await c.register(rita);
    assert.equal(ok.state, 'registered', JSON.stringify(ok));
    const contacts = (await kamailio.waitForLocations((l) => l.length > 0, 'rita')).map((l) => l.contact);
    assert.equal(contacts.length, 1, contacts.join('\n'));
    assert.match(contacts[0]!, new RegExp(`^<?sip:rita@127\\.0\\.0\\.1:${SYLK_PORT}\\b`));
  });
});

/** Polls `check` every 25 ms until it holds (15 s at most). */
async function waitUntil(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Before asserting "exactly once": a duplicate, if any, comes from a second fork of the same MESSAGE
 * that the proxy sent at the same time as the first; 300 ms is far more than a loopback round trip.
 * (Waiting for an absence cannot be a wait-for.)
 */
function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, 300));
}
