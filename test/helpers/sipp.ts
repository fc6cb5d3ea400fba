/**
 * Runs the real sipp (Debian package sip-tester) for a test: a scenario file from
 * test/fixtures/sipp/, the injection fields as CSV rows, and the exit code and output when it is done.
 * sipp exits 0 when every call of the scenario succeeded.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SippRun {
  /** Path relative to test/fixtures/sipp/. */
  scenario: string;
  /** `host:port` of the remote side (for a UAC). */
  target?: string;
  localPort: number;
  transport?: 'u1' | 't1';
  /** One CSV row per call; fields are referenced as [field0], [field1], ... */
  fields?: string[][];
  calls?: number;
  timeoutMs?: number;
  extraArgs?: string[];
  /** Digest credentials for `[authentication]` in the scenario (sipp's -au/-ap). */
  auth?: { username: string; password: string };
}

export interface SippResult {
  code: number | null;
  output: string;
}

export function fixture(path: string): string {
  return fileURLToPath(new URL(`../fixtures/sipp/${path}`, import.meta.url));
}

export async function runSipp(run: SippRun): Promise<SippResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sylk-sipp-'));
  try {
    const args = ['-sf', fixture(run.scenario), '-i', '127.0.0.1', '-p', String(run.localPort), '-m', String(run.calls ?? run.fields?.length ?? 1)];
    args.push('-t', run.transport ?? 'u1', '-timeout', `${Math.ceil((run.timeoutMs ?? 10_000) / 1000)}s`, '-timeout_error', '-nostdin');
    if (run.fields) {
      const csv = join(dir, 'fields.csv');
      writeFileSync(csv, 'SEQUENTIAL\n' + run.fields.map((r) => r.join(';')).join('\n') + '\n');
      args.push('-inf', csv);
    }
    if (run.auth) args.push('-au', run.auth.username, '-ap', run.auth.password);
    if (run.extraArgs) args.push(...run.extraArgs);
    if (run.target) args.push(run.target);
    const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    return { code, output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
