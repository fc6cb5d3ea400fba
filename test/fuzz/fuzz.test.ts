// A slice of the fuzz run (`scripts/fuzz.ts`, issue 15 item 11): 6000 mutated inputs through the
// parser and through the running daemon (SIP over UDP and TCP, sylkRTC JSON, HTTP) with liveness
// checks every 2000; no parser exception, the daemon alive and answering throughout, its memory
// bounded. The full million runs from the command line (README "Reliability and security").
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mutate, runFuzz } from '../../scripts/fuzz.js';

test('the mutator is deterministic for a seed and changes its input', () => {
  const seed = Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: 1\r\n\r\n');
  const run = (s: number) => {
    let x = s;
    const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
    return Array.from({ length: 50 }, () => mutate(seed, rnd, seed).toString('latin1'));
  };
  assert.deepEqual(run(7), run(7));
  assert.ok(run(7).filter((m) => m !== seed.toString('latin1')).length >= 40);
});

test('6000 mutated inputs: no crash, the daemon answers throughout, memory bounded', { timeout: 240_000 }, async () => {
  const r = await runFuzz({ count: 6000, seed: 42, checkEvery: 2000 });
  assert.deepEqual(r.parserExceptions, []);
  assert.deepEqual(r.daemonFailures, []);
  assert.equal(r.livenessChecks, 4);
  for (const [target, n] of Object.entries(r.byTarget)) assert.ok(n > 0, `${target} got inputs`);
  assert.ok(r.seeds.sip >= 49 + 8, `RFC 4475 and own SIP seeds (${r.seeds.sip})`);
  assert.ok(r.rssMaxMiB < 1024, `daemon RSS ${r.rssMaxMiB} MiB`);
});
