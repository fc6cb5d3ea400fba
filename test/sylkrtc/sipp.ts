/** Start sipp as the SIP proxy of the sylkRTC integration tests (fixed ports 15500-15699). */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';

export const PROXY_SCENARIO = fileURLToPath(new URL('./sipp/proxy.xml', import.meta.url));

export interface Sipp {
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Resolves once sipp holds the UDP port. */
export async function startSippProxy(port: number, scenario = PROXY_SCENARIO): Promise<Sipp> {
  const proc = spawn('sipp', ['-sf', scenario, '-i', '127.0.0.1', '-p', String(port), '-t', 'u1', '-m', '1000000', '-nostdin', '-timeout', '600s'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (d) => (stderr += String(d)));
  const deadline = Date.now() + 5000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`sipp exited: ${stderr}`);
    const free = await new Promise<boolean>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (!free) break;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`sipp did not bind ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
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
