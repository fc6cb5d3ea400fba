/**
 * The real baresip (`/usr/bin/baresip`, v1.0) as a SIP phone for end-to-end tests, driven headless:
 * a config directory of its own (`config`, `accounts`, `contacts`, `current_contact`), no audio, SIP
 * on 127.0.0.1 with an ephemeral port, and the `ctrl_tcp` module (netstring-framed JSON commands
 * on a TCP port, baresip's documented remote control) for commands: `/message <text>` sends a
 * MESSAGE to the current contact (`contact` module). What baresip prints is collected: the `menu`
 * module prints every MESSAGE it receives as `<peer>: "<body>"`, and registration outcomes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { superviseChild, type ServiceProcess } from './child.js';
import { freeTcpPort } from './free-port.js';

export interface BaresipOptions {
  aor: string;
  password: string;
  /** Where the server listens: `127.0.0.1:port`. */
  server: string;
  transport: 'udp' | 'tcp';
  /** The peer `/message` sends to. */
  contact: string;
}

export class Baresip {
  private constructor(
    private readonly proc: ServiceProcess,
    private readonly ctrl: Socket,
    private readonly dir: string,
  ) {}

  static async start(o: BaresipOptions): Promise<Baresip> {
    const dir = mkdtempSync(join(tmpdir(), 'sylk-baresip-'));
    const ctrlPort = await freeTcpPort();
    writeFileSync(
      join(dir, 'config'),
      [
        'poll_method epoll',
        'sip_listen 127.0.0.1:0',
        'net_interface 127.0.0.1',
        'module_path /usr/lib/baresip/modules',
        // The stdio UI prints what the menu module outputs (received MESSAGEs); stdin must be a pipe.
        'module stdio.so',
        'module_app account.so',
        'module_app contact.so',
        'module_app menu.so',
        'module_app ctrl_tcp.so',
        `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
        'audio_player none',
        'audio_source none',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'accounts'),
      `<sip:${o.aor};transport=${o.transport}>;auth_pass=${o.password};outbound="sip:${o.server};transport=${o.transport}";regint=600\n`,
    );
    writeFileSync(join(dir, 'contacts'), `<sip:${o.contact}>\n`);
    writeFileSync(join(dir, 'current_contact'), `sip:${o.contact}`);
    // stdbuf: baresip prints through stdio, block-buffered when not a terminal.
    const proc = superviseChild(spawn('stdbuf', ['-oL', '-eL', 'baresip', '-f', dir], { stdio: ['pipe', 'pipe', 'pipe'] }), dir, 5_000);
    const deadline = Date.now() + 15_000;
    while (!/baresip is ready/.test(proc.output())) {
      if (Date.now() > deadline || proc.child.exitCode !== null) throw new Error(`baresip did not start:\n${proc.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const ctrl = await new Promise<Socket>((resolve, reject) => {
      const s = connect(ctrlPort, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
    ctrl.on('data', () => undefined);
    return new Baresip(proc, ctrl, dir);
  }

  /** Everything baresip printed so far. */
  output(): string {
    return this.proc.output();
  }

  /** Wait until the output matches `re` (after `from` characters); the match. */
  async waitFor(re: RegExp, timeoutMs = 10_000, from = 0): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.output().slice(from));
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`baresip output never matched ${re}:\n${this.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Send a ctrl_tcp command (netstring JSON). */
  command(command: string, params = ''): void {
    const json = Buffer.from(JSON.stringify({ command, params, token: String(Date.now()) }));
    this.ctrl.write(Buffer.concat([Buffer.from(`${json.length}:`), json, Buffer.from(',')]));
  }

  /** `/message <text>` to the current contact. */
  message(text: string): void {
    this.command('message', text);
  }

  async stop(): Promise<void> {
    this.ctrl.destroy();
    await this.proc.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
