/**
 * What every browser test of the web client (`web-client.md`) shares: the client built into a
 * temporary directory (scripts/build-web.mjs), a real sylk-server in standalone mode started
 * in-process through the composition root (SQLite in the same temporary directory, every listener
 * on 127.0.0.1 port 0), accounts created with the accounts store API (as `sylk-db account add`
 * does), and Debian's Chromium driven by playwright-core (nothing downloads a browser; Playwright
 * gives each launch a fresh temporary profile, `--user-data-dir`). Each test file starts and stops its
 * own environment.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.mjs';
import { createAccount } from '../../src/accounts/manage.js';
import { startServer, type RunningServer } from '../../src/cli/server/compose.js';
import { loadConfig } from '../../src/config/index.js';

export type StorageState = Awaited<ReturnType<BrowserContext['storageState']>>;

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const DOMAIN = 'example.com';
export const PASSWORD = 'correct horse battery';

export interface WebEnv {
  tmp: string;
  webDir: string;
  server: RunningServer;
  /** `http://127.0.0.1:PORT` */
  base: string;
  browser: Browser;
  addAccount(user: string, password?: string): Promise<string>;
  /** A new browser context (a separate "device") with one page, at `base`. */
  /** `storage`: a context's saved storage (e.g. the encryption keys a device made). */
  device(viewport?: { width: number; height: number }, storage?: StorageState): Promise<{ context: BrowserContext; page: Page }>;
  /** Close every device opened so far (between tests: an open page keeps reading its conversation). */
  closeDevices(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Standalone mode as the sample configuration has it (`local_sip_messages = yes`: the WebSocket
 * clients' messages go through the server's own SIP stack, to the TCP port it bound).
 */
export async function startServerIn(dir: string, webDir: string, extra = ''): Promise<RunningServer> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'config.ini'),
    `[Server]\nmode = standalone\n[SIP]\nlocal_ip = 127.0.0.1\nlocal_udp_port = 0\nlocal_tcp_port = 0\nlocal_tls_port =\n[WebServer]\nlocal_ip = 127.0.0.1\nlocal_port = 0\n${extra}`,
  );
  writeFileSync(
    join(dir, 'webrtcgateway.ini'),
    ['[General]', 'local_sip_messages = yes', 'http_management_interface = 127.0.0.1:0', `file_transfer_dir = ${join(dir, 'files')}`, '[FileStorage]', `storage_dir = ${dir}`, '[Storage]', `sqlite_path = ${join(dir, 'journal.sqlite')}`, ''].join('\n'),
  );
  const config = loadConfig({ configDir: dir, systemDir: null, userDir: null, log: false, defaultIp: '127.0.0.1', cwd: dir });
  return startServer(config, { version: 'test', serverHeader: 'SylkServer/test', webClientDir: webDir });
}

export async function startWebEnv(name: string): Promise<WebEnv> {
  const tmp = mkdtempSync(join(tmpdir(), `sylk-web-${name}-`));
  const webDir = join(tmp, 'web');
  await buildWeb(webDir);
  const server = await startServerIn(join(tmp, 'server'), webDir);
  const base = `http://127.0.0.1:${server.web.port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const contexts: BrowserContext[] = [];
  return {
    tmp,
    webDir,
    server,
    base,
    browser,
    async addAccount(user, password = PASSWORD) {
      const r = await createAccount(server.store.localAccounts, { aor: `${user}@${DOMAIN}`, password }, '*');
      if (!r.ok) throw new Error(r.message);
      return `${user}@${DOMAIN}`;
    },
    async device(viewport = { width: 1280, height: 800 }, storage?: StorageState) {
      const context = await browser.newContext(storage ? { viewport, storageState: storage } : { viewport });
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(base);
      return { context, page };
    },
    async closeDevices() {
      for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await server.stop();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Sign in through the form (names from web-client.md). */
export async function signIn(page: Page, address: string, password = PASSWORD, remember = false): Promise<void> {
  await page.getByRole('textbox', { name: 'Address' }).fill(address);
  await page.getByLabel('Password').fill(password);
  if (remember) await page.getByLabel('Remember me').check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 20_000 });
}

/** Wait until the browser has the account's encryption key (made or loaded) and checked it with the server. */
export async function encryptionOn(page: Page): Promise<void> {
  await page.getByText('End-to-end encryption is on.').waitFor({ timeout: 30_000 });
}

/** Open (or start) the conversation with `address` through the New conversation field. */
export async function openConversation(page: Page, address: string): Promise<void> {
  const item = page.getByRole('list', { name: 'Conversations' }).getByRole('listitem').filter({ hasText: address });
  if ((await item.count()) > 0) await item.getByRole('button').click();
  else {
    await page.getByRole('textbox', { name: 'New conversation' }).fill(address);
    await page.getByRole('textbox', { name: 'New conversation' }).press('Enter');
  }
  await page.getByRole('heading', { name: address }).waitFor();
}

export async function sendText(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
}

/** The message bubble containing `text` in the open conversation. */
export function message(page: Page, text: string) {
  return page.getByRole('log', { name: 'Messages' }).locator('.msg', { hasText: text });
}

/** Poll until `check` returns a truthy value (or throw with `what` after `ms`). */
export async function until<T>(what: string, check: () => Promise<T> | T, ms = 20_000): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function stateOf(page: Page, text: string): Promise<string | null> {
  return message(page, text).locator('[data-state]').getAttribute('data-state', { timeout: 2000 });
}

export async function unreadOf(page: Page, contact: string): Promise<number> {
  const badge = page.getByRole('list', { name: 'Conversations' }).getByRole('listitem').filter({ hasText: contact }).locator('[data-unread]');
  return (await badge.count()) === 0 ? 0 : Number(await badge.getAttribute('data-unread'));
}
