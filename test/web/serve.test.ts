/**
 * How the server serves the web client (`web-client.md`, issue 16 "How"): `/` is the client's HTML
 * (not cached), the hashed assets it names are `immutable`, every response has the strict
 * Content-Security-Policy and `nosniff`, gzip when accepted; `[WebServer] web_client = no` restores
 * the welcome text; a missing build answers 503 saying how to build. The JavaScript loaded before
 * OpenPGP stays under 150 kB gzipped, and OpenPGP is a chunk loaded only by a dynamic import.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { buildWeb } from '../../scripts/build-web.mjs';
import type { RunningServer } from '../../src/cli/server/compose.js';
import { CONTENT_SECURITY_POLICY } from '../../src/webclient/serve.js';
import { startServerIn } from './harness.js';

describe('web client: serving, caching, security headers, page weight', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sylk-web-serve-'));
  const webDir = join(tmp, 'web');
  let built: Awaited<ReturnType<typeof buildWeb>>;
  let on: RunningServer;
  let off: RunningServer;
  let unbuilt: RunningServer;
  const url = (s: RunningServer, path: string) => `http://127.0.0.1:${s.web.port}${path}`;

  before(async () => {
    built = await buildWeb(webDir);
    on = await startServerIn(join(tmp, 'on'), webDir);
    off = await startServerIn(join(tmp, 'off'), webDir, 'web_client = no\n');
    mkdirSync(join(tmp, 'empty'));
    unbuilt = await startServerIn(join(tmp, 'unbuilt'), join(tmp, 'empty'));
  });
  after(async () => {
    for (const s of [on, off, unbuilt]) await s?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('/ is the HTML: not cached, strict CSP, nosniff; it names the hashed assets', async () => {
    const r = await fetch(url(on, '/'));
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(r.headers.get('cache-control'), 'no-cache');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    const csp = r.headers.get('content-security-policy') ?? '';
    assert.equal(csp, CONTENT_SECURITY_POLICY);
    for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) assert.ok(csp.includes(d), d);
    assert.ok(!csp.includes('unsafe'), 'no unsafe-inline / unsafe-eval');
    const html = await r.text();
    assert.ok(html.includes(`/assets/${built.js}`));
    assert.ok(built.css && html.includes(`/assets/${built.css}`));
    assert.ok(!/<script>|style=/.test(html), 'no inline script or style');
    assert.match(built.js, /^app-[A-Z0-9]{8}\.js$/);
  });

  test('assets: immutable, typed, gzip when accepted; unknown names 404', async () => {
    const js = await fetch(url(on, `/assets/${built.js}`), { headers: { 'accept-encoding': 'identity' } });
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(js.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(js.headers.get('content-encoding'), null);
    const body = Buffer.from(await js.arrayBuffer());
    assert.deepEqual(body, readFileSync(join(webDir, 'assets', built.js)));
    const gz = await fetch(url(on, `/assets/${built.css!}`), { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gz.headers.get('content-encoding'), 'gzip');
    assert.equal(gz.headers.get('content-type'), 'text/css; charset=utf-8');
    assert.equal(await gz.text(), readFileSync(join(webDir, 'assets', built.css!), 'utf8'));
    const missing = await fetch(url(on, '/assets/app-00000000.js'));
    assert.equal(missing.status, 404);
  });

  test('web_client = no: / is the welcome text again; a missing build answers 503', async () => {
    const r = await fetch(url(off, '/'));
    assert.equal(await r.text(), 'Welcome to SylkServer!');
    assert.equal((await fetch(url(off, `/assets/${built.js}`))).status, 404);
    const u = await fetch(url(unbuilt, '/'));
    assert.equal(u.status, 503);
    assert.match(await u.text(), /npm run build/);
  });

  test('page weight: JavaScript before OpenPGP under 150 kB gzipped; OpenPGP only by dynamic import', () => {
    const outputs = built.metafile.outputs;
    const key = (name: string) => Object.keys(outputs).find((k) => basename(k) === name)!;
    // What the entry loads at start: itself and its static imports, transitively.
    const eager = new Set<string>();
    const visit = (k: string) => {
      if (eager.has(k)) return;
      eager.add(k);
      for (const i of outputs[k]!.imports) if (i.kind === 'import-statement') visit(i.path);
    };
    visit(key(built.js));
    const gzipped = [...eager].reduce((n, k) => n + gzipSync(readFileSync(join(webDir, 'assets', basename(k)))).length, 0);
    const pgp = Object.keys(outputs).filter((k) => Object.keys(outputs[k]!.inputs).some((i) => i.includes('node_modules/openpgp/')));
    assert.equal(pgp.length, 1, 'OpenPGP is in one chunk');
    assert.ok(!eager.has(pgp[0]!), 'OpenPGP is not loaded at start');
    assert.ok(outputs[key(built.js)]!.imports.some((i) => i.kind === 'dynamic-import'), 'loaded by a dynamic import');
    const pgpGz = gzipSync(readFileSync(join(webDir, 'assets', basename(pgp[0]!)))).length;
    console.log(`# page weight: ${(gzipped / 1024).toFixed(1)} kB gzipped JavaScript at start (${eager.size} files); OpenPGP chunk ${(pgpGz / 1024).toFixed(1)} kB gzipped`);
    assert.ok(gzipped < 150 * 1024, `${gzipped} bytes`);
  });
});
