/**
 * The file-transfer routes on the composed server (`startServer`: real SQLite journal, real SIP
 * stack, real web server), `http-api.md` §3–§5 and issue 13. The uploader authenticates with the
 * account's API token here (the WebSocket path needs a SIP registrar: the end-to-end suite covers it);
 * every MESSAGE the server originates goes to a UDP recorder set as `outbound_sip_proxy`, so the
 * FT-HTTP and text notices are checked byte for byte. Requests are raw `node:http` requests shaped like
 * sylk-webrtc's superagent upload (`POST …/{sender}/{receiver}/{id}/{name}`, `Content-Type` = the
 * file's type, the raw body with its `Content-Length`); Sylk Mobile's react-native-blob-util upload is
 * written byte for byte on a raw socket (its `app/app.js` `uploadFile`).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { startServer, type RunningServer } from '../../src/cli/server/compose.js';
import { aorHash } from '../../src/messaging/files.js';
import { startRecorder, type SipRecorder } from '../helpers/sip-recorder.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const TOKEN = 'alice-token-0123456789';
/** Carol fills her quota; the other tests upload as alice. */
const CAROL = 'carol@example.com';
const CAROL_TOKEN = 'carol-token-0123456789';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let port = 0;

/** One raw HTTP request; `body` is written as given (a shorter body than Content-Length is allowed). */
function http(method: string, path: string, headers: Record<string, string | number> = {}, body?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

const uploadPath = (id: string, name: string, from = ALICE, to = BOB): string => `/webrtcgateway/filetransfer/${from}/${to}/${id}/${name}`;

function upload(id: string, name: string, data: Buffer, type = 'image/jpeg', extra: Record<string, string> = {}): Promise<Answer> {
  return http('POST', uploadPath(id, name), { 'Content-Type': type, 'Content-Length': data.length, Authorization: `Apikey ${TOKEN}`, ...extra }, data);
}

describe('file transfer routes (composed server)', { timeout: 60_000 }, () => {
  let dir: string;
  let ftDir: string;
  let server: RunningServer;
  let proxy: SipRecorder;
  /** A stand-in Sylk Pushserver: the push requests the server makes. */
  let pushServer: Server;
  const pushes: Array<Record<string, unknown>> = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sylk-ft-'));
    ftDir = join(dir, 'files');
    proxy = await startRecorder(0);
    pushServer = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        pushes.push(JSON.parse(body) as Record<string, unknown>);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"code": 200}');
      });
    });
    await new Promise<void>((resolve) => pushServer.listen(0, '127.0.0.1', resolve));
    writeFileSync(
      join(dir, 'config.ini'),
      '[SIP]\nlocal_ip = 127.0.0.1\nlocal_udp_port = 0\nlocal_tcp_port = 0\nlocal_tls_port =\n[WebServer]\nlocal_ip = 127.0.0.1\nlocal_port = 0\n',
    );
    writeFileSync(
      join(dir, 'webrtcgateway.ini'),
      [
        '[General]',
        `outbound_sip_proxy = 127.0.0.1:${proxy.port};transport=udp`,
        'http_management_interface = 127.0.0.1:0',
        `sylk_push_url = http://127.0.0.1:${(pushServer.address() as AddressInfo).port}/push`,
        `file_transfer_dir = ${ftDir}`,
        'filetransfer_max_size = 1M',
        'filetransfer_quota = 3M',
        '[FileStorage]',
        `storage_dir = ${dir}`,
        '[Storage]',
        'backend = sqlite',
        `sqlite_path = ${join(dir, 'journal.sqlite')}`,
        '',
      ].join('\n'),
    );
    // A file left from 40 days ago: the housekeeping at start-up removes it (default 15 days, x2).
    mkdirSync(join(ftDir, 'Q', 'Qold', 'Rold', 'T-old'), { recursive: true });
    writeFileSync(join(ftDir, 'Q', 'Qold', 'Rold', 'T-old', 'old.jpg'), 'x');
    const longAgo = (Date.now() - 40 * 86_400_000) / 1000;
    utimesSync(join(ftDir, 'Q', 'Qold', 'Rold', 'T-old', 'old.jpg'), longAgo, longAgo);
    const config = loadConfig({ configDir: dir, systemDir: null, userDir: null, log: false });
    server = await startServer(config, { version: 'test', serverHeader: 'SylkServer/test' });
    port = server.web.port;
    await server.store.addAccount(ALICE);
    await server.store.addAccount(BOB);
    await server.store.setApiToken(ALICE, TOKEN, new Date(Date.now() + 86_400_000));
    await server.store.addAccount(CAROL);
    await server.store.setApiToken(CAROL, CAROL_TOKEN, new Date(Date.now() + 86_400_000));
    await server.store.addPushToken({
      account: BOB,
      appId: 'com.agprojects.sylk',
      deviceId: 'bob-phone',
      platform: 'android',
      token: 'bob-fcm-token',
      backgroundToken: null,
      silent: false,
      userAgent: null,
    });
  });

  after(async () => {
    await server?.stop();
    await proxy?.close();
    await new Promise((resolve) => pushServer?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const entry = async (account: string, id: string) => (await server.store.query(account, { limit: 1000 })).entries.find((e) => e.messageId === id);
  const incoming = (): string[] => (existsSync(join(ftDir, '.incoming')) ? readdirSync(join(ftDir, '.incoming')) : []);

  test('upload: 200 OK, the file in the hashed layout with its metadata, the descriptor in both journals, the notices to SIP devices', async () => {
    const id = randomUUID();
    const data = randomBytes(300_000);
    // No whole-request time limit on the web server (Node's default would cut uploads after 5 minutes).
    assert.equal(server.http.server.requestTimeout, 0);
    const r = await upload(id, 'photo.jpg', data);
    assert.equal(r.status, 200, r.body.toString());
    assert.equal(r.body.toString(), 'OK');
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.equal(r.headers['access-control-allow-headers'], 'content-type, range, authorization');

    const hs = aorHash(ALICE);
    const hr = aorHash(BOB);
    const file = join(ftDir, hs[0]!, hs, hr, id, 'photo.jpg');
    assert.deepEqual(readFileSync(file), data);
    const sha1 = `sha-1:${createHash('sha1').update(data).digest('hex').toUpperCase().match(/../g)!.join(':')}`;
    const meta = JSON.parse(readFileSync(join(ftDir, hs[0]!, hs, hr, id, 'meta-photo.jpg'), 'utf8')) as Record<string, unknown>;
    assert.equal(meta.hash, sha1);
    assert.equal(meta.prefix, hs[0]);

    const url = `http://127.0.0.1:${port}/webrtcgateway/filetransfer/${hs}/${hr}/${id}/photo.jpg`;
    for (const [account, direction, contact, state] of [
      [BOB, 'incoming', ALICE, 'received'],
      [ALICE, 'outgoing', BOB, 'accepted'],
    ] as const) {
      const e = await entry(account, id);
      assert.ok(e, `${account} has the file-transfer entry`);
      assert.deepEqual([e.contentType, e.direction, e.contact, e.state], ['application/sylk-file-transfer', direction, contact, state]);
      const d = JSON.parse(e.content) as Record<string, unknown>;
      assert.deepEqual(Object.keys(d), ['filename', 'filesize', 'sender', 'receiver', 'transfer_id', 'timestamp', 'until', 'url', 'filetype', 'hash']);
      assert.deepEqual([d.filename, d.filesize, d.transfer_id, d.url, d.filetype, d.hash], ['photo.jpg', data.length, id, url, 'image/jpeg', sha1]);
      assert.deepEqual(d.sender, { uri: ALICE, display_name: '' });
      assert.deepEqual(d.receiver, { uri: BOB, display_name: '' });
      const days = (Date.parse(String(d.until)) - Date.parse(String(d.timestamp))) / 86_400_000;
      assert.equal(Math.round(days), 15);
      assert.match(e.content, /^\{"filename": "photo\.jpg", "filesize": 300000, /, 'Python json.dumps formatting');
    }

    // FT-HTTP XML (CPIM) to bob and replicated to alice; the text notice both ways (not .asc).
    const mine = (r: { body: string }) => r.body.includes(id) || r.body.includes(url);
    const msgs = await proxy.waitFor((q) => q.method === 'MESSAGE' && mine(q), 4);
    const xml = msgs.filter((m) => m.header('Content-Type') === 'message/cpim');
    const text = msgs.filter((m) => m.header('Content-Type') === 'text/plain');
    assert.equal(xml.length, 2);
    assert.equal(text.length, 2);
    for (const m of [...xml, ...text]) assert.equal(m.header('X-Sylk-To-Sip'), 'yes');
    const toBob = xml.find((m) => m.header('X-Replicated-Message') === undefined)!;
    const replica = xml.find((m) => m.header('X-Replicated-Message') === 'yes')!;
    assert.match(toBob.uri, /^sip:bob@example\.com/);
    assert.match(replica.uri, /^sip:alice@example\.com/);
    assert.match(replica.header('To') ?? '', /sip:bob@example\.com/);
    assert.match(toBob.body, /Content-Type: application\/vnd\.gsma\.rcs-ft-http\+xml/);
    assert.match(toBob.body, new RegExp(`imdn\\.Message-ID: ${id}`));
    assert.match(toBob.body, /imdn\.Disposition-Notification: positive-delivery, display/);
    assert.match(toBob.body, /DateTime: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00\r\n/, 'DateTime without fraction');
    assert.match(toBob.body, /<file xmlns="urn:gsma:params:xml:ns:rcs:rcs:fthttp" xmlns:x="urn:gsma:params:xml:ns:rcs:rcs:up:fthttpext">/);
    assert.match(toBob.body, /<file-size>300000<\/file-size>/);
    assert.match(toBob.body, /<file-name>photo\.jpg<\/file-name>/);
    assert.match(toBob.body, /<content-type>image\/jpeg<\/content-type>/);
    assert.ok(toBob.body.includes(`<data url="${url}" until="`), toBob.body);
    assert.ok(toBob.body.includes(`<x:file-hash>${sha1}</x:file-hash>`));
    assert.equal(text[0]!.body, `File transfer available at ${url} (293.0 KB)`);

    // The receiver's phone is woken: one push with the descriptor.
    const forThis = (p: Record<string, unknown>): boolean => String(p.content).includes(id);
    await waitUntil(() => pushes.some(forThis), 'the push for bob');
    const push = pushes.filter(forThis);
    assert.equal(push.length, 1);
    assert.deepEqual([push[0]!.event, push[0]!.to, push[0]!.from, push[0]!['content-type'], push[0]!.token], [
      'message',
      BOB,
      ALICE,
      'application/sylk-file-transfer',
      'bob-fcm-token',
    ]);
  });

  test('the request of http-api.md §3.1 byte for byte, from the address of the sender\'s authenticated WebSocket', async (t) => {
    const binding = { aor: ALICE, connectionId: 'alice-conn', deviceId: null, remoteAddress: '127.0.0.1', sendRaw: () => undefined };
    server.gateway.ctx.registry.add(binding);
    t.after(() => server.gateway.ctx.registry.delete(binding));
    const id = '0b6f2c2e-5b7a-4d2e-9f0c-' + randomBytes(6).toString('hex');
    const file = randomBytes(4821);
    const head =
      `POST /webrtcgateway/filetransfer/alice@example.com/bob@example.com/${id}/photo.jpg HTTP/1.1\r\n` +
      'Host: sylk.example.com\r\n' +
      'Content-Type: image/jpeg\r\n' +
      `Content-Length: ${file.length}\r\n\r\n`;
    const raw = await new Promise<string>((resolve, reject) => {
      const sock = connect(port, '127.0.0.1', () => sock.write(Buffer.concat([Buffer.from(head, 'latin1'), file])));
      let out = '';
      sock.on('data', (c: Buffer) => {
        out += c.toString('latin1');
        const h = out.indexOf('\r\n\r\n');
        const len = /\r\ncontent-length: (\d+)\r\n/i.exec(out)?.[1];
        if (h >= 0 && len !== undefined && out.length >= h + 4 + Number(len)) {
          sock.destroy();
          resolve(out);
        }
      });
      sock.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(raw, /\r\nServer: SylkServer\/test\r\n/i);
    assert.match(raw, /\r\nAccess-Control-Allow-Origin: \*\r\n/i);
    assert.ok(raw.endsWith('\r\n\r\nOK'), raw);
    const e = await entry(BOB, id);
    assert.equal((JSON.parse(e!.content) as { filesize: number }).filesize, file.length);
  });

  test('Sylk Mobile\'s upload byte for byte: react-native-blob-util over OkHttp, two uploads on one kept-alive connection', async (t) => {
    // Sylk Mobile (app/app.js `uploadFile`): `RNBlobUtil.fetch('POST', fileTransferUrl + '/' + sender + '/' +
    // receiver + '/' + transfer_id + '/' + filename, {'Content-Type': filetype}, RNBlobUtil.wrap(path))`,
    // no credentials (the app's WebSocket from the same address is authenticated); photos are resized
    // first and sent as `.jpg` with the type `image/jpg`; an encrypted file gets `.asc` appended to the
    // URL and keeps the original file's type. OkHttp adds Host, Connection: Keep-Alive, Accept-Encoding
    // and its User-Agent, and reuses the connection.
    const binding = { aor: ALICE, connectionId: 'alice-mobile', deviceId: null, remoteAddress: '127.0.0.1', sendRaw: () => undefined };
    server.gateway.ctx.registry.add(binding);
    t.after(() => server.gateway.ctx.registry.delete(binding));
    const photoId = randomUUID();
    const voiceId = randomUUID();
    const photo = randomBytes(70_001);
    const voice = Buffer.from('-----BEGIN PGP MESSAGE-----\n\nhQEMA0x...\n=abcd\n-----END PGP MESSAGE-----\n');
    const request = (id: string, name: string, type: string, body: Buffer): Buffer =>
      Buffer.concat([
        Buffer.from(
          `POST /webrtcgateway/filetransfer/alice@example.com/bob@example.com/${id}/${name} HTTP/1.1\r\n` +
            `Content-Type: ${type}\r\n` +
            `Content-Length: ${body.length}\r\n` +
            `Host: 127.0.0.1:${port}\r\n` +
            'Connection: Keep-Alive\r\n' +
            'Accept-Encoding: gzip\r\n' +
            'User-Agent: okhttp/4.9.2\r\n\r\n',
          'latin1',
        ),
        body,
      ]);
    const sock = connect(port, '127.0.0.1');
    t.after(() => sock.destroy());
    let received = '';
    sock.on('data', (c: Buffer) => (received += c.toString('latin1')));
    /** The next complete answer on the connection. */
    const answer = async (): Promise<string> => {
      await waitUntil(() => {
        const h = received.indexOf('\r\n\r\n');
        const len = /\r\ncontent-length: (\d+)\r\n/i.exec(received.slice(0, h))?.[1];
        return h >= 0 && len !== undefined && received.length >= h + 4 + Number(len);
      }, 'an answer from the server');
      const h = received.indexOf('\r\n\r\n');
      const end = h + 4 + Number(/\r\ncontent-length: (\d+)\r\n/i.exec(received.slice(0, h))![1]);
      const one = received.slice(0, end);
      received = received.slice(end);
      return one;
    };
    sock.write(request(photoId, 'IMG_20240601_101500.jpg', 'image/jpg', photo));
    const first = await answer();
    assert.match(first, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(first.endsWith('\r\n\r\nOK'), first);
    assert.doesNotMatch(first, /\r\nconnection: close\r\n/i);
    sock.write(request(voiceId, 'sound_1717236000.m4a.asc', 'audio/mp4', voice));
    const second = await answer();
    assert.match(second, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(second.endsWith('\r\n\r\nOK'), second);
    assert.ok(!sock.destroyed, 'the connection stays open for the next request');

    const p = JSON.parse((await entry(BOB, photoId))!.content) as { filename: string; filesize: number; filetype: string; url: string; hash: string };
    assert.equal(p.filename, 'IMG_20240601_101500.jpg');
    assert.equal(p.filesize, photo.length);
    assert.equal(p.filetype, 'image/jpg');
    assert.equal(p.hash, `sha-1:${[...createHash('sha1').update(photo).digest()].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(':')}`);
    const downloaded = await http('GET', new URL(p.url).pathname);
    assert.equal(downloaded.status, 200);
    assert.deepEqual(downloaded.body, photo);
    const v = JSON.parse((await entry(BOB, voiceId))!.content) as { filename: string; filesize: number; filetype: string };
    assert.deepEqual([v.filename, v.filesize, v.filetype], ['sound_1717236000.m4a.asc', voice.length, 'audio/mp4']);
  });

  test('an .asc (encrypted) file gets the FT-HTTP document but no text notice', async () => {
    const id = randomUUID();
    const r = await upload(id, 'secret.txt.asc', Buffer.from('-----BEGIN PGP MESSAGE-----\n...\n'), 'application/pgp-encrypted');
    assert.equal(r.status, 200);
    await proxy.waitFor((q) => q.body.includes(`imdn.Message-ID: ${id}`), 2);
    await new Promise((res) => setTimeout(res, 300)); // a text notice would have been sent with them
    assert.equal(proxy.requests.filter((q) => q.header('Content-Type') === 'text/plain' && q.body.includes(id)).length, 0);
    assert.ok(await entry(BOB, id));
  });

  test('download: Content-Type, inline only for images/video, attachment + nosniff for the rest, ranges, HEAD, ETag', async () => {
    const id = randomUUID();
    const data = randomBytes(10_000);
    assert.equal((await upload(id, 'pic.png', data, 'image/png')).status, 200);
    const html = Buffer.from('<html><script>alert(1)</script></html>');
    assert.equal((await upload(id, 'page.html', html, 'text/html')).status, 200);
    const base = `/webrtcgateway/filetransfer/${aorHash(ALICE)}/${aorHash(BOB)}/${id}`;

    const png = await http('GET', `${base}/pic.png`);
    assert.equal(png.status, 200);
    assert.deepEqual(png.body, data);
    assert.equal(png.headers['content-type'], 'image/png');
    assert.equal(png.headers['content-disposition'], 'inline;filename="pic.png"');
    assert.equal(png.headers['x-content-type-options'], 'nosniff');
    assert.equal(png.headers['accept-ranges'], 'bytes');
    assert.equal(png.headers['access-control-allow-origin'], '*');
    const etag = png.headers.etag!;
    assert.ok(etag);

    const page = await http('GET', `${base}/page.html`);
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-disposition'], 'attachment;filename="page.html"');
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.match(String(page.headers['content-type']), /^text\/html/);

    const part = await http('GET', `${base}/pic.png`, { Range: 'bytes=100-1099' });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 100-1099/${data.length}`);
    assert.deepEqual(part.body, data.subarray(100, 1100));
    const tail = await http('GET', `${base}/pic.png`, { Range: 'bytes=-10' });
    assert.deepEqual(tail.body, data.subarray(data.length - 10));
    assert.equal((await http('GET', `${base}/pic.png`, { Range: `bytes=${data.length + 5}-` })).status, 416);

    const head = await http('HEAD', `${base}/pic.png`);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(data.length));
    assert.equal(head.body.length, 0);

    const cached = await http('GET', `${base}/pic.png`, { 'If-None-Match': etag });
    assert.equal(cached.status, 304);
    assert.equal(cached.body.length, 0);
  });

  test('download: meta-* never served, path escapes 403, missing 404', async () => {
    const id = randomUUID();
    assert.equal((await upload(id, 'doc.pdf', randomBytes(100), 'application/pdf')).status, 200);
    const base = `/webrtcgateway/filetransfer/${aorHash(ALICE)}/${aorHash(BOB)}/${id}`;
    assert.equal((await http('GET', `${base}/doc.pdf`)).status, 200);
    assert.equal((await http('GET', `${base}/meta-doc.pdf`)).status, 404);
    assert.equal((await http('GET', `${base}/nope.pdf`)).status, 404);
    assert.equal((await http('GET', `/webrtcgateway/filetransfer/${aorHash(ALICE)}/${aorHash(BOB)}/..%2F..%2F..%2F..%2F..%2Fetc/passwd`)).status, 403);
    assert.equal((await http('GET', `/webrtcgateway/filetransfer/..%2F..%2F..%2F..%2F/x/${id}/doc.pdf`)).status, 403);
    assert.equal((await http('GET', `${base}/%2E%2E`)).status, 403);
  });

  test('limits: 411 without Content-Length, 413 above filetransfer_max_size before the body is read, 413 over the quota with a JSON reason', async () => {
    // Chunked body without Content-Length.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: uploadPath(randomUUID(), 'a.bin'), headers: { Authorization: `Apikey ${TOKEN}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('some bytes');
      req.end();
    });
    assert.equal(chunked, 411);

    // 1 GiB announced, nothing sent: answered at once.
    const big = await http('POST', uploadPath(randomUUID(), 'big.bin'), { 'Content-Length': 1024 ** 3, Authorization: `Apikey ${TOKEN}` });
    assert.equal(big.status, 413);
    assert.deepEqual(JSON.parse(big.body.toString()), { error: 'file too large', limit: 1024 * 1024, size: 1024 ** 3 });

    // Quota 3 MiB (carol's own files): three files of 900 KiB fit, the fourth does not.
    const statuses: number[] = [];
    let last: Answer | undefined;
    for (let i = 0; i < 4; i++) {
      const data = randomBytes(900 * 1024);
      last = await http(
        'POST',
        uploadPath(randomUUID(), `q${i}.bin`, CAROL, BOB),
        { 'Content-Type': 'application/octet-stream', 'Content-Length': data.length, Authorization: `Apikey ${CAROL_TOKEN}` },
        data,
      );
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 413]);
    const reason = JSON.parse(last!.body.toString()) as { error: string; quota: number; used: number; size: number };
    assert.equal(reason.error, 'quota exceeded');
    assert.equal(reason.quota, 3 * 1024 * 1024);
    assert.equal(reason.used, 3 * 900 * 1024);
    assert.equal(reason.size, 900 * 1024);
    assert.deepEqual(incoming(), []);
  });

  test('who may upload: no credentials, a wrong token, another account\'s token → 403; nothing stored', async () => {
    const id = randomUUID();
    const data = randomBytes(100);
    const headers = { 'Content-Type': 'image/jpeg', 'Content-Length': data.length };
    assert.equal((await http('POST', uploadPath(id, 'x.jpg'), headers, data)).status, 403);
    assert.equal((await http('POST', uploadPath(id, 'x.jpg'), { ...headers, Authorization: `Apikey ${TOKEN}x` }, data)).status, 403);
    assert.equal((await http('POST', uploadPath(id, 'x.jpg'), { ...headers, Authorization: `Bearer ${TOKEN}` }, data)).status, 403);
    // alice's token does not let anyone upload as bob.
    assert.equal((await http('POST', uploadPath(id, 'x.jpg', BOB, ALICE), { ...headers, Authorization: `Apikey ${TOKEN}` }, data)).status, 403);
    assert.equal(await entry(BOB, id), undefined);
    assert.equal(await entry(ALICE, id), undefined);
  });

  test('a sender authenticated on a WebSocket from this address but without an account record: the receiver-based layout; neither party storage-enabled → 404', async (t) => {
    // What the gateway registers when an account authenticates (the end-to-end suite does it for
    // real through a registrar); its account record is gone (e.g. removed with sylk-db meanwhile).
    const ghost = 'ghost@example.org';
    const binding = { aor: ghost, connectionId: 'ghost-conn', deviceId: null, remoteAddress: '::ffff:127.0.0.1', sendRaw: () => undefined };
    server.gateway.ctx.registry.add(binding);
    t.after(() => server.gateway.ctx.registry.delete(binding));
    assert.equal(await server.store.getAccount(ghost), null);
    const data = randomBytes(64);
    const headers = { 'Content-Type': 'image/gif', 'Content-Length': data.length };
    const id = randomUUID();
    const ok = await http('POST', uploadPath(id, 'hi.gif', ghost, BOB), headers, data);
    assert.equal(ok.status, 200, ok.body.toString());
    const hb = aorHash(BOB);
    const hg = aorHash(ghost);
    assert.deepEqual(readFileSync(join(ftDir, hb[0]!, hb, hg, id, 'hi.gif')), data);
    const d = JSON.parse((await entry(BOB, id))!.content) as { url: string };
    assert.ok(d.url.endsWith(`/webrtcgateway/filetransfer/${hb}/${hg}/${id}/hi.gif`), d.url);
    assert.equal((await http('GET', new URL(d.url).pathname)).status, 200);
    const none = await http('POST', uploadPath(randomUUID(), 'hi.gif', ghost, 'nobody@example.org'), headers, data);
    assert.equal(none.status, 404);
  });

  test('names: secure file names (unicode folded, separators and blanks to _); an empty name or id → 403', async () => {
    const id = randomUUID();
    const r = await upload(id, encodeURIComponent('Café menu (v2).jpg'), randomBytes(10));
    assert.equal(r.status, 200);
    const e = await entry(BOB, id);
    assert.equal((JSON.parse(e!.content) as { filename: string }).filename, 'Cafe_menu_v2.jpg');
    assert.equal((await upload(randomUUID(), encodeURIComponent('..'), randomBytes(10))).status, 403);
    assert.equal((await upload('...', 'a.jpg', randomBytes(10))).status, 403);
    assert.equal((await http('OPTIONS', uploadPath(id, 'a.jpg'))).body.toString(), 'OK');
  });

  test('an aborted upload leaves no file and no message', async () => {
    const id = randomUUID();
    const before = await server.store.query(BOB, { limit: 5000 });
    await new Promise<void>((resolve) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: uploadPath(id, 'partial.bin'),
        headers: { 'Content-Length': 500_000, Authorization: `Apikey ${TOKEN}`, 'Content-Type': 'application/octet-stream' },
      });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.write(randomBytes(200_000));
      void waitUntil(() => server.fileTransfer.activeUploads === 1, 'the upload to start').then(() => req.destroy());
    });
    await waitUntil(() => server.fileTransfer.activeUploads === 0 && incoming().length === 0, 'the aborted upload to be cleaned up');
    assert.equal(existsSync(join(ftDir, aorHash(ALICE)[0]!, aorHash(ALICE), aorHash(BOB), id)), false);
    assert.equal(await entry(BOB, id), undefined);
    assert.equal((await server.store.query(BOB, { limit: 5000 })).entries.length, before.entries.length);
  });

  test('cancel: the upload in progress is aborted (no file, no message); the answers are the original\'s', async () => {
    const id = randomUUID();
    const none = await http('GET', `/webrtcgateway/filetransfer/cancel/${id}`);
    assert.equal(none.body.toString(), `No active upload with transfer_id ${id}\n`);
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: uploadPath(id, 'movie.mp4'),
      headers: { 'Content-Length': 800_000, Authorization: `Apikey ${TOKEN}`, 'Content-Type': 'video/mp4' },
    });
    const ended = new Promise<void>((resolve) => {
      req.on('error', () => resolve());
      req.on('close', () => resolve());
    });
    req.write(randomBytes(100_000));
    await waitUntil(() => server.fileTransfer.activeUploads === 1, 'the upload to start');
    const cancelled = await http('POST', `/webrtcgateway/filetransfer/cancel/${id}`);
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.toString(), `Cancelled upload ${id}\n`);
    await ended;
    await waitUntil(() => server.fileTransfer.activeUploads === 0 && incoming().length === 0, 'the cancelled upload to be cleaned up');
    assert.equal(await entry(BOB, id), undefined);
    assert.equal(await entry(ALICE, id), undefined);
  });

  test('housekeeping ran at start-up: the expired file and its empty directories are gone', async () => {
    await waitUntil(() => !existsSync(join(ftDir, 'Q')), 'the expired file to be removed');
  });

  test('the file goes with its message: removing the entry deletes the directory', async () => {
    const id = randomUUID();
    assert.equal((await upload(id, 'gone.jpg', randomBytes(50))).status, 200);
    const fileDir = join(ftDir, aorHash(ALICE)[0]!, aorHash(ALICE), aorHash(BOB), id);
    assert.ok(existsSync(fileDir));
    await server.messaging.service.removeMessage({ account: ALICE, contact: BOB, message_id: id });
    await waitUntil(() => !existsSync(fileDir), 'the directory to be deleted');
  });

  // Last: it closes the journal store under the running server.
  test('the journal store unavailable for the checks: 503 with Retry-After, never 500', async () => {
    await server.store.close();
    const data = randomBytes(10);
    const r = await upload(randomUUID(), 'late.jpg', data);
    assert.equal(r.status, 503);
    assert.equal(r.headers['retry-after'], '5');
    assert.deepEqual(incoming(), []);
  });
});

async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
