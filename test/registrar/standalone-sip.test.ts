/**
 * Standalone mode's SIP side end to end over real sockets (`standalone.md` §3, §5): a sylk-server
 * composed in-process in standalone mode, devices played by our SIP stack (UAC answering digest
 * challenges, UAS recording what it receives): REGISTER with digest, bindings, 423, `*`, several
 * contacts, guessing limits, nonce replay, MESSAGE authentication (407/403), delivery to every
 * device of the recipient and the replica to the sender's other devices, keep-alives, and a closed
 * connection removing its bindings.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { buildCpim } from '../../src/payload/cpim.js';
import { digestAuthorization, parseDigestChallenge } from '../../src/sip/digest.js';
import { WsClient } from '../helpers/e2e-ws.js';
import { Device, startStandalone, type StandaloneServer } from '../helpers/standalone.js';

let s: StandaloneServer;
const devices: Device[] = [];

async function device(aor: string, password: string, transport: 'udp' | 'tcp'): Promise<Device> {
  const d = await new Device(aor, password, transport).start();
  devices.push(d);
  return d;
}

const port = (d: Device): number => (d.transport === 'tcp' ? s.tcpPort : s.udpPort);

async function bindings(aor: string) {
  return s.server.store.registrations!.listBindings(aor, new Date());
}

async function until(what: string, cond: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

before(async () => {
  s = await startStandalone({ name: 'sip' });
  for (const u of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina', 'henry', 'ida']) await s.addAccount(`${u}@example.com`, `${u}-password`);
});
after(async () => {
  for (const d of devices) await d.stop();
  await s.stop();
});

describe('REGISTER', () => {
  test('is challenged (401, MD5 and SHA-256, qop=auth) and with credentials binds the contact (200 lists it)', async () => {
    const d = await device('alice@example.com', 'alice-password', 'udp');
    const bare = await d.stack.send({
      method: 'REGISTER',
      uri: 'sip:example.com',
      from: '<sip:alice@example.com>',
      to: '<sip:alice@example.com>',
      headers: [['Contact', d.contact]],
      nextHop: `127.0.0.1:${s.udpPort};transport=udp`,
    });
    assert.equal(bare.response.status, 401);
    const challenges = bare.response.headers.getAll('www-authenticate').map((v) => parseDigestChallenge(v)!);
    assert.deepEqual(
      challenges.map((c) => [c.algorithm, c.realm, c.qop]),
      [
        ['MD5', 'example.com', ['auth']],
        ['SHA-256', 'example.com', ['auth']],
      ],
    );
    const ok = await d.register(s.udpPort, { expires: 600 });
    assert.equal(ok.response.status, 200);
    const contacts = ok.response.headers.getAll('contact');
    assert.equal(contacts.length, 1);
    assert.match(contacts[0]!, new RegExp(`^<sip:alice@127\\.0\\.0\\.1:${d.port};transport=udp>;expires=(600|599)$`));
    const b = await bindings('alice@example.com');
    assert.equal(b.length, 1);
    assert.equal(b[0]!.transport, 'udp');
    assert.equal(b[0]!.sourcePort, d.port);
    assert.equal(b[0]!.instanceId, s.server.standaloneSip!.registrar.instanceId);
  });

  test('a SHA-256 answer is accepted too; the same nonce count again is a replay (challenged, stale)', async () => {
    const d = await device('bob@example.com', 'bob-password', 'udp');
    const base = {
      method: 'REGISTER' as const,
      uri: 'sip:example.com',
      from: '<sip:bob@example.com>',
      to: '<sip:bob@example.com>',
      nextHop: `127.0.0.1:${s.udpPort};transport=udp`,
    };
    const first = await d.stack.send({ ...base, headers: [['Contact', d.contact]] });
    const sha = first.response.headers.getAll('www-authenticate').map((v) => parseDigestChallenge(v)!).find((c) => c.algorithm === 'SHA-256')!;
    const auth = digestAuthorization(sha, { username: 'bob', password: 'bob-password' }, { method: 'REGISTER', uri: 'sip:example.com', nc: 1, cnonce: 'abc' })!;
    const ok = await d.stack.send({ ...base, headers: [['Contact', d.contact], ['Authorization', auth]], cseq: 2, callId: first.callId });
    assert.equal(ok.response.status, 200);
    const replay = await d.stack.send({ ...base, headers: [['Contact', d.contact], ['Authorization', auth]], cseq: 3, callId: first.callId });
    assert.equal(replay.response.status, 401);
    assert.ok(replay.response.headers.getAll('www-authenticate').every((v) => parseDigestChallenge(v)!.stale));
    const next = digestAuthorization(sha, { username: 'bob', password: 'bob-password' }, { method: 'REGISTER', uri: 'sip:example.com', nc: 2, cnonce: 'abd' })!;
    const again = await d.stack.send({ ...base, headers: [['Contact', d.contact], ['Authorization', next]], cseq: 4, callId: first.callId });
    assert.equal(again.response.status, 200);
  });

  test('expiry: below 60 s → 423 with Min-Expires; above 7200 s lowered; a contact parameter wins over the header', async () => {
    const d = await device('carol@example.com', 'carol-password', 'udp');
    const short = await d.register(s.udpPort, { expires: 30 });
    assert.equal(short.response.status, 423);
    assert.equal(short.response.headers.get('min-expires'), '60');
    assert.equal((await bindings('carol@example.com')).length, 0);
    const long = await d.register(s.udpPort, { expires: 100_000 });
    assert.equal(long.response.status, 200);
    assert.match(long.response.headers.get('contact')!, /;expires=(7200|7199)$/);
    const param = await d.register(s.udpPort, { expires: 100, contact: `${d.contact};expires=900` });
    assert.equal(param.response.status, 200);
    assert.match(param.response.headers.get('contact')!, /;expires=(900|899)$/);
    const dflt = await d.register(s.udpPort, {});
    assert.match(dflt.response.headers.get('contact')!, /;expires=(3600|3599)$/);
  });

  test('several contacts per account; Contact: * with Expires: 0 removes them all; * otherwise → 400', async () => {
    const d1 = await device('dave@example.com', 'dave-password', 'udp');
    const d2 = await device('dave@example.com', 'dave-password', 'tcp');
    assert.equal((await d1.register(s.udpPort)).response.status, 200);
    const second = await d2.register(s.tcpPort);
    assert.equal(second.response.status, 200);
    assert.equal(second.response.headers.getAll('contact').length, 2);
    assert.equal((await bindings('dave@example.com')).length, 2);
    const badStar = await d1.register(s.udpPort, { contact: '*' });
    assert.equal(badStar.response.status, 400);
    const star = await d1.register(s.udpPort, { contact: '*', expires: 0 });
    assert.equal(star.response.status, 200);
    assert.equal(star.response.headers.getAll('contact').length, 0);
    assert.equal((await bindings('dave@example.com')).length, 0);
  });

  test('a binding is removed by expires=0, and when the connection it came over closes', async () => {
    const d = await device('erin@example.com', 'erin-password', 'tcp');
    assert.equal((await d.register(s.tcpPort)).response.status, 200);
    assert.equal((await d.register(s.tcpPort, { expires: 0 })).response.status, 200);
    assert.equal((await bindings('erin@example.com')).length, 0);
    const d2 = await new Device('erin@example.com', 'erin-password', 'tcp').start();
    assert.equal((await d2.register(s.tcpPort)).response.status, 200);
    assert.equal((await bindings('erin@example.com')).length, 1);
    await d2.stop(); // closes its connection to the server
    await until('the binding to go', async () => (await bindings('erin@example.com')).length === 0);
  });

  test('wrong passwords → 403; after 5 failures in a minute the right password is refused the same way', async () => {
    const d = await device('frank@example.com', 'frank-password', 'udp');
    for (let i = 0; i < 5; i++) assert.equal((await d.register(s.udpPort, { password: `guess-${i}` })).response.status, 403);
    const blocked = await d.register(s.udpPort);
    assert.equal(blocked.response.status, 403);
    assert.equal((await bindings('frank@example.com')).length, 0);
    // An unknown account gets the very same answer.
    const ghost = await device('ghost@example.com', 'whatever-pw', 'udp');
    assert.equal((await ghost.register(s.udpPort)).response.status, 403);
  });
});

describe('keep-alives', () => {
  test('OPTIONS is answered 200; a CRLF ping on TCP gets a CRLF pong', async () => {
    const d = await device('alice@example.com', 'alice-password', 'udp');
    const r = await d.stack.send({ method: 'OPTIONS', uri: 'sip:example.com', from: '<sip:alice@example.com>', to: '<sip:example.com>', nextHop: `127.0.0.1:${s.udpPort};transport=udp` });
    assert.equal(r.response.status, 200);
    const pong = await new Promise<string>((resolve, reject) => {
      const sock = connect(s.tcpPort, '127.0.0.1', () => sock.write('\r\n\r\n'));
      sock.once('data', (b) => {
        sock.destroy();
        resolve(b.toString());
      });
      sock.once('error', reject);
    });
    assert.equal(pong, '\r\n');
  });

  test('a CRLF ping over UDP and over SIP-over-WebSocket gets a CRLF pong; a STUN Binding request over UDP is answered', async () => {
    const udp = createSocket('udp4');
    try {
      await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
      const next = () => new Promise<Buffer>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no answer over UDP')), 3000);
        udp.once('message', (m) => (clearTimeout(t), resolve(m)));
      });
      let answer = next();
      udp.send('\r\n\r\n', s.udpPort, '127.0.0.1');
      assert.equal((await answer).toString(), '\r\n');
      // RFC 5626 §4.4.1 / RFC 5389: Binding request → success response with our source in XOR-MAPPED-ADDRESS.
      const tid = randomBytes(12);
      const req = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]), tid]);
      answer = next();
      udp.send(req, s.udpPort, '127.0.0.1');
      const res = await answer;
      assert.equal(res.readUInt16BE(0), 0x0101);
      assert.equal(res.readUInt32BE(4), 0x2112a442);
      assert.deepEqual(res.subarray(8, 20), tid);
      assert.equal(res.readUInt16BE(20), 0x0020);
      assert.equal(res.readUInt16BE(26) ^ 0x2112, udp.address().port);
      assert.deepEqual([...res.subarray(28, 32)].map((b, i) => b ^ [0x21, 0x12, 0xa4, 0x42][i]!), [127, 0, 0, 1]);
    } finally {
      udp.close();
    }
    const ws = new WebSocket(`ws://127.0.0.1:${s.wsPort}/sip`, 'sip');
    try {
      await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
      const pong = new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no answer over WebSocket')), 3000);
        ws.once('message', (m: Buffer) => (clearTimeout(t), resolve(m.toString())));
      });
      ws.send('\r\n\r\n');
      assert.equal(await pong, '\r\n');
    } finally {
      ws.close();
    }
  });
});

describe('MESSAGE from devices', () => {
  test('without credentials → 407 on the From account; credentials of another account → 403', async () => {
    const d = await device('alice@example.com', 'alice-password', 'udp');
    const bare = await d.stack.send({ method: 'MESSAGE', uri: 'sip:bob@example.com', from: '<sip:alice@example.com>', to: '<sip:bob@example.com>', contentType: 'text/plain', body: 'x', nextHop: `127.0.0.1:${s.udpPort};transport=udp` });
    assert.equal(bare.response.status, 407);
    assert.equal(parseDigestChallenge(bare.response.headers.get('proxy-authenticate')!)!.realm, 'example.com');
    const spoof = await d.send(s.udpPort, { method: 'MESSAGE', uri: 'sip:bob@example.com', from: '<sip:carol@example.com>', to: '<sip:bob@example.com>', contentType: 'text/plain', body: 'x' });
    assert.equal(spoof.response.status, 403);
    const entries = await s.server.store.query('bob@example.com', { afterId: null, since: null, limit: 100 });
    assert.ok(!entries.entries.some((e) => e.content === 'x'));
  });

  test('is stored, delivered to every device of the recipient, and replicated to the sender\'s other devices only', async () => {
    const a1 = await device('alice@example.com', 'alice-password', 'tcp');
    const a2 = await device('alice@example.com', 'alice-password', 'udp');
    const b1 = await device('bob@example.com', 'bob-password', 'udp');
    const b2 = await device('bob@example.com', 'bob-password', 'tcp');
    for (const d of [a1, a2, b1, b2]) assert.equal((await d.register(port(d))).response.status, 200);
    const sent = await a1.message(s.tcpPort, 'bob@example.com', 'hello bob');
    assert.equal(sent.response.status, 200);
    for (const b of [b1, b2]) {
      const [got] = await b.waitFor(1);
      assert.equal(got!.request.body.toString(), 'hello bob');
      assert.match(got!.request.headers.get('from')!, /<sip:alice@example\.com>/);
      assert.equal(got!.request.headers.get('x-replicated-message'), undefined);
    }
    // On its authenticated connection, a1 may not send as someone else.
    const spoof = await a1.stack.send({ method: 'MESSAGE', uri: 'sip:bob@example.com', from: '<sip:carol@example.com>', to: '<sip:bob@example.com>', contentType: 'text/plain', body: 'not carol', nextHop: `127.0.0.1:${s.tcpPort};transport=tcp` });
    assert.equal(spoof.response.status, 403);
    const [replica] = await a2.waitFor(1);
    assert.equal(replica!.request.body.toString(), 'hello bob');
    assert.equal(replica!.request.headers.get('x-replicated-message'), 'yes');
    assert.match(replica!.request.headers.get('to')!, /<sip:bob@example\.com>/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(a1.received.length, 0, 'the sending device gets no replica');
    const bob = await s.server.store.query('bob@example.com', { afterId: null, since: null, limit: 100 });
    assert.ok(bob.entries.some((e) => e.content === 'hello bob' && e.direction === 'incoming'));
    const alice = await s.server.store.query('alice@example.com', { afterId: null, since: null, limit: 100 });
    assert.ok(alice.entries.some((e) => e.content === 'hello bob' && e.direction === 'outgoing'));
  });
});

describe('delivery to phones without CPIM', () => {
  test('a WebSocket client\'s message goes as CPIM; a phone answering 415 gets the text itself', async () => {
    const phone = await device('ida@example.com', 'ida-password', 'tcp');
    assert.equal((await phone.register(s.tcpPort)).response.status, 200);
    phone.answer = { status: 415, reason: 'Unsupported Media Type' };
    const ws = await WsClient.connect(s.wsUrl, 'henry');
    try {
      await ws.login('henry@example.com', 'henry-password');
      const id = randomUUID();
      await ws.request({ sylkrtc: 'account-message', account: 'henry@example.com', uri: 'ida@example.com', message_id: id, content: 'plain for ida', content_type: 'text/plain', timestamp: new Date().toISOString() });
      const [first, second] = await phone.waitFor(2);
      assert.equal(first!.request.headers.get('content-type'), 'message/cpim');
      assert.ok(first!.request.body.toString().includes(`imdn.Message-ID: ${id}`));
      assert.match(second!.request.headers.get('content-type')!, /^text\/plain/);
      assert.equal(second!.request.body.toString(), 'plain for ida');
      assert.match(second!.request.headers.get('from')!, /<sip:henry@example\.com>/);
    } finally {
      await ws.close();
    }
  });
});

describe('IMDN', () => {
  test('a WebSocket client\'s delivered/displayed reports for a SIP device\'s message reach the sender\'s devices', async () => {
    const phone = await device('erin@example.com', 'erin-password', 'udp');
    assert.equal((await phone.register(s.udpPort)).response.status, 200);
    const ws = await WsClient.connect(s.wsUrl, 'gina');
    try {
      await ws.login('gina@example.com', 'gina-password');
      const id = randomUUID();
      const body = buildCpim({
        from: { displayName: null, uri: 'sip:erin@example.com' },
        to: { displayName: null, uri: 'sip:gina@example.com' },
        dateTime: '2026-12-06T05:00:00.000Z',
        messageId: id,
        dispositionNotification: ['positive-delivery', 'display'],
        contentType: 'text/plain',
        content: 'please confirm',
      });
      const sent = await phone.send(s.udpPort, { method: 'MESSAGE', uri: 'sip:gina@example.com', from: '<sip:erin@example.com>', to: '<sip:gina@example.com>', contentType: 'message/cpim', body });
      assert.equal(sent.response.status, 200);
      await ws.waitForEvent('message', (e) => e.message_id === id, 1, 5000);
      const before = phone.received.length;
      for (const state of ['delivered', 'displayed']) {
        await ws.request({ sylkrtc: 'account-disposition-notification', account: 'gina@example.com', uri: 'erin@example.com', message_id: id, state, timestamp: '2026-12-06T05:00:00.000Z' });
      }
      const got = (await phone.waitFor(before + 2)).slice(before);
      for (const [i, state] of ['delivered', 'displayed'].entries()) {
        const r = got[i]!.request;
        assert.match(r.headers.get('from')!, /<sip:gina@example\.com>/);
        assert.equal(r.headers.get('content-type'), 'message/cpim');
        const text = r.body.toString();
        assert.match(text, /Content-Type: message\/imdn\+xml/);
        assert.ok(text.includes(`<message-id>${id}</message-id>`), text);
        assert.ok(text.includes(`<${state}/>`), text);
      }
    } finally {
      await ws.close();
    }
  });
});

describe('SIP over WebSocket devices (RFC 7118)', () => {
  test('a device registers over a WebSocket and receives messages on it', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${s.wsPort}/sip`, 'sip');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const frames: string[] = [];
    let wake: (() => void) | undefined;
    ws.on('message', (data) => {
      frames.push(data.toString());
      wake?.();
    });
    const next = async (pred: (f: string) => boolean): Promise<string> => {
      const deadline = Date.now() + 5000;
      for (;;) {
        const f = frames.find(pred);
        if (f) {
          frames.splice(frames.indexOf(f), 1);
          return f;
        }
        if (Date.now() > deadline) throw new Error(`no such frame; got ${frames.join('\n---\n')}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 100);
        });
      }
    };
    const register = (cseq: number, auth?: string): string =>
      [
        'REGISTER sip:example.com SIP/2.0',
        `Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKws${cseq}`,
        'Max-Forwards: 70',
        'From: <sip:carol@example.com>;tag=wsdev',
        'To: <sip:carol@example.com>',
        'Call-ID: ws-register-1',
        `CSeq: ${cseq} REGISTER`,
        'Contact: <sip:carol@df7jal23ls0d.invalid;transport=ws>;expires=600',
        ...(auth ? [`Authorization: ${auth}`] : []),
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
    ws.send(register(1));
    const challenge = await next((f) => f.startsWith('SIP/2.0 401'));
    const md5 = /WWW-Authenticate: (Digest [^\r\n]*algorithm=MD5[^\r\n]*)/i.exec(challenge)![1]!;
    ws.send(register(2, digestAuthorization(md5, { username: 'carol', password: 'carol-password' }, { method: 'REGISTER', uri: 'sip:example.com' })));
    const ok = await next((f) => f.startsWith('SIP/2.0 200'));
    assert.match(ok, /Contact: <sip:carol@df7jal23ls0d\.invalid;transport=ws>;expires=(600|599)/);
    const [b] = (await bindings('carol@example.com')).filter((x) => x.transport === 'ws');
    assert.ok(b);

    const sender = await device('alice@example.com', 'alice-password', 'udp');
    assert.equal((await sender.message(s.udpPort, 'carol@example.com', 'over the websocket')).response.status, 200);
    const msg = await next((f) => f.startsWith('MESSAGE '));
    assert.match(msg, /^MESSAGE sip:carol@df7jal23ls0d\.invalid;transport=ws SIP\/2\.0\r\n/);
    assert.ok(msg.endsWith('over the websocket'));
    const copy = msg.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
    ws.send(['SIP/2.0 200 OK', ...copy, 'Content-Length: 0', '', ''].join('\r\n'));
    await new Promise((r) => setTimeout(r, 100));
    ws.close();
    await until('the WebSocket binding to go', async () => (await bindings('carol@example.com')).every((x) => x.transport !== 'ws'));
  });
});
