/**
 * The web client's screens (`web-client.md`): screenshots of sign-in, conversation list and
 * conversation at desktop (1280×800) and phone (390×844) sizes, saved and checked for their basic
 * properties (size, not blank, the phone layout showing one pane at a time); an axe-core check of
 * each screen with no serious or critical violation (this includes colour contrast); keyboard-only
 * use from sign-in to a sent message; no Content-Security-Policy violation; and the first render
 * under 1 s on loopback. With SYLK_UPDATE_SCREENSHOT=1 the desktop conversation screenshot is also
 * written to docs/web-client.png (the README's picture).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { message, openConversation, sendText, signIn, startWebEnv, until, type StorageState, type WebEnv } from './harness.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** Run axe-core in the page (injected through the debugging protocol, so the page's CSP stays as served). */
async function axe(page: Page, screen: string): Promise<void> {
  await page.evaluate(AXE);
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`)) as AxeViolation[];
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${screen}: ${JSON.stringify(bad, null, 1)}`);
}

/** PNG width and height from the IHDR chunk. */
function pngSize(b: Buffer): { width: number; height: number } {
  assert.equal(b.subarray(1, 4).toString(), 'PNG');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('web client: screens, accessibility, keyboard, first render', () => {
  let env: WebEnv;
  let alice: string;
  let bob: string;
  let shots: string;
  /** Alice's first browser storage: her encryption keys, so later devices read the encrypted history. */
  let aliceStorage: StorageState;

  before(async () => {
    env = await startWebEnv('screens');
    shots = join(env.tmp, 'screenshots');
    mkdirSync(shots);
    alice = await env.addAccount('alice');
    bob = await env.addAccount('bob');
    // Some history so the screens have content.
    const b = (await env.device()).page;
    await signIn(b, bob);
    const { context: ac, page: a } = await env.device();
    await signIn(a, alice);
    await openConversation(a, bob);
    await sendText(a, 'Hi Bob! Are we still on for lunch tomorrow?');
    await openConversation(b, alice);
    await sendText(b, 'Yes — 12:30 at the usual place.\nI will book a table.');
    await message(a, 'usual place').waitFor();
    aliceStorage = await ac.storageState();
    await env.closeDevices();
  });
  after(async () => {
    await env.close();
  });

  for (const [size, viewport] of [
    ['desktop', { width: 1280, height: 800 }],
    ['phone', { width: 390, height: 844 }],
  ] as const) {
    test(`${size}: screenshots and axe-core on sign-in, list and conversation`, async () => {
      const { page } = await env.device(viewport, aliceStorage);
      const violations: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy|Refused to/.test(m.text())) violations.push(m.text());
      });
      const shot = async (name: string) => {
        const file = join(shots, `${size}-${name}.png`);
        const png = await page.screenshot({ path: file });
        assert.deepEqual(pngSize(png), viewport);
        assert.ok(png.length > 5000, `${name}: ${png.length} bytes is a blank page`);
        return file;
      };
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      await shot('sign-in');
      await axe(page, `${size} sign-in`);
      await signIn(page, alice);
      await page.getByRole('list', { name: 'Conversations' }).getByRole('listitem').filter({ hasText: bob }).waitFor();
      await shot('list');
      await axe(page, `${size} list`);
      await openConversation(page, bob);
      await message(page, 'usual place').waitFor();
      await until('read state', async () => (await message(page, 'lunch').locator('[data-state]').textContent()) === 'read');
      const file = await shot('conversation');
      await axe(page, `${size} conversation`);
      const list = page.getByRole('list', { name: 'Conversations' });
      if (size === 'phone') {
        // One pane at a time: the list is hidden while a conversation is open, and Back returns.
        assert.equal(await list.isVisible(), false);
        await page.getByRole('button', { name: 'Conversations' }).click();
        assert.equal(await list.isVisible(), true);
        assert.equal(await page.getByRole('log', { name: 'Messages' }).count(), 0);
        await shot('list-after-back');
      } else {
        assert.equal(await list.isVisible(), true);
        assert.equal(await page.getByRole('log', { name: 'Messages' }).isVisible(), true);
        if (process.env.SYLK_UPDATE_SCREENSHOT) copyFileSync(file, join(ROOT, 'docs', 'web-client.png'));
      }
      // The page scrolls nowhere sideways at this width.
      assert.equal(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), true);
      assert.deepEqual(violations, []);
    });
  }

  test('keyboard only: sign in, start a conversation, send, sign out', async () => {
    const carol = await env.addAccount('carol');
    const { page } = await env.device();
    const kb = page.keyboard;
    const focused = () => page.evaluate('document.activeElement && (document.activeElement.getAttribute("aria-label") || document.activeElement.id || document.activeElement.textContent)');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await kb.press('Tab');
    assert.equal(await focused(), 'address');
    await kb.type(carol);
    await kb.press('Tab');
    assert.equal(await focused(), 'password');
    await kb.type('correct horse battery');
    await kb.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 20_000 });
    // Tab from the top: Sign out, then the New conversation field.
    await page.evaluate('document.activeElement && document.activeElement.blur()');
    for (let i = 0; i < 5 && (await focused()) !== 'new-conversation'; i++) await kb.press('Tab');
    assert.equal(await focused(), 'new-conversation');
    await kb.type(bob);
    await kb.press('Enter');
    await page.getByRole('heading', { name: bob }).waitFor();
    for (let i = 0; i < 8 && (await focused()) !== 'composer'; i++) await kb.press('Tab');
    assert.equal(await focused(), 'composer');
    await kb.type('typed with the keyboard only');
    await kb.press('Enter');
    await message(page, 'typed with the keyboard only').waitFor();
    // Every control reached by Tab shows a visible focus outline.
    const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
    assert.notEqual(outline, 'none');
    await page.getByRole('button', { name: 'Sign out' }).focus();
    await kb.press('Enter');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  test('first render under 1 s on loopback (median of 3 fresh loads)', async () => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const context = await env.browser.newContext();
      const page = await context.newPage();
      const t0 = Date.now();
      await page.goto(env.base);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      const wall = Date.now() - t0;
      const fcp = (await page.evaluate(`(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null`)) as number | null;
      times.push(fcp ?? wall);
      await context.close();
    }
    times.sort((x, y) => x - y);
    console.log(`# first render (first contentful paint), 3 fresh loads: ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
    assert.ok(times[1]! < 1000, `median ${times[1]} ms`);
  });
});
