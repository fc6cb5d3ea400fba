/**
 * The proxy contract of deploy/kamailio/kamailio.cfg (shared/spec/sip-messaging.md §2), checked with
 * the real Kamailio, sipp as the SIP devices that register and send (with digest authentication), and
 * byte-level recorders standing where the devices' contacts and sylk-server's SIP port are.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startKamailio, type KamailioHandle } from '../helpers/kamailio.js';
import { runSipp } from '../helpers/sipp.js';
import { startRecorder, type RecordedRequest, type SipRecorder } from '../helpers/sip-recorder.js';

const DOMAIN = 'example.com';
const PROXY_PORT = 16060;
const SYLK_PORT = 16070;
const BOB_PORT = 16001;
const ALICE_PORT = 16002;

describe('Kamailio proxy contract', () => {
  let kamailio: KamailioHandle;
  let sylk: SipRecorder;
  let bob: SipRecorder;
  let alice: SipRecorder;

  before(async () => {
    kamailio = await startKamailio({
      domain: DOMAIN,
      udpPort: PROXY_PORT,
      tcpPort: PROXY_PORT,
      sylkPort: SYLK_PORT,
      subscribers: [
        { username: 'alice', password: 'alice-secret' },
        { username: 'bob', password: 'bob-secret' },
        { username: 'carol', password: 'carol-secret' },
      ],
    });
    sylk = await startRecorder(SYLK_PORT);
    bob = await startRecorder(BOB_PORT);
    alice = await startRecorder(ALICE_PORT);
    for (const [user, port, password] of [
      ['bob', BOB_PORT, 'bob-secret'],
      ['alice', ALICE_PORT, 'alice-secret'],
    ] as const) {
      const r = await runSipp({
        scenario: 'proxy/register.xml',
        target: `127.0.0.1:${PROXY_PORT}`,
        localPort: 16010 + (port % 10),
        fields: [[user, DOMAIN, `127.0.0.1:${port}`]],
        auth: { username: user, password },
      });
      assert.equal(r.code, 0, `REGISTER ${user} failed:\n${r.output}\n${kamailio.log().slice(-3000)}`);
    }
  });

  after(async () => {
    await Promise.all([sylk?.close(), bob?.close(), alice?.close()]);
    await kamailio?.stop();
  });

  const byCallId = (marker: string) => (r: RecordedRequest) => r.method === 'MESSAGE' && r.body.trim().endsWith(` ${marker}`);

  let seq = 0;
  /** Sends a MESSAGE as a SIP device through the proxy; returns the unique text of its body. */
  async function sendAs(from: string, password: string, to: string, contentType: string, localPort: number): Promise<string> {
    const marker = `m${++seq}-${Date.now()}`;
    const r = await runSipp({
      scenario: 'proxy/message.xml',
      target: `127.0.0.1:${PROXY_PORT}`,
      localPort,
      fields: [[from, DOMAIN, to, marker, contentType]],
      auth: { username: from, password },
    });
    assert.equal(r.code, 0, `MESSAGE ${from}→${to} failed:\n${r.output}`);
    return marker;
  }

  test('registration with digest authentication lands in the location table', () => {
    const contacts = kamailio.locations().map((l) => `${l.username}@${l.domain} ${l.contact}`);
    assert.ok(contacts.includes(`bob@${DOMAIN} sip:bob@127.0.0.1:${BOB_PORT}`), contacts.join('\n'));
    assert.ok(contacts.includes(`alice@${DOMAIN} sip:alice@127.0.0.1:${ALICE_PORT}`), contacts.join('\n'));
  });

  test('a MESSAGE from a SIP device forks to the recipient, the server (X-Sylk-App, X-Sylk-From-Sip) and the sender\'s devices', async () => {
    const id = await sendAs('alice', 'alice-secret', 'bob', 'text/plain', 16020);
    const [toBob] = await bob.waitFor(byCallId(id));
    const [toSylk] = await sylk.waitFor(byCallId(id));
    const [replica] = await alice.waitFor(byCallId(id));
    assert.equal(toBob!.header('X-Sylk-App'), undefined);
    assert.equal(toSylk!.header('X-Sylk-App'), 'webrtcgateway');
    assert.equal(toSylk!.header('X-Sylk-From-Sip'), 'yes');
    assert.match(toSylk!.header('To') ?? '', /sip:bob@example\.com/);
    assert.equal(replica!.header('X-Replicated-Message'), 'yes');
    assert.equal(replica!.header('X-Sylk-App'), undefined);
    // Proxy authentication was consumed, not passed on.
    assert.equal(toSylk!.header('Proxy-Authorization'), undefined);
  });

  test('a MESSAGE to an offline user goes to the server only', async () => {
    const before = bob.requests.length + alice.requests.length;
    const id = await sendAs('bob', 'bob-secret', 'carol', 'text/plain', 16021);
    const [toSylk] = await sylk.waitFor(byCallId(id));
    assert.equal(toSylk!.header('X-Sylk-App'), 'webrtcgateway');
    assert.match(toSylk!.header('To') ?? '', /sip:carol@example\.com/);
    // bob's replica still goes to bob's own device (he sent it), but nothing reaches alice.
    await bob.waitFor(byCallId(id));
    assert.equal(alice.requests.filter(byCallId(id)).length, 0);
    assert.equal(bob.requests.length + alice.requests.length, before + 1);
  });

  test('IMDN and is-composing are not replicated to the sender\'s devices', async () => {
    for (const [ct, port] of [
      ['message/imdn+xml', 16022],
      ['application/im-iscomposing+xml', 16023],
    ] as const) {
      const id = await sendAs('alice', 'alice-secret', 'bob', ct, port);
      await bob.waitFor(byCallId(id));
      await sylk.waitFor(byCallId(id));
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(alice.requests.filter(byCallId(id)).length, 0, `${ct} was replicated`);
    }
  });

  test('an API token request goes to the server only', async () => {
    const id = await sendAs('alice', 'alice-secret', 'alice', 'application/sylk-api-token', 16024);
    const [toSylk] = await sylk.waitFor(byCallId(id));
    assert.equal(toSylk!.header('X-Sylk-App'), 'webrtcgateway');
    assert.equal(toSylk!.header('X-Sylk-From-Sip'), 'yes');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(alice.requests.filter(byCallId(id)).length, 0);
  });

  test('a MESSAGE from the server with X-Sylk-To-Sip reaches the devices and is not forked back, without authentication', async () => {
    const callId = `to-sip-${Date.now()}`;
    sylk.send(
      `MESSAGE sip:bob@${DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${SYLK_PORT};branch=z9hG4bK${callId}\r\n` +
        `Max-Forwards: 70\r\nFrom: <sip:sylkserver@127.0.0.1>;tag=s1\r\nTo: <sip:bob@${DOMAIN}>\r\nCall-ID: ${callId}\r\n` +
        `CSeq: 1 MESSAGE\r\nX-Sylk-To-Sip: yes\r\nContent-Type: text/plain\r\nContent-Length: ${callId.length}\r\n\r\n${callId}`,
      PROXY_PORT,
    );
    const [toBob] = await bob.waitFor((r) => r.body === callId);
    assert.equal(toBob!.header('X-Sylk-To-Sip'), 'yes');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sylk.requests.filter((r) => r.body === callId).length, 0);
  });

  test('a MESSAGE from the server without X-Sylk-To-Sip is forked back for storage, without X-Sylk-From-Sip', async () => {
    const callId = `from-ws-${Date.now()}`;
    sylk.send(
      `MESSAGE sip:bob@${DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${SYLK_PORT};branch=z9hG4bK${callId}\r\n` +
        `Max-Forwards: 70\r\nFrom: <sip:alice@${DOMAIN}>;tag=s2\r\nTo: <sip:bob@${DOMAIN}>\r\nCall-ID: ${callId}\r\n` +
        `CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: ${callId.length}\r\n\r\n${callId}`,
      PROXY_PORT,
    );
    await bob.waitFor((r) => r.body === callId);
    const [storage] = await sylk.waitFor((r) => r.body === callId && r.method === 'MESSAGE');
    assert.equal(storage!.header('X-Sylk-App'), 'webrtcgateway');
    assert.equal(storage!.header('X-Sylk-From-Sip'), undefined);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(alice.requests.filter((r) => r.body === callId).length, 0, 'messages of WebSocket users are replicated by the server, not the proxy');
  });

  test('a MESSAGE from an unauthenticated device is challenged, not relayed', async () => {
    const callId = `unauth-${Date.now()}`;
    bob.send(
      `MESSAGE sip:alice@${DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${BOB_PORT};branch=z9hG4bK${callId}\r\n` +
        `Max-Forwards: 70\r\nFrom: <sip:bob@${DOMAIN}>;tag=u1\r\nTo: <sip:alice@${DOMAIN}>\r\nCall-ID: ${callId}\r\n` +
        `CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: ${callId.length}\r\n\r\n${callId}`,
      PROXY_PORT,
    );
    const deadline = Date.now() + 3000;
    let reply: string | undefined;
    while (!reply && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      reply = bob.responses.find((r) => r.includes(`Call-ID: ${callId}`));
    }
    assert.ok(reply, 'no answer to the unauthenticated MESSAGE');
    assert.match(reply, /^SIP\/2\.0 407 /);
    assert.match(reply, /Proxy-Authenticate: Digest realm="example\.com"/);
    assert.equal(alice.requests.filter((r) => r.body === callId).length, 0);
    assert.equal(sylk.requests.filter((r) => r.body === callId).length, 0);
  });
});
