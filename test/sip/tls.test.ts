// SIP over TLS (RFC 3261 §26.2, §18): a node `tls` client sends a MESSAGE to the stack's TLS
// listener and gets 200 on the same connection; a second stack sends to it over TLS with server
// certificate verification. The self-signed certificate is generated with `openssl` at test time.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import type { IncomingRequest } from '../../src/sip/api.js';
import { StreamFramer } from '../../src/sip/transport/framer.js';
import type { SipResponse } from '../../src/sip/message/message.js';
import { SipStack } from '../../src/sip/stack.js';
import { request } from './stack-peer.js';

describe('SIP over TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sylk-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const seen: IncomingRequest[] = [];
  let server: SipStack;
  let client: SipStack;

  before(async () => {
    const cnf = join(dir, 'openssl.cnf');
    writeFileSync(cnf, '[req]\ndistinguished_name=dn\nx509_extensions=ext\nprompt=no\n[dn]\nCN=localhost\n[ext]\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-config', cnf], { stdio: 'ignore' });
    server = new SipStack({ host: '127.0.0.1', tlsPort: 0, tls: { certFile, keyFile } }, async (r) => {
      seen.push(r);
      return { status: 200, reason: 'Secure' };
    });
    await server.start();
    client = new SipStack({ host: '127.0.0.1', tlsPort: 0, tls: { certFile, keyFile, caFile: certFile, verifyServer: true } });
    await client.start();
  });
  after(async () => {
    await client?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a MESSAGE from a node tls client on the same connection', async () => {
    const socket = connect({ host: '127.0.0.1', port: server.ports().tls!, rejectUnauthorized: false });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', resolve);
        socket.once('error', reject);
      });
      const framer = new StreamFramer();
      const got = new Promise<SipResponse>((resolve) => {
        socket.on('data', (d: Buffer) => {
          for (const ev of framer.push(d)) if (ev.type === 'message' && ev.message.kind === 'response') resolve(ev.message);
        });
      });
      socket.write(request('MESSAGE', { port: socket.localPort!, transport: 'TLS', body: 'over tls' }));
      const res = await got;
      assert.equal(res.status, 200);
      assert.equal(res.reason, 'Secure');
      const r = seen.at(-1)!;
      assert.equal(r.source.protocol, 'tls');
      assert.equal(r.request.body.toString(), 'over tls');
    } finally {
      socket.destroy();
    }
  });

  it('sends a MESSAGE to a TLS next hop, verifying its certificate', async () => {
    const res = await client.send({
      method: 'MESSAGE',
      uri: 'sip:bob@example.com',
      from: '<sip:alice@example.com>',
      to: '<sip:bob@example.com>',
      contentType: 'text/plain',
      body: 'stack to stack',
      nextHop: `127.0.0.1:${server.ports().tls}`.concat(';transport=tls'),
    });
    assert.equal(res.response.status, 200);
    assert.equal(seen.at(-1)!.request.body.toString(), 'stack to stack');
    assert.match(seen.at(-1)!.request.headers.get('via')!, /^SIP\/2\.0\/TLS /);
  });

  it('fails with 503 when the server certificate does not verify', async () => {
    const strict = new SipStack({ host: '127.0.0.1', tlsPort: 0, tls: { certFile, keyFile, verifyServer: true } });
    await strict.start();
    try {
      const res = await strict.send({ method: 'OPTIONS', uri: 'sip:bob@example.com', from: '<sip:a@example.com>', to: '<sip:b@example.com>', nextHop: `127.0.0.1:${server.ports().tls};transport=tls` });
      assert.equal(res.response.status, 503);
    } finally {
      await strict.stop();
    }
  });
});
