/** Start sipp as the SIP proxy of the sylkRTC integration tests (fixed ports 15500-15699). */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitForPortBound } from '../helpers/port-bound.js';

export const PROXY_SCENARIO = fileURLToPath(new URL('./sipp/proxy.xml', import.meta.url));

export interface Sipp {
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Resolves once sipp holds the UDP port (checked without binding it, see helpers/port-bound.ts). */
export async function startSippProxy(port: number, scenario = PROXY_SCENARIO): Promise<Sipp> {
  const proc = spawn('sipp', ['-sf', scenario, '-i', '127.0.0.1', '-p', String(port), '-t', 'u1', '-m', '1000000', '-nostdin', '-timeout', '600s'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (d) => (stderr += String(d)));
  try {
    await waitForPortBound(port, 'udp', { failed: () => (proc.exitCode !== null ? `sipp exited: ${stderr}` : null) });
  } catch (err) {
    proc.kill('SIGKILL');
    throw err;
  }
  return {
    port,
    proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
        setTimeout(() => proc.kill('SIGKILL'), 2000).unref();
      }),
  };
}
