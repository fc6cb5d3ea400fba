/**
 * Attachments in the web client (`web-client.md`; http-api.md §3–§4): a file chosen with the
 * `Attach file` button or dropped on the conversation is uploaded through the file-transfer route
 * with a progress bar, the server's `application/sylk-file-transfer` message reaches the other
 * browser live, images show inline and other files as a download link that serves the same bytes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { openConversation, signIn, startWebEnv, until, type WebEnv } from './harness.js';

/** A small valid PNG (w×h, one colour), made here rather than shipped. */
function png(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(w * 3, 0x3c)]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

describe('web client: attachments through the file-transfer routes', () => {
  let env: WebEnv;
  let alice: string;
  let bob: string;

  before(async () => {
    env = await startWebEnv('files');
    alice = await env.addAccount('alice');
    bob = await env.addAccount('bob');
  });
  after(async () => {
    await env.close();
  });

  test('an image by the Attach file button shows inline on both sides; a PDF by drag and drop is a link', async () => {
    const a = (await env.device()).page;
    const b = (await env.device()).page;
    await signIn(a, alice);
    await signIn(b, bob);
    await openConversation(a, bob);
    await openConversation(b, alice);
    // Watch for the progress bar while uploading.
    await a.evaluate(`(() => {
      window.sawProgress = false;
      new MutationObserver(() => { if (document.querySelector('progress')) window.sawProgress = true; })
        .observe(document.body, { subtree: true, childList: true });
    })()`);
    const image = png(320, 200);
    const chooser = a.waitForEvent('filechooser');
    await a.getByRole('button', { name: 'Attach file' }).click();
    await (await chooser).setFiles({ name: 'photo.png', mimeType: 'image/png', buffer: image });
    const img = b.getByRole('log', { name: 'Messages' }).getByRole('img', { name: 'photo.png' });
    await img.waitFor({ timeout: 30_000 });
    await until('the image loaded', () => img.evaluate('(el) => el.complete && el.naturalWidth === 320'));
    const src = await img.getAttribute('src');
    assert.match(src ?? '', /^\/webrtcgateway\/filetransfer\//);
    const served = Buffer.from(await (await fetch(env.base + src)).arrayBuffer());
    assert.deepEqual(served, image);
    await a.getByRole('log', { name: 'Messages' }).getByRole('img', { name: 'photo.png' }).waitFor();
    assert.equal(await a.evaluate('window.sawProgress'), true, 'a progress bar was shown');
    const state = a.locator('.msg', { has: a.getByRole('img', { name: 'photo.png' }) }).locator('[data-state]');
    await until('sent', async () => ['sent', 'delivered', 'read'].includes((await state.getAttribute('data-state')) ?? ''));

    // Drag and drop a PDF onto the conversation.
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
    const link = b.getByRole('log', { name: 'Messages' }).getByRole('link', { name: /report\.pdf/ });
    await link.waitFor({ timeout: 30_000 });
    assert.equal(await link.getAttribute('download'), 'report.pdf');
    const got = Buffer.from(await (await fetch(env.base + (await link.getAttribute('href')))).arrayBuffer());
    assert.deepEqual(got, pdf);
    // The file message is also in the journal: a reload shows it again.
    await b.reload();
    await signIn(b, bob);
    await openConversation(b, alice);
    await b.getByRole('log', { name: 'Messages' }).getByRole('link', { name: /report\.pdf/ }).waitFor();
    await b.getByRole('log', { name: 'Messages' }).getByRole('img', { name: 'photo.png' }).waitFor();
  });
});
