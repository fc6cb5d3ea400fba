/**
 * HTTP file transfer end to end behind the real Kamailio (issue 13): two real `sylk-server` processes
 * sharing one `file_transfer_dir`, sylkRTC WebSocket clients and a SIP device registered with the
 * proxy. The upload is the request sylk-webrtc's `fileTransferUtils.js` makes (superagent:
 * `POST {fileTransferUrl}/{account}/{uri}/{id}/{file.name}`, `Content-Type` = the file's type, the
 * raw file as body) from the address of the sender's authenticated WebSocket connection.
 *
 * Ports (test-port plan): Kamailio 16162, sylk-server A 16173 and B 16174, device contacts
 * 16180–16184, sipp 16185–16189.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKamailio, type KamailioHandle } from '../helpers/kamailio.js';
import { startSylk, type SylkInstance } from '../helpers/e2e-server.js';
import { SipDevice, unwrapCpim } from '../helpers/e2e-sip.js';
import { WsClient } from '../helpers/e2e-ws.js';

const DOMAIN = 'example.com';
const PROXY_PORT = 16162;
const SYLK_A = 16173;
const SYLK_B = 16174;
const USERS = ['alice', 'bob', 'carol', 'dave'] as const;
const password = (user: string): string => `${user}-secret`;
const aor = (user: string): string => `${user}@${DOMAIN}`;

let contactSeq = 0;
let sippSeq = 0;

/** The browser's upload (superagent `.post(url).set('Content-Type', type).send(file)`). */
async function browserUpload(base: string, from: string, to: string, id: string, name: string, type: string, data: Buffer): Promise<Response> {
  return fetch(`${base}/webrtcgateway/filetransfer/${from}/${to}/${id}/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': type, Origin: 'https://webrtc.example.com', Accept: '*/*' },
    body: data,
  });
}

describe('HTTP file transfer end to end behind Kamailio: two instances, one file_transfer_dir', { timeout: 120_000 }, () => {
  let dir: string;
  let kamailio: KamailioHandle;
  let a: SylkInstance;
  let b: SylkInstance;
  const devices: SipDevice[] = [];
  const clients: WsClient[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sylk-e2e-ft-'));
    kamailio = await startKamailio({
      domain: DOMAIN,
      udpPort: PROXY_PORT,
      tcpPort: PROXY_PORT,
      sylkPort: SYLK_A,
      sylkPort2: SYLK_B,
      subscribers: USERS.map((u) => ({ username: u, password: password(u) })),
    });
    const general = [`file_transfer_dir = ${join(dir, 'shared-files')}`];
    a = await startSylk({ name: 'ft-a', sipPort: SYLK_A, proxyPort: PROXY_PORT, storage: { sqlitePath: join(dir, 'a.sqlite') }, general });
    b = await startSylk({ name: 'ft-b', sipPort: SYLK_B, proxyPort: PROXY_PORT, storage: { sqlitePath: join(dir, 'b.sqlite') }, general });
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(devices.map((d) => d.close()));
    await a?.stop();
    await b?.stop();
    await kamailio?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const diag = (): string => `\n--- sylk A log ---\n${a.log().slice(-6000)}\n--- kamailio log ---\n${kamailio.log().slice(-2000)}`;

  async function ws(name: string, user: string): Promise<WsClient> {
    const c = await WsClient.connect(a.wsUrl, name);
    clients.push(c);
    await c.login(aor(user), password(user));
    return c;
  }

  async function device(user: string): Promise<SipDevice> {
    const d = await SipDevice.start({
      user,
      password: password(user),
      domain: DOMAIN,
      port: 16180 + contactSeq++,
      sippPort: 16185 + (sippSeq++ % 5),
      proxyPort: PROXY_PORT,
    });
    devices.push(d);
    await d.register();
    return d;
  }

  test('a WebSocket user uploads: the receiver\'s WebSocket device gets the message event, its SIP device the RCS FT-HTTP form and the text notice; instance B serves the file', async () => {
    const alice = await ws('alice', 'alice');
    const bobWs = await ws('bob-ws', 'bob');
    const bobSip = await device('bob');
    const id = randomUUID();
    const data = randomBytes(150_000);
    const sha1 = `sha-1:${createHash('sha1').update(data).digest('hex').toUpperCase().match(/../g)!.join(':')}`;

    const res = await browserUpload(a.httpUrl, aor('alice'), aor('bob'), id, 'holiday.jpg', 'image/jpeg', data);
    const body = await res.text();
    assert.equal(res.status, 200, `${body}${diag()}`);
    assert.equal(body, 'OK');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');

    // The receiver's WebSocket device: a `message` event with the descriptor.
    const [msg] = await bobWs.waitForEvent('message', (e) => e.message_id === id);
    assert.equal(msg!.content_type, 'application/sylk-file-transfer');
    assert.equal((msg!.sender as { uri: string }).uri, aor('alice'));
    const d = JSON.parse(String(msg!.content)) as { url: string; filename: string; filesize: number; hash: string; filetype: string; transfer_id: string };
    assert.deepEqual([d.filename, d.filesize, d.hash, d.filetype, d.transfer_id], ['holiday.jpg', data.length, sha1, 'image/jpeg', id]);
    assert.ok(d.url.startsWith(`${a.httpUrl}/webrtcgateway/filetransfer/`), d.url);
    // The sender's own WebSocket device: the server-generated sync event of its copy.
    await alice.waitForEvent('sync', (e) => e.type === 'message' && e.action === 'add' && (e.content as { message_id: string }).message_id === id);

    // The receiver's SIP device behind Kamailio: the RCS FT-HTTP document and the text notice.
    const [ft] = await bobSip.recorder.waitFor((r) => r.method === 'MESSAGE' && /rcs-ft-http\+xml/.test(unwrapCpim(r).contentType), 1, 15_000);
    const doc = unwrapCpim(ft!).content;
    assert.match(doc, /<file xmlns="urn:gsma:params:xml:ns:rcs:rcs:fthttp"/);
    assert.ok(doc.includes(`<data url="${d.url}"`), doc);
    assert.ok(doc.includes(`<file-size>${data.length}</file-size>`));
    assert.ok(doc.includes(`<x:file-hash>${sha1}</x:file-hash>`));
    assert.equal(ft!.header('X-Sylk-To-Sip'), 'yes');
    const [notice] = await bobSip.recorder.waitFor((r) => r.method === 'MESSAGE' && r.body.startsWith('File transfer available at '), 1, 15_000);
    assert.equal(notice!.body, `File transfer available at ${d.url} (146.5 KB)`);

    // Downloads: from A (the URL as given) and from B (same path, shared directory), same bytes and ETag.
    const fromA = await fetch(d.url);
    assert.equal(fromA.status, 200);
    assert.deepEqual(Buffer.from(await fromA.arrayBuffer()), data);
    assert.equal(fromA.headers.get('content-disposition'), 'inline;filename="holiday.jpg"');
    const fromB = await fetch(d.url.replace(a.httpUrl, b.httpUrl), { headers: { Range: 'bytes=0-99' } });
    assert.equal(fromB.status, 206);
    assert.deepEqual(Buffer.from(await fromB.arrayBuffer()), data.subarray(0, 100));
    const headB = await fetch(d.url.replace(a.httpUrl, b.httpUrl), { method: 'HEAD' });
    assert.equal(headB.headers.get('etag'), fromA.headers.get('etag'));
  });

  test('an account merely added (not authenticated) on a WebSocket from the same address may not upload: 403, nothing delivered', async () => {
    const carol = await WsClient.connect(a.wsUrl, 'carol');
    clients.push(carol);
    await carol.addAccount(aor('carol'), 'wrong password');
    const r = await carol.register(aor('carol'));
    assert.equal(r.state, 'failed');
    const daveWs = await ws('dave', 'dave');
    const id = randomUUID();
    const res = await browserUpload(a.httpUrl, aor('carol'), aor('dave'), id, 'x.png', 'image/png', randomBytes(1000));
    assert.equal(res.status, 403);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(daveWs.events('message').filter((e) => e.message_id === id).length, 0);
  });
});
