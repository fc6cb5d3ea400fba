// The readiness check the sipp-based tests rely on: it sees UDP binds and TCP listeners from the
// kernel's tables, and reports a port as free again once the socket is closed.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { it } from 'node:test';
import { isPortBound, waitForPortBound } from './port-bound.js';

it('UDP: bound while a socket holds the port, free after close; waitForPortBound resolves', async () => {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const port = sock.address().port;
  assert.equal(await isPortBound(port, 'udp'), true);
  await waitForPortBound(port, 'udp', { timeoutMs: 500 });
  await new Promise<void>((r) => sock.close(r));
  assert.equal(await isPortBound(port, 'udp'), false);
});

it('TCP: only a listener counts; a port nobody holds times out; failed() aborts at once', async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  assert.equal(await isPortBound(port, 'tcp'), true);
  assert.equal(await isPortBound(port, 'udp'), false);
  await new Promise<void>((r) => server.close(() => r()));
  assert.equal(await isPortBound(port, 'tcp'), false);
  await assert.rejects(waitForPortBound(port, 'tcp', { timeoutMs: 100 }), /within 100 ms/);
  const t0 = Date.now();
  await assert.rejects(waitForPortBound(port, 'tcp', { timeoutMs: 5000, failed: () => 'child exited' }), /child exited/);
  assert.ok(Date.now() - t0 < 1000);
});
