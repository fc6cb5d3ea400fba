// Interoperability with SIPp (Debian sip-tester): SIPp as UAC sends MESSAGEs to the stack over UDP
// and TCP (scenario test/fixtures/sipp/stack-uac-message.xml, every call must get a 200 with a To
// tag); SIPp as UAS challenges our MESSAGE with 401 and requires a digest that verifies for
// alice/secret on the retry (stack-uas-401.xml). Fixed SIPp ports in 15100-15119.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { IncomingRequest } from '../../src/sip/api.js';
import { SipStack } from '../../src/sip/stack.js';
import { waitForPortBound } from '../helpers/port-bound.js';

const fixtures = fileURLToPath(new URL('../fixtures/sipp/', import.meta.url));

interface SippRun {
  code: number | null;
  output: string;
}

function runSipp(args: string[], timeoutMs = 30_000): { done: Promise<SippRun>; kill: () => void } {
  const child = spawn('sipp', [...args, '-nostdin', '-timeout', `${Math.floor(timeoutMs / 1000)}s`, '-timeout_error'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<SippRun>((resolve) => {
    child.on('error', (err) => resolve({ code: -1, output: output + String(err) }));
    child.on('exit', (code) => resolve({ code, output }));
  });
  return {
    done,
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

describe('SIPp as UAC sending MESSAGE to the stack', () => {
  const seen: IncomingRequest[] = [];
  const stack = new SipStack({ host: '127.0.0.1', udpPort: 0, tcpPort: 0 }, async (r) => {
    seen.push(r);
    return { status: 200 };
  });
  before(() => stack.start());
  after(() => stack.stop());

  for (const [mode, port, lport] of [
    ['u1', 'udp', 15101],
    ['t1', 'tcp', 15102],
  ] as const) {
    it(`delivers 50 MESSAGEs over ${port.toUpperCase()}, each answered 200`, async (t) => {
      const before = seen.length;
      const run = runSipp([`127.0.0.1:${stack.ports()[port]}`, '-sf', `${fixtures}stack-uac-message.xml`, '-i', '127.0.0.1', '-p', String(lport), '-t', mode, '-m', '50', '-r', '200', '-l', '20']);
      t.after(run.kill);
      const res = await run.done;
      assert.equal(res.code, 0, res.output.slice(-2000));
      assert.equal(seen.length - before, 50);
      const r = seen.at(-1)!;
      assert.equal(r.request.method, 'MESSAGE');
      assert.match(r.request.body.toString(), /^Hello from sipp, message \d+/);
      assert.equal(r.source.protocol, port);
      assert.equal(r.source.port, lport);
    });
  }
});

describe('SIPp as UAS challenging our MESSAGE with 401', () => {
  const client = new SipStack({ host: '127.0.0.1', udpPort: 0, tcpPort: 0 });
  before(() => client.start());
  after(() => client.stop());

  for (const [mode, transport, lport] of [
    ['u1', 'udp', 15110],
    ['t1', 'tcp', 15111],
  ] as const) {
    it(`answers the challenge with valid digest credentials over ${transport.toUpperCase()}`, async (t) => {
      const run = runSipp(['-sf', `${fixtures}stack-uas-401.xml`, '-i', '127.0.0.1', '-p', String(lport), '-t', mode, '-m', '1']);
      t.after(run.kill);
      await waitForPortBound(lport, transport);
      const res = await client.send({
        method: 'MESSAGE',
        uri: `sip:bob@127.0.0.1:${lport}`,
        from: '<sip:alice@example.com>',
        to: '<sip:bob@example.com>',
        contentType: 'text/plain',
        body: 'hello sipp',
        credentials: { username: 'alice', password: 'secret' },
        nextHop: `127.0.0.1:${lport};transport=${transport}`,
      });
      assert.equal(res.response.status, 200, `got ${res.response.status} ${res.response.reason}`);
      assert.equal(res.cseq, 2);
      const done = await run.done;
      assert.equal(done.code, 0, done.output.slice(-2000));
    });
  }
});
