/**
 * Attachments in the web client (`web-client.md`; http-api.md §3–§4): a file chosen with the
 * `Attach file` button or dropped on the conversation is uploaded through the file-transfer route
 * with a progress bar, the server's `application/sylk-file-transfer` message reaches the other
 * side live, images show inline (between two browsers with keys: encrypted, decrypted in the
 * browser) and other files as a download link that serves the same bytes.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { png } from './png.js';
import { WsClient } from '../helpers/e2e-ws.js';
import { openConversation, PASSWORD, signIn, startWebEnv, until, type WebEnv } from './harness.js';

describe('web client: attachments through the file-transfer routes', () => {
  let env: WebEnv;
  let alice: string;
  let bob: string;

  before(async () => {
    env = await startWebEnv('files');
    alice = await env.addAccount('alice');
    bob = await env.addAccount('bob');
  });
  afterEach(async () => {
    await env.closeDevices();
  });
  after(async () => {
    await env.close();
  });

  test('an image by the Attach file button: progress, inline on both sides (encrypted between two browsers)', async () => {
    const a = (await env.device()).page;
    const b = (await env.device()).page;
    await signIn(a, alice);
    await signIn(b, bob);
    for (const p of [a, b]) await p.getByText('End-to-end encryption is on.').waitFor({ timeout: 30_000 });
    await openConversation(a, bob);
    await openConversation(b, alice);
    await a.getByText('Encrypted', { exact: true }).waitFor({ timeout: 20_000 });
    // Watch for the progress bar while uploading.
    await a.evaluate(`(() => {
      window.sawProgress = false;
      new MutationObserver(() => { if (document.querySelector('progress')) window.sawProgress = true; })
        .observe(document.body, { subtree: true, childList: true });
    })()`);
    const chooser = a.waitForEvent('filechooser');
    await a.getByRole('button', { name: 'Attach file' }).click();
    await (await chooser).setFiles({ name: 'photo.png', mimeType: 'image/png', buffer: png(320, 200) });
    for (const p of [b, a]) {
      const img = p.getByRole('log', { name: 'Messages' }).getByRole('img', { name: 'photo.png' });
      await img.waitFor({ timeout: 30_000 });
      await until('the image loaded', () => img.evaluate((el) => { const i = el as unknown as { complete: boolean; naturalWidth: number }; return i.complete && i.naturalWidth === 320; }));
      assert.equal(await p.locator('.msg', { has: p.getByRole('img', { name: 'photo.png' }) }).getAttribute('data-encrypted'), 'yes');
    }
    assert.equal(await a.evaluate('window.sawProgress'), true, 'a progress bar was shown');
    const state = a.locator('.msg', { has: a.getByRole('img', { name: 'photo.png' }) }).locator('[data-state]');
    await until('sent', async () => ['sent', 'delivered', 'read'].includes((await state.getAttribute('data-state')) ?? ''));
    // The file message is in the journal: after a reload bob sees the image again.
    await b.reload();
    await signIn(b, bob);
    await openConversation(b, alice);
    const again = b.getByRole('log', { name: 'Messages' }).getByRole('img', { name: 'photo.png' });
    await again.waitFor({ timeout: 20_000 });
  });

  test('a PDF by drag and drop to a contact without a key: a download link serving the same bytes', async () => {
    // carol is a plain sylkRTC client with no OpenPGP key: the browser sends the file as it is.
    const carol = await env.addAccount('carol');
    const app = await WsClient.connect(`${env.base.replace(/^http/, 'ws')}/webrtcgateway/ws`, 'carol');
    await app.login(carol, PASSWORD);
    const a = (await env.device()).page;
    await signIn(a, alice);
    await openConversation(a, carol);
    const pdf = Buffer.from('%PDF-1.4\n% test document\n' + 'x'.repeat(200_000));
    await a.evaluate(
      `(async (b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], 'report.pdf', { type: 'application/pdf' }));
        const target = document.querySelector('main.chat');
        target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
        target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      })(${JSON.stringify(pdf.toString('base64'))})`,
    );
    const [ev] = await app.waitForEvent('message', (e) => e.content_type === 'application/sylk-file-transfer', 1, 30_000);
    const d = JSON.parse(String(ev!.content)) as { filename: string; filetype: string; url: string; filesize: number };
    assert.deepEqual([d.filename, d.filetype, d.filesize], ['report.pdf', 'application/pdf', pdf.length]);
    assert.deepEqual(Buffer.from(await (await fetch(env.base + new URL(d.url).pathname)).arrayBuffer()), pdf);
    const link = a.getByRole('log', { name: 'Messages' }).getByRole('link', { name: /report\.pdf/ });
    await link.waitFor({ timeout: 30_000 });
    assert.equal(await link.getAttribute('download'), 'report.pdf');
    const href = (await link.getAttribute('href'))!;
    assert.match(href, /^\/webrtcgateway\/filetransfer\//);
    assert.deepEqual(Buffer.from(await (await fetch(env.base + href)).arrayBuffer()), pdf);
    assert.equal(await a.locator('.msg', { has: a.getByRole('link', { name: /report\.pdf/ }) }).getAttribute('data-encrypted'), 'no');
    await app.close();
  });
});
