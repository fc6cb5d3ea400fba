/**
 * The web client chatting through a real sylk-server (standalone, SQLite) in Debian's Chromium
 * (`web-client.md`, issue 16): sign in / out with the HA1 computed in the browser, "Remember me"
 * keeping the HA1 and never the password, live messages in both directions, Enter / Shift+Enter,
 * own message states pending → sent → delivered → read, the conversation list (newest first,
 * preview, time, unread count), opening a conversation marking it read on every device, messages
 * from the same account's other device, deleting messages and conversations, history pages on
 * scroll, and catching up without duplicates after a dropped connection. Each test signs in
 * accounts of its own, so every browser either makes the account's first encryption key or is given
 * it (as after an import): encrypted messages are readable wherever the test reads them.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { changePassword } from '../../src/accounts/manage.js';
import { ha1, uuid } from '../../web/src/ids.js';
import { encryptionOn, message, openConversation, PASSWORD, sendText, signIn, startWebEnv, stateOf, unreadOf, until, type WebEnv } from './harness.js';

describe('web client: chat between browsers through the real server', () => {
  let env: WebEnv;
  let alice: string;
  let bob: string;

  before(async () => {
    env = await startWebEnv('chat');
    alice = await env.addAccount('alice');
    bob = await env.addAccount('bob');
  });
  afterEach(async () => {
    await env.closeDevices();
  });
  after(async () => {
    await env.close();
  });

  test('a wrong password shows the alert; nothing is stored without "Remember me"', async () => {
    const { page } = await env.device();
    await page.getByRole('textbox', { name: 'Address' }).fill(alice);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor({ timeout: 20_000 });
    assert.match((await alert.textContent()) ?? '', /Wrong account or password/);
    assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0);
    assert.equal(await page.evaluate('localStorage.length'), 0);
  });

  test('"Remember me" keeps the HA1 (never the password) across reloads; sign-out forgets it', async () => {
    const rita = await env.addAccount('rita');
    const { page } = await env.device();
    await signIn(page, rita, PASSWORD, true);
    const stored = (await page.evaluate('JSON.stringify(Object.fromEntries(Object.entries(localStorage)))')) as string;
    assert.ok(stored.includes(ha1(rita, PASSWORD)), stored);
    assert.ok(!stored.includes(PASSWORD), 'the password is not stored');
    await page.reload();
    await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.ok(!((await page.evaluate('JSON.stringify(localStorage)')) as string).includes(ha1(rita, PASSWORD)));
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  test('live chat: Enter sends, Shift+Enter breaks the line; states pending → sent → delivered → read', async () => {
    const a = (await env.device()).page;
    const b = (await env.device()).page;
    await signIn(a, alice);
    await signIn(b, bob);
    await openConversation(a, bob);
    // Record every state word alice's page shows, per message.
    // (A string: tsx would add helpers to a function that do not exist in the page.)
    await a.evaluate(`(() => {
      const seen = {};
      window.seen = seen;
      const note = () => {
        for (const el of document.querySelectorAll('[data-state]')) {
          const id = el.closest('[data-id]').dataset.id;
          const list = (seen[id] ??= []);
          const s = el.getAttribute('data-state');
          if (list[list.length - 1] !== s) list.push(s);
        }
      };
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    })()`);
    const box = a.getByRole('textbox', { name: 'Message' });
    await box.fill('first line');
    await box.press('Shift+Enter');
    await box.pressSequentially('second line');
    assert.equal(await box.inputValue(), 'first line\nsecond line');
    await box.press('Enter');
    assert.equal(await box.inputValue(), '');
    // Bob, with no conversation open, gets it live: unread 1, preview, time.
    await until('bob sees the conversation with unread 1', async () => (await unreadOf(b, alice)) === 1);
    const item = b.getByRole('list', { name: 'Conversations' }).getByRole('listitem').filter({ hasText: alice });
    assert.match((await item.textContent()) ?? '', /first line/);
    assert.equal(await item.locator('time').count(), 1);
    await until('delivered', async () => (await stateOf(a, 'second line')) === 'delivered');
    await openConversation(b, alice);
    assert.equal(await message(b, 'second line').locator('.text').textContent(), 'first line\nsecond line');
    await until('read', async () => (await stateOf(a, 'second line')) === 'read');
    assert.equal(await unreadOf(b, alice), 0);
    const seen = (await a.evaluate('Object.values(window.seen)')) as string[][];
    assert.deepEqual(seen, [['pending', 'sent', 'delivered', 'read']]);
    // And back, live, into the open conversation.
    await sendText(b, 'hello alice');
    await message(a, 'hello alice').waitFor();
    assert.equal(await message(a, 'hello alice').locator('[data-state]').count(), 0, 'no state on received messages');
  });

  test('conversations newest first; opening one marks it read on every device; other-device messages appear', async () => {
    // amy on two devices (the second with the first's encryption key, as after an import), ben and
    // cat write to her.
    const [alice, bob, carol] = [await env.addAccount('amy'), await env.addAccount('ben'), await env.addAccount('cat')];
    const first = await env.device();
    const a1 = first.page;
    await signIn(a1, alice);
    await encryptionOn(a1);
    const a2 = (await env.device(undefined, await first.context.storageState())).page;
    const b = (await env.device()).page;
    const c = (await env.device()).page;
    for (const [p, who] of [[a2, alice], [b, bob], [c, carol]] as const) await signIn(p, who);
    for (const p of [a2, b, c]) await encryptionOn(p);
    await openConversation(b, alice);
    await sendText(b, 'from bob 1');
    await sendText(b, 'from bob 2');
    await openConversation(c, alice);
    await sendText(c, 'from carol');
    for (const p of [a1, a2]) {
      await until('carol unread', async () => (await unreadOf(p, carol)) === 1);
      await until('bob unread', async () => (await unreadOf(p, bob)) >= 2);
      const names = await p.getByRole('list', { name: 'Conversations' }).getByRole('listitem').allTextContents();
      assert.ok(names[0]!.includes(carol), `newest first: ${names.join(' | ')}`);
    }
    await openConversation(a1, carol);
    await until('read on the other device', async () => (await unreadOf(a2, carol)) === 0);
    await until('carol sees read', async () => (await stateOf(c, 'from carol')) === 'read');
    // What alice sends on a1 shows on a2, in the right conversation, as her own message.
    await sendText(a1, 'sent from device one');
    await openConversation(a2, carol);
    await message(a2, 'sent from device one').waitFor();
    assert.equal(await message(a2, 'sent from device one').getAttribute('class'), 'msg out');
    await message(c, 'sent from device one').waitFor();
  });

  test('delete a message for me, for both; delete a conversation', async () => {
    const [alice, bob] = [await env.addAccount('dora'), await env.addAccount('eli')];
    const a = (await env.device()).page;
    const b = (await env.device()).page;
    await signIn(a, alice);
    await signIn(b, bob);
    await openConversation(a, bob);
    await openConversation(b, alice);
    const tag = uuid().slice(0, 8);
    for (const t of ['keep', 'mine-only', 'unsend']) await sendText(a, `${t} ${tag}`);
    for (const t of ['keep', 'mine-only', 'unsend']) await message(b, `${t} ${tag}`).waitFor();
    const del = async (text: string, label: string) => {
      await message(a, text).getByRole('button', { name: 'Message actions' }).click();
      await message(a, text).getByRole('button', { name: label }).click();
    };
    await del(`unsend ${tag}`, 'Delete for both');
    await del(`mine-only ${tag}`, 'Delete for me');
    await until('unsent on bob', async () => (await message(b, `unsend ${tag}`).count()) === 0);
    assert.equal(await message(a, `mine-only ${tag}`).count(), 0);
    assert.equal(await message(a, `unsend ${tag}`).count(), 0);
    assert.equal(await message(b, `mine-only ${tag}`).count(), 1, 'deleted for alice only');
    // After a reload (full sync from the journal) the deletions hold.
    await a.reload();
    await signIn(a, alice);
    await openConversation(a, bob);
    await message(a, `keep ${tag}`).waitFor();
    assert.equal(await message(a, `mine-only ${tag}`).count(), 0);
    assert.equal(await message(a, `unsend ${tag}`).count(), 0);
    // Bob deletes the conversation; alice keeps hers.
    await b.getByRole('button', { name: 'Delete conversation' }).click();
    await b.getByRole('button', { name: 'Delete all messages' }).click();
    await until('conversation gone', async () => (await b.getByRole('list', { name: 'Conversations' }).getByRole('listitem').filter({ hasText: alice }).count()) === 0);
    await b.reload();
    await signIn(b, bob);
    await b.waitForTimeout(1000);
    assert.equal(await b.getByRole('list', { name: 'Conversations' }).getByRole('listitem').filter({ hasText: alice }).count(), 0);
    assert.equal(await message(a, `keep ${tag}`).count(), 1);
  });

  test('history: the newest page first, older pages when scrolling up', async () => {
    const dave = await env.addAccount('dave');
    const erin = await env.addAccount('erin');
    // The server journals messages only for accounts that signed in once (sylkrtc-websocket.md §8.2).
    const first = await env.device();
    await signIn(first.page, erin);
    await encryptionOn(first.page);
    const erinStorage = await first.context.storageState();
    await first.context.close();
    const d = (await env.device()).page;
    await signIn(d, dave);
    await openConversation(d, erin);
    for (let i = 0; i < 120; i++) await sendText(d, `numbered ${String(i).padStart(3, '0')}`);
    await until('all sent', async () => (await stateOf(d, 'numbered 119')) !== 'pending');
    const e = (await env.device(undefined, erinStorage)).page;
    await signIn(e, erin);
    await openConversation(e, dave);
    await message(e, 'numbered 119').waitFor();
    const log = e.getByRole('log', { name: 'Messages' });
    assert.equal(await log.locator('.msg').count(), 50);
    assert.equal(await message(e, 'numbered 000').count(), 0);
    for (let page = 0; page < 2; page++) {
      const before = await log.locator('.msg').count();
      await log.evaluate((el) => (el.scrollTop = 0));
      await until('an older page', async () => (await log.locator('.msg').count()) > before);
    }
    assert.equal(await log.locator('.msg').count(), 120);
    await message(e, 'numbered 000').waitFor();
  });

  test('a dropped connection: says so, reconnects with back-off, catches up without duplicates', async () => {
    const frank = await env.addAccount('frank');
    const gina = await env.addAccount('gina');
    const { page: f } = await env.device();
    // Route frank's WebSocket through Playwright so the test can cut it and refuse reconnections.
    let refuse = false;
    const routes: Array<{ close(): Promise<void> }> = [];
    await f.routeWebSocket('**/webrtcgateway/ws', (ws) => {
      if (refuse) {
        void ws.close({ code: 1011, reason: 'refused by the test' });
        return;
      }
      ws.connectToServer();
      routes.push(ws);
    });
    await f.reload();
    await signIn(f, frank);
    await openConversation(f, gina);
    const { page: g } = await env.device();
    await signIn(g, gina);
    await openConversation(g, frank);
    await sendText(g, 'before the drop');
    await message(f, 'before the drop').waitFor();
    refuse = true;
    for (const r of routes) await r.close();
    await until('the banner', async () => /Connection lost/.test((await f.getByRole('status').first().textContent()) ?? ''));
    for (const t of ['while away 1', 'while away 2']) await sendText(g, t);
    await until('gina sent', async () => (await stateOf(g, 'while away 2')) === 'sent' || (await stateOf(g, 'while away 2')) === 'delivered');
    await f.waitForTimeout(1500); // a few refused attempts (back-off 0.5, 1, 2 s)
    assert.equal(await message(f, 'while away 1').count(), 0);
    refuse = false;
    await message(f, 'while away 2').waitFor({ timeout: 30_000 });
    for (const t of ['before the drop', 'while away 1', 'while away 2']) assert.equal(await message(f, t).count(), 1, t);
    await until('banner gone', async () => !/Connection lost/.test((await f.locator('.banner').textContent()) ?? ''));
    await sendText(f, 'back again');
    await message(g, 'back again').waitFor();
    await until('read by gina (open)', async () => (await stateOf(f, 'back again')) === 'read');
  });

  test('a sign-in refused on reconnection (password changed) is shown and not retried', async () => {
    const hank = await env.addAccount('hank');
    const { page: h } = await env.device();
    const routes: Array<{ close(): Promise<void> }> = [];
    await h.routeWebSocket('**/webrtcgateway/ws', (ws) => {
      ws.connectToServer();
      routes.push(ws);
    });
    await h.reload();
    await signIn(h, hank);
    const changed = await changePassword(env.server.store.localAccounts, hank, 'a brand new password');
    assert.ok(changed.ok);
    for (const r of routes.splice(0)) await r.close();
    await until('the refusal is shown', async () => /Wrong account or password/.test((await h.locator('.banner').textContent()) ?? ''));
    const attempts = routes.length;
    await h.waitForTimeout(3000);
    assert.equal(routes.length, attempts, 'no further attempts');
  });
});
