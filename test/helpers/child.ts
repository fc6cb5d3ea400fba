/**
 * A service process for end-to-end tests (Kamailio, a sylk-server instance): its stdout and stderr
 * collected into one bounded log, a promise of its exit, and `stop()`: SIGTERM, SIGKILL after a grace
 * period, then removal of its working directory.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Everything the process printed so far (the last few MB). */
  output(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  /** Ends the process (SIGTERM, then SIGKILL after `killAfterMs`) and removes `dir`. */
  stop(): Promise<void>;
}

export function superviseChild(child: ChildProcess, dir: string, killAfterMs: number, maxLog = 2_000_000): ServiceProcess {
  let output = '';
  const collect = (b: Buffer): void => {
    output += b.toString();
    if (output.length > maxLog * 2) output = output.slice(-maxLog);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    exited,
    async stop(): Promise<void> {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
