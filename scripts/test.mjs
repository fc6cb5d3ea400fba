#!/usr/bin/env node
// The test command (`npm test`): starts the real services the suite needs (each module in
// scripts/services/ that exports start/stop), runs every test/**/*.test.ts file with Node's own test
// runner (TypeScript through tsx), then stops the services it started. A service whose environment
// variable is already set (e.g. SYLK_TEST_PG_URL) is assumed to be running and is not started again.
// Arguments narrow the run to files whose path contains one of them: `npm test -- sip/parser`.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out.sort();
}

const filters = process.argv.slice(2);
const files = findTests(join(root, 'test')).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files match', filters);
  process.exit(1);
}

const servicesDir = join(root, 'scripts', 'services');
const started = [];
let code;
try {
  for (const name of readdirSync(servicesDir).filter((n) => n.endsWith('.mjs')).sort()) {
    const svc = await import(pathToFileURL(join(servicesDir, name)).href);
    if (svc.needed && !svc.needed(files)) continue;
    if (process.env[svc.envVar]) continue;
    const t0 = Date.now();
    const env = await svc.start();
    Object.assign(process.env, env);
    started.push(svc);
    console.log(`# started ${name} in ${Date.now() - t0} ms: ${JSON.stringify(env)}`);
  }
  const concurrency = process.env.SYLK_TEST_CONCURRENCY ?? '2';
  code = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], {
      cwd: root,
      stdio: 'inherit',
      env: process.env,
    });
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0)));
  });
} finally {
  for (const svc of started.reverse()) {
    try {
      await svc.stop();
    } catch (err) {
      console.error('stopping a service failed:', err);
    }
  }
}
process.exit(code);
