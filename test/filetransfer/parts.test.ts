/**
 * The parts of the file transfer on their own: secure names (`http-api.md` §3.2 step 1), the size
 * text of the notice (§9.1), the SHA-1 format, the streaming store (limit enforced on the bytes, an
 * incomplete body leaves nothing), the quota count, the housekeeping rules (§9.2), the uploader check
 * against the real connection registry (authenticated bindings only, IPv4-mapped addresses), the
 * byte-size configuration syntax, and the descriptor JSON shared with the FT-HTTP handler.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseByteSize } from '../../src/config/values.js';
import { canonicalAddress, mayUpload } from '../../src/filetransfer/auth.js';
import { dispositionFor } from '../../src/filetransfer/download.js';
import { UploadWriter } from '../../src/filetransfer/writer.js';
import { sweep } from '../../src/filetransfer/housekeeping.js';
import { transferLocation } from '../../src/filetransfer/layout.js';
import { isSafeSegment, secureFilename } from '../../src/filetransfer/names.js';
import { Quota, usedBytes } from '../../src/filetransfer/quota.js';
import { formatSha1, IncompleteError, receiveFile, TooLargeError } from '../../src/filetransfer/store.js';
import { rawTransferId } from '../../src/filetransfer/uploads.js';
import { descriptorJson, fileNotice, formatFileSize } from '../../src/messaging/file-transfer.js';
import { aorHash } from '../../src/messaging/files.js';
import { ConnectionRegistry } from '../../src/sylkrtc/registry.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'sylk-ft-parts-'));

test('secureFilename: the original rule', () => {
  assert.equal(secureFilename('photo.jpg'), 'photo.jpg');
  assert.equal(secureFilename('My cool movie.mov'), 'My_cool_movie.mov');
  assert.equal(secureFilename('../../../etc/passwd'), 'etc_passwd');
  assert.equal(secureFilename('..\\..\\windows\\x.exe'), 'windows_x.exe');
  assert.equal(secureFilename('Café crème.png'), 'Cafe_creme.png');
  assert.equal(secureFilename('i contain cool \xfcml\xe4uts.txt'), 'i_contain_cool_umlauts.txt');
  assert.equal(secureFilename('__.hidden._'), 'hidden');
  assert.equal(secureFilename('..'), '');
  assert.equal(secureFilename('日本語'), '');
  assert.equal(secureFilename('a\tb\n c'), 'a_b_c');
  for (const s of ['a.jpg', 'Zk3-_Q', '0b6f2c2e-5b7a']) assert.ok(isSafeSegment(s));
  for (const s of ['', '.', '..', '.incoming', 'a/b', 'a%2Fb', 'a b', '..\\x']) assert.ok(!isSafeSegment(s), s);
});

test('formatFileSize: the original boundaries and precision', () => {
  const cases: Array<[number, string]> = [
    [0, '0 bytes'],
    [1023, '1023 bytes'],
    [1024, '1.00 KB'],
    [10 * 1024 - 1, '10.00 KB'],
    [10 * 1024, '10.0 KB'],
    [300_000, '293.0 KB'],
    [1024 ** 2, '1.00 MB'],
    [10 * 1024 ** 2, '10.0 MB'],
    [1024 ** 3, '1.00 GB'],
    [10 * 1024 ** 3, '10.0 GB'],
  ];
  for (const [n, text] of cases) assert.equal(formatFileSize(n), text, String(n));
});

test('descriptor JSON: field order, Python formatting, hash only when known; no notice for .asc', () => {
  const d = {
    filename: 'a.jpg',
    filesize: 3,
    sender: { uri: 'a@x.org', display_name: '' },
    receiver: { uri: 'b@x.org', display_name: '' },
    transfer_id: 'T',
    timestamp: '2024-05-01T10:00:00.123456+00:00',
    until: '2024-05-16T10:00:00.123456+00:00',
    url: 'https://h:443/webrtcgateway/filetransfer/A/B/T/a.jpg',
    filetype: 'image/jpeg',
  };
  assert.equal(
    descriptorJson({ ...d, hash: 'sha-1:AA' }),
    '{"filename": "a.jpg", "filesize": 3, "sender": {"uri": "a@x.org", "display_name": ""}, "receiver": {"uri": "b@x.org", "display_name": ""}, ' +
      '"transfer_id": "T", "timestamp": "2024-05-01T10:00:00.123456+00:00", "until": "2024-05-16T10:00:00.123456+00:00", ' +
      '"url": "https://h:443/webrtcgateway/filetransfer/A/B/T/a.jpg", "filetype": "image/jpeg", "hash": "sha-1:AA"}',
  );
  assert.ok(!descriptorJson(d).includes('"hash"'));
  assert.equal(fileNotice(d), 'File transfer available at https://h:443/webrtcgateway/filetransfer/A/B/T/a.jpg (3 bytes)');
  assert.equal(fileNotice({ ...d, filename: 'a.jpg.asc' }), null);
});

test('layout: sender layout, receiver layout, URL path', () => {
  const s = transferLocation('/ft', 'alice@example.com', 'bob@example.com', 'T1', 'a.jpg', false);
  const ha = aorHash('alice@example.com');
  const hb = aorHash('bob@example.com');
  assert.equal(s.dir, `/ft/${ha[0]}/${ha}/${hb}/T1`);
  assert.equal(s.urlPath, `/webrtcgateway/filetransfer/${ha}/${hb}/T1/a.jpg`);
  assert.equal(s.meta, `/ft/${ha[0]}/${ha}/${hb}/T1/meta-a.jpg`);
  const r = transferLocation('/ft', 'alice@example.com', 'bob@example.com', 'T1', 'a.jpg', true);
  assert.equal(r.owner, 'bob@example.com');
  assert.equal(r.dir, `/ft/${hb[0]}/${hb}/${ha}/T1`);
  assert.equal(r.urlPath, `/webrtcgateway/filetransfer/${hb}/${ha}/T1/a.jpg`);
  assert.equal(dispositionFor('X.JPEG'), 'inline');
  assert.equal(dispositionFor('clip.webm'), 'inline');
  assert.equal(dispositionFor('page.html'), 'attachment');
  assert.equal(dispositionFor('image.svg'), 'attachment');
  assert.equal(rawTransferId('/webrtcgateway/filetransfer/a%40x/b@y/id%201/f.jpg'), 'id%201');
  assert.equal(rawTransferId('/webrtcgateway/filetransfer/cancel/x'), null);
});

test('receiveFile: SHA-1 while streaming; more bytes than allowed fail on the bytes themselves; short bodies fail; nothing left behind', async () => {
  const root = tmp();
  const writer = new UploadWriter();
  try {
    // 20 MiB + 17 in uneven pieces: several batches, and more in flight than the worker's bound.
    const data = randomBytes(20 * 1024 * 1024 + 17);
    const pieces = [];
    for (let i = 0; i < data.length; i += 99_991) pieces.push(data.subarray(i, i + 99_991));
    const ok = await receiveFile(Readable.from(pieces), { root, maxBytes: 1 << 30, expectedBytes: data.length, writer });
    assert.equal(ok.size, data.length);
    assert.equal(ok.hash, formatSha1(createHash('sha1').update(data).digest()));
    assert.match(ok.hash, /^sha-1:([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    rmSync(ok.tmpPath);
    // The declared length was within the limit, the stream carries more: stopped while streaming.
    const chunks = Array.from({ length: 20 }, () => randomBytes(65536));
    await assert.rejects(receiveFile(Readable.from(chunks), { root, maxBytes: 200_000, expectedBytes: 150_000, writer }), TooLargeError);
    await assert.rejects(receiveFile(Readable.from([randomBytes(10)]), { root, maxBytes: 100, expectedBytes: 20, writer }), IncompleteError);
    const failing = new Readable({
      read() {
        this.push(randomBytes(1000));
        this.destroy(new Error('connection reset'));
      },
    });
    await assert.rejects(receiveFile(failing, { root, maxBytes: 1 << 20, expectedBytes: 1 << 19, writer }), /connection reset/);
    assert.deepEqual(readdirSync(join(root, '.incoming')), []);
    // Two uploads at once on the one writing thread, each its own digest.
    const [x, y] = [randomBytes(3_000_000), randomBytes(2_500_000)];
    const [fx, fy] = await Promise.all([
      receiveFile(Readable.from([x.subarray(0, 1_000_000), x.subarray(1_000_000)]), { root, maxBytes: 1 << 30, expectedBytes: x.length, writer }),
      receiveFile(Readable.from([y]), { root, maxBytes: 1 << 30, expectedBytes: y.length, writer }),
    ]);
    assert.equal(fx.hash, formatSha1(createHash('sha1').update(x).digest()));
    assert.equal(fy.hash, formatSha1(createHash('sha1').update(y).digest()));
    rmSync(fx.tmpPath);
    rmSync(fy.tmpPath);
    // The writing thread stopped while an upload waits for its digest: the upload fails, nothing is
    // left, and the next upload gets a new thread.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = Readable.from(
      (async function* () {
        yield randomBytes(1000);
        await gate;
        yield randomBytes(1000);
      })(),
    );
    const pending = receiveFile(slow, { root, maxBytes: 1 << 20, expectedBytes: 2000, writer });
    await new Promise((r) => setTimeout(r, 50));
    await writer.close();
    release();
    await assert.rejects(pending, /writing thread exited/);
    assert.deepEqual(readdirSync(join(root, '.incoming')), []);
    const again = await receiveFile(Readable.from([x]), { root, maxBytes: 1 << 30, expectedBytes: x.length, writer });
    assert.equal(again.hash, fx.hash);
    // A disk error on the writing thread reaches the caller with its code (the route maps ENOSPC and
    // EDQUOT to 507); the thread keeps serving the other uploads.
    const taken = join(root, 'taken');
    writeFileSync(taken, 'keep');
    const clash = writer.open(taken, { limit: 1 << 20, tooLarge: (l) => new TooLargeError(l), ownsChunks: false });
    await assert.rejects(pipeline(Readable.from([randomBytes(1000)]), clash), (err: NodeJS.ErrnoException) => err.code === 'EEXIST');
    assert.equal(readFileSync(taken, 'utf8'), 'keep');
    rmSync(taken);
    // The caller's buffers stay intact unless the chunks are declared the body's own: then they move
    // to the thread without a copy (detached here), and the file and digest are still right.
    assert.equal(y.length, 2_500_000);
    const own = Array.from({ length: 40 }, (_, i) => Buffer.alloc(65536, i));
    const expected = Buffer.concat(own);
    const moved = await receiveFile(Readable.from(own), { root, maxBytes: 1 << 30, expectedBytes: expected.length, writer, ownsChunks: true });
    assert.equal(moved.hash, formatSha1(createHash('sha1').update(expected).digest()));
    assert.deepEqual(readFileSync(moved.tmpPath), expected);
    assert.equal(own[0]!.buffer.byteLength, 0);
    rmSync(moved.tmpPath);
  } finally {
    await writer.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('quota: counts the files of the owner (not metadata), plus reservations in progress; 0 means none', async () => {
  const root = tmp();
  try {
    mkdirSync(join(root, 'a', 'T1'), { recursive: true });
    mkdirSync(join(root, 'b', 'T2'), { recursive: true });
    writeFileSync(join(root, 'a', 'T1', 'x.bin'), Buffer.alloc(1000));
    writeFileSync(join(root, 'a', 'T1', 'meta-x.bin'), Buffer.alloc(300));
    writeFileSync(join(root, 'b', 'T2', 'y.bin'), Buffer.alloc(500));
    assert.equal(await usedBytes(root), 1500);
    assert.equal(await usedBytes(join(root, 'missing')), 0);
    const q = new Quota(2000);
    assert.deepEqual(await q.reserve('o', root, 400), { ok: true, used: 1500 });
    assert.deepEqual(await q.reserve('o', root, 200), { ok: false, used: 1900 });
    q.release('o', 400);
    assert.equal((await q.reserve('o', root, 500)).ok, true);
    assert.equal((await new Quota(0).reserve('o', root, 10 ** 12)).ok, true);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('housekeeping: large files after filetransfer_expire_days, others after twice that, with their metadata; empty directories removed; stale temporary files', async () => {
  const root = tmp();
  try {
    const days = 15;
    const now = Date.now();
    const age = (path: string, d: number): void => {
      const t = (now - d * 86_400_000) / 1000;
      utimesSync(path, t, t);
    };
    const put = (rel: string, size: number, d: number): string => {
      const p = join(root, rel);
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(p, Buffer.alloc(size));
      age(p, d);
      writeFileSync(join(p, '..', `meta-${rel.split('/').pop()}`), '{}');
      return p;
    };
    const bigOld = put('x/h1/h2/T1/big.mp4', 50 * 1024 * 1024, 16);
    const bigYoung = put('x/h1/h2/T2/big.mp4', 50 * 1024 * 1024, 14);
    const smallMid = put('x/h1/h2/T3/small.jpg', 1000, 20);
    const smallOld = put('y/h3/h4/T4/small.jpg', 1000, 31);
    mkdirSync(join(root, '.incoming'));
    writeFileSync(join(root, '.incoming', 'stale'), 'x');
    age(join(root, '.incoming', 'stale'), 2);
    writeFileSync(join(root, '.incoming', 'fresh'), 'x');
    const r = await sweep(root, days, now);
    assert.equal(r.files, 3);
    assert.equal(existsSync(bigOld), false);
    assert.equal(existsSync(join(bigOld, '..', 'meta-big.mp4')), false);
    assert.equal(existsSync(join(root, 'x/h1/h2/T1')), false, 'empty transfer directory removed');
    assert.equal(existsSync(bigYoung), true);
    assert.equal(existsSync(smallMid), true);
    assert.equal(existsSync(join(smallMid, '..', 'meta-small.jpg')), true);
    assert.equal(existsSync(smallOld), false);
    assert.equal(existsSync(join(root, 'y')), false, 'empty directories up to the root removed');
    assert.deepEqual(readdirSync(join(root, '.incoming')), ['fresh']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('who may upload: authenticated bindings from the same address (IPv4-mapped too), or the API token', async () => {
  const registry = new ConnectionRegistry();
  const binding = { aor: 'alice@example.com', connectionId: 'c1', deviceId: null, remoteAddress: '::ffff:10.0.0.7', sendRaw: () => undefined };
  const dir = {
    authenticatedFrom: (account: string, address: string) => registry.addressesOf(account).some((a) => canonicalAddress(a) === address),
    apiToken: async (account: string) => (account === 'bob@example.com' ? 'bob-token' : null),
  };
  // Added but not (yet) authenticated: not in the registry → refused.
  assert.equal(await mayUpload(dir, 'alice@example.com', '10.0.0.7', undefined), false);
  registry.add(binding);
  assert.equal(await mayUpload(dir, 'alice@example.com', '10.0.0.7', undefined), true);
  assert.equal(await mayUpload(dir, 'alice@EXAMPLE.com', '::ffff:10.0.0.7', undefined), true);
  assert.equal(await mayUpload(dir, 'alice@example.com', '10.0.0.8', undefined), false);
  assert.equal(await mayUpload(dir, 'carol@example.com', '10.0.0.7', undefined), false);
  registry.delete(binding);
  assert.equal(await mayUpload(dir, 'alice@example.com', '10.0.0.7', undefined), false);
  assert.equal(await mayUpload(dir, 'bob@example.com', '1.2.3.4', 'Apikey bob-token'), true);
  assert.equal(await mayUpload(dir, 'bob@example.com', '1.2.3.4', 'Apikey other'), false);
  assert.equal(await mayUpload(dir, 'alice@example.com', '1.2.3.4', 'Apikey bob-token'), false);
  assert.equal(canonicalAddress('::1'), '::1');
});

test('byte sizes in the configuration: plain bytes or K/M/G/T (binary), with or without B/iB', () => {
  assert.equal(parseByteSize('100M', 1, 2 ** 50), 100 * 1024 ** 2);
  assert.equal(parseByteSize('1GiB', 1, 2 ** 50), 1024 ** 3);
  assert.equal(parseByteSize(' 512 k ', 1, 2 ** 50), 512 * 1024);
  assert.equal(parseByteSize('12345', 1, 2 ** 50), 12345);
  assert.throws(() => parseByteSize('1.5G', 1, 2 ** 50));
  assert.throws(() => parseByteSize('lots', 1, 2 ** 50));
  assert.throws(() => parseByteSize('0', 1, 2 ** 50));
});
