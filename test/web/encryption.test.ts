/**
 * End-to-end encryption in the web client, as Sylk's clients do it (`web-client.md`;
 * sylkrtc-websocket.md §9; sylkrtc.js `lib/pgp.js`): each browser makes an RSA key pair on first
 * sign-in and publishes the public key through the server; messages to a contact whose key the
 * server knows are armored OpenPGP messages for the contact's and the own key, shown decrypted with
 * a lock. Interoperability: a client made the way sylkrtc.js and Sylk Mobile make theirs (their key
 * type, their `text/pgp-public-key` publication, their encryption call) reads what the browser sends
 * and the browser reads what it sends. The server only ever stores ciphertext: the plaintext is
 * nowhere in the SQLite files. Private-key sync: a second browser of the same account imports the
 * key sent by the first (`text/pgp-private-key`, protected by a one-time code) and then reads the
 * encrypted history. Files go the same way (encrypted, uploaded as `<name>.asc`, decrypted in the
 * browser).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import * as openpgp from 'openpgp';
import { WsClient } from '../helpers/e2e-ws.js';
import { png } from './png.js';
import { message, openConversation, PASSWORD, sendText, signIn, startWebEnv, until, type StorageState, type WebEnv } from './harness.js';

const SECRET_1 = 'the eagle lands at midnight';
const SECRET_2 = 'bring the blue folder';
const SECRET_APP = 'greetings from the Sylk app';
const SECRET_FILE = 'the combination is 4-8-15-16';

/** The journal's bytes on disk (database and write-ahead log). */
function journalBytes(env: WebEnv): string {
  const db = join(env.tmp, 'server', 'journal.sqlite');
  return ['', '-wal'].map((s) => (existsSync(db + s) ? readFileSync(db + s).toString('latin1') : '')).join('');
}

describe('web client: end-to-end encryption', () => {
  let env: WebEnv;
  let alice: string;
  let bob: string;
  let wsUrl: string;
  /** Alice's first browser's storage (her keys), for her later devices. */
  let aliceStorage: StorageState;

  before(async () => {
    env = await startWebEnv('e2e');
    alice = await env.addAccount('alice');
    bob = await env.addAccount('bob');
    wsUrl = `${env.base.replace(/^http/, 'ws')}/webrtcgateway/ws`;
  });
  afterEach(async () => {
    await env.closeDevices();
  });
  after(async () => {
    await env.close();
  });

  test('two browsers: keys published, messages encrypted with a lock, the server stores only ciphertext', async () => {
    const { context: ac, page: a } = await env.device();
    const b = (await env.device()).page;
    await signIn(a, alice);
    await signIn(b, bob);
    for (const p of [a, b]) await p.getByText('End-to-end encryption is on.').waitFor({ timeout: 30_000 });
    // Each public key is on the server now, as any client would look it up.
    const probe = await WsClient.connect(wsUrl, 'probe');
    await probe.request({ sylkrtc: 'lookup-public-key', uri: alice });
    const [ev] = await probe.waitFor((f) => f.sylkrtc === 'lookup-public-key-event' && f.uri === alice);
    assert.match(String(ev!.public_key), /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    const aliceKey = await openpgp.readKey({ armoredKey: String(ev!.public_key) });
    assert.equal(aliceKey.getAlgorithmInfo().algorithm, 'rsaEncryptSign');
    assert.ok(aliceKey.getUserIDs().some((u) => u.includes(alice)));
    await probe.close();

    await openConversation(a, bob);
    await a.getByText('Encrypted', { exact: true }).waitFor({ timeout: 20_000 });
    await openConversation(b, alice);
    await b.getByText('Encrypted', { exact: true }).waitFor({ timeout: 20_000 });
    await sendText(a, SECRET_1);
    await message(b, SECRET_1).waitFor({ timeout: 20_000 });
    await sendText(b, SECRET_2);
    await message(a, SECRET_2).waitFor({ timeout: 20_000 });
    for (const [p, t] of [[a, SECRET_1], [a, SECRET_2], [b, SECRET_1], [b, SECRET_2]] as const) {
      assert.equal(await message(p, t).getAttribute('data-encrypted'), 'yes');
      assert.equal(await message(p, t).getByRole('img', { name: 'Encrypted' }).count(), 1, 'the lock');
    }
    await until('read', async () => (await message(a, SECRET_1).locator('[data-state]').textContent()) === 'read');
    // What the server keeps: armored PGP messages, never the words.
    const bytes = journalBytes(env);
    assert.ok(bytes.includes('-----BEGIN PGP MESSAGE-----'), 'ciphertext stored');
    for (const s of [SECRET_1, SECRET_2]) assert.ok(!bytes.includes(s), `"${s}" is not in the journal`);
    // Alice's own other devices read her history too: the messages are also for her own key.
    aliceStorage = await ac.storageState();
    const a2 = (await env.device(undefined, aliceStorage)).page;
    await signIn(a2, alice);
    await openConversation(a2, bob);
    await message(a2, SECRET_1).waitFor({ timeout: 20_000 });
    await message(a2, SECRET_2).waitFor();
  });

  test('interoperability with a client encrypting as sylkrtc.js / Sylk Mobile do', async () => {
    const carol = await env.addAccount('carol');
    // The "app": RSA 2048 key (sylkrtc.js: React Native cannot do elliptic curves), published by
    // sending it as text/pgp-public-key, messages encrypted for [own key, contact key].
    const keys = await openpgp.generateKey({ type: 'rsa', rsaBits: 2048, userIDs: [{ name: 'carol', email: carol }], format: 'armored' });
    const privateKey = await openpgp.readPrivateKey({ armoredKey: keys.privateKey });
    const app = await WsClient.connect(wsUrl, 'sylk-app');
    await app.login(carol, PASSWORD);
    const now = () => new Date().toISOString();
    await app.request({ sylkrtc: 'account-message', account: carol, uri: 'inital_key@to.store.in.sylkserver.info', message_id: crypto.randomUUID(), content: keys.publicKey, content_type: 'text/pgp-public-key', timestamp: now() });

    const a = (await env.device(undefined, aliceStorage)).page;
    await signIn(a, alice);
    await a.getByText('End-to-end encryption is on.').waitFor({ timeout: 30_000 });
    await app.request({ sylkrtc: 'lookup-public-key', uri: alice });
    const [ev] = await app.waitFor((f) => f.sylkrtc === 'lookup-public-key-event' && f.uri === alice && typeof f.public_key === 'string');
    const aliceKey = await openpgp.readKey({ armoredKey: String(ev!.public_key) });
    const ownKey = await openpgp.readKey({ armoredKey: keys.publicKey });
    const armored = await openpgp.encrypt({ message: await openpgp.createMessage({ text: SECRET_APP }), encryptionKeys: [ownKey, aliceKey] });
    await app.request({ sylkrtc: 'account-message', account: carol, uri: alice, message_id: crypto.randomUUID(), content: armored, content_type: 'text/plain', timestamp: now() });
    await openConversation(a, carol);
    await message(a, SECRET_APP).waitFor({ timeout: 20_000 });
    assert.equal(await message(a, SECRET_APP).getAttribute('data-encrypted'), 'yes');

    // The browser looked up carol's key: its answer is encrypted, and the app decrypts it.
    await a.getByText('Encrypted', { exact: true }).waitFor({ timeout: 20_000 });
    await sendText(a, 'reply for the app');
    const [m] = await app.waitForEvent('message', (e) => e.account === carol && String(e.content).includes('-----BEGIN PGP MESSAGE-----'));
    assert.ok(!String(m!.content).includes('reply for the app'));
    const { data } = await openpgp.decrypt({ message: await openpgp.readMessage({ armoredMessage: String(m!.content) }), decryptionKeys: privateKey });
    assert.equal(data, 'reply for the app');
    assert.equal(m!.content_type, 'text/plain');
    assert.ok(!journalBytes(env).includes(SECRET_APP));

    // Files: encrypted by the app and uploaded as <name>.asc, shown decrypted in the browser...
    const image = png(64, 48);
    const encImage = await openpgp.encrypt({ message: await openpgp.createMessage({ binary: image }), encryptionKeys: [ownKey, aliceKey], format: 'armored' });
    const up = await fetch(`${env.base}/webrtcgateway/filetransfer/${carol}/${alice}/${crypto.randomUUID()}/pic.png.asc`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: encImage });
    assert.equal(up.status, 200);
    const img = a.getByRole('log', { name: 'Messages' }).getByRole('img', { name: 'pic.png' });
    await img.waitFor({ timeout: 20_000 });
    await until('the decrypted image loaded', () => img.evaluate((el) => { const i = el as unknown as { complete: boolean; naturalWidth: number }; return i.complete && i.naturalWidth === 64; }));
    assert.match((await img.getAttribute('src')) ?? '', /^blob:/);
    // ...and a file from the browser arrives encrypted; the app decrypts it.
    const secretFile = Buffer.from(`${SECRET_FILE}\n`.repeat(50));
    const chooser = a.waitForEvent('filechooser');
    await a.getByRole('button', { name: 'Attach file' }).click();
    await (await chooser).setFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: secretFile });
    const [ft] = await app.waitForEvent('message', (e) => e.account === carol && e.content_type === 'application/sylk-file-transfer');
    const descriptor = JSON.parse(String(ft!.content)) as { filename: string; url: string };
    assert.equal(descriptor.filename, 'notes.txt.asc');
    const stored = Buffer.from(await (await fetch(env.base + new URL(descriptor.url).pathname)).arrayBuffer());
    assert.ok(!stored.includes(SECRET_FILE), 'the server has only the ciphertext');
    const plain = await openpgp.decrypt({ message: await openpgp.readMessage({ armoredMessage: stored.toString() }), decryptionKeys: privateKey, format: 'binary' });
    assert.deepEqual(Buffer.from(plain.data), secretFile);
    await app.close();
  });

  test('private-key sync: a new browser of the same account imports the key with the one-time code', async () => {
    const dave = await env.addAccount('dave');
    const erin = await env.addAccount('erin');
    const d1 = (await env.device()).page;
    const e = (await env.device()).page;
    await signIn(d1, dave);
    await signIn(e, erin);
    for (const p of [d1, e]) await p.getByText('End-to-end encryption is on.').waitFor({ timeout: 30_000 });
    await openConversation(e, dave);
    await e.getByText('Encrypted', { exact: true }).waitFor({ timeout: 20_000 });
    await sendText(e, 'only for dave');
    await openConversation(d1, erin);
    await message(d1, 'only for dave').waitFor({ timeout: 20_000 });
    // A second, fresh browser of dave: the key is on another device, the message unreadable.
    const d2 = (await env.device()).page;
    await signIn(d2, dave);
    await d2.getByText('Your encryption key is on another device').waitFor({ timeout: 30_000 });
    await openConversation(d2, erin);
    await message(d2, 'cannot be decrypted here').waitFor({ timeout: 20_000 });
    // The first browser sends the key; the second gets the import form.
    await d1.getByRole('button', { name: 'Send my key to my other devices' }).click();
    const code = (await d1.locator('.code').textContent({ timeout: 20_000 }))!;
    assert.match(code, /^\d{6}$/);
    const field = d2.getByRole('textbox', { name: 'Code from your other device' });
    await field.waitFor({ timeout: 20_000 });
    await field.fill(code === '000000' ? '111111' : '000000');
    await d2.getByRole('button', { name: 'Import key' }).click();
    await d2.getByRole('alert').filter({ hasText: 'Wrong code' }).waitFor({ timeout: 20_000 });
    await field.fill(code);
    await d2.getByRole('button', { name: 'Import key' }).click();
    await d2.getByText('End-to-end encryption is on.').waitFor({ timeout: 20_000 });
    await message(d2, 'only for dave').waitFor({ timeout: 20_000 });
    assert.equal(await message(d2, 'cannot be decrypted here').count(), 0);
  });
});
