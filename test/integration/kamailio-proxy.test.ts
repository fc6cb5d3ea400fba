/**
 * The proxy contract of deploy/kamailio/kamailio.cfg (shared/spec/sip-messaging.md §2), checked with
 * the real Kamailio, sipp as the SIP devices that register and send (with digest authentication), and
 * byte-level recorders standing where the devices' contacts and sylk-server's SIP ports are: two
 * instances sharing a store (SYLK_PORT gets the storage copies, SYLK_PORT2 is the second one), and
 * dave with a SIP device plus a "WebSocket" contact on each instance (DESIGN.md decision 3).
 *
 * Ports: Kamailio 16060, instances 16070 and 16071, devices 16001–16003, sipp 16010–16029.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startKamailio, type KamailioHandle, type Location } from '../helpers/kamailio.js';
import { runSipp } from '../helpers/sipp.js';
import { startRecorder, type RecordedRequest, type SipRecorder } from '../helpers/sip-recorder.js';

const DOMAIN = 'example.com';
const PROXY_PORT = 16060;
const SYLK_PORT = 16070;
const SYLK_PORT2 = 16071;
const BOB_PORT = 16001;
const ALICE_PORT = 16002;
const DAVE_PORT = 16003;

describe('Kamailio proxy contract', () => {
  let kamailio: KamailioHandle;
  let sylk: SipRecorder;
  let sylk2: SipRecorder;
  let bob: SipRecorder;
  let alice: SipRecorder;
  let dave: SipRecorder;

  before(async () => {
    kamailio = await startKamailio({
      domain: DOMAIN,
      udpPort: PROXY_PORT,
      tcpPort: PROXY_PORT,
      sylkPort: SYLK_PORT,
      sylkPort2: SYLK_PORT2,
      subscribers: [
        { username: 'alice', password: 'alice-secret' },
        { username: 'bob', password: 'bob-secret' },
        { username: 'carol', password: 'carol-secret' },
        { username: 'dave', password: 'dave-secret' },
      ],
    });
    sylk = await startRecorder(SYLK_PORT);
    sylk2 = await startRecorder(SYLK_PORT2);
    bob = await startRecorder(BOB_PORT);
    alice = await startRecorder(ALICE_PORT);
    dave = await startRecorder(DAVE_PORT);
    // dave: a SIP device, and a contact on each instance (what an instance registers for a WS client).
    for (const [user, port, password, sippPort] of [
      ['bob', BOB_PORT, 'bob-secret', 16011],
      ['alice', ALICE_PORT, 'alice-secret', 16012],
      ['dave', DAVE_PORT, 'dave-secret', 16013],
      ['dave', SYLK_PORT, 'dave-secret', 16014],
      ['dave', SYLK_PORT2, 'dave-secret', 16015],
    ] as const) {
      const r = await runSipp({
        scenario: 'proxy/register.xml',
        target: `127.0.0.1:${PROXY_PORT}`,
        localPort: sippPort,
        fields: [[user, DOMAIN, `127.0.0.1:${port}`]],
        auth: { username: user, password },
      });
      assert.equal(r.code, 0, `REGISTER ${user} failed:\n${r.output}\n${kamailio.log().slice(-3000)}`);
    }
  });

  after(async () => {
    await Promise.all([sylk?.close(), sylk2?.close(), bob?.close(), alice?.close(), dave?.close()]);
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

  test('registration with digest authentication lands in the location table', async () => {
    const registered = (l: Location): string => `${l.username}@${l.domain} ${l.contact}`;
    const want = [`bob@${DOMAIN} sip:bob@127.0.0.1:${BOB_PORT}`, `alice@${DOMAIN} sip:alice@127.0.0.1:${ALICE_PORT}`];
    want.push(...[DAVE_PORT, SYLK_PORT, SYLK_PORT2].map((port) => `dave@${DOMAIN} sip:dave@127.0.0.1:${port}`));
    const contacts = (await kamailio.waitForLocations((ls) => want.every((w) => ls.map(registered).includes(w)))).map(registered);
    assert.ok(contacts.includes(`bob@${DOMAIN} sip:bob@127.0.0.1:${BOB_PORT}`), contacts.join('\n'));
    assert.ok(contacts.includes(`alice@${DOMAIN} sip:alice@127.0.0.1:${ALICE_PORT}`), contacts.join('\n'));
    for (const port of [DAVE_PORT, SYLK_PORT, SYLK_PORT2]) {
      assert.ok(contacts.includes(`dave@${DOMAIN} sip:dave@127.0.0.1:${port}`), contacts.join('\n'));
    }
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
    assert.equal(alice.requests.filter((r) => r.body === callId).length, 0, "a WebSocket user's message is not copied to the sender's SIP devices (§8)");
  });

  /** Sends a MESSAGE as a sylk-server instance (no authentication: trusted by address and port). */
  function fromInstance(
    instance: SipRecorder,
    m: { from: string; to: string; text: string; contentType?: string; body?: string; headers?: string[] },
  ): void {
    const callId = `inst-${++seq}-${Date.now()}`;
    const body = m.body ?? m.text;
    const extra = (m.headers ?? []).map((h) => `${h}\r\n`).join('');
    instance.send(
      `MESSAGE sip:${m.to}@${DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${instance.port};branch=z9hG4bK${callId}\r\n` +
        `Max-Forwards: 70\r\nFrom: <sip:${m.from}@${DOMAIN}>;tag=${callId}\r\nTo: <sip:${m.to}@${DOMAIN}>\r\nCall-ID: ${callId}\r\n` +
        `CSeq: 1 MESSAGE\r\n${extra}Content-Type: ${m.contentType ?? 'message/cpim'}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      PROXY_PORT,
    );
  }
  const cpimOf = (from: string, to: string, contentType: string, text: string): string =>
    `From: <sip:${from}@${DOMAIN}>\r\nTo: <sip:${to}@${DOMAIN}>\r\nNS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: ${text}\r\n\r\n` +
    `Content-Type: ${contentType}\r\n\r\n${text}`;
  const withText = (text: string) => (r: RecordedRequest) => r.method === 'MESSAGE' && r.body.includes(text);
  const daveContact = (port: number) => (r: RecordedRequest) => r.uri === `sip:dave@127.0.0.1:${port}`;
  const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  test("a WebSocket user's message is copied to the sender's contacts on the other instances only", async () => {
    for (const [from, other] of [
      [sylk, sylk2],
      [sylk2, sylk],
    ] as const) {
      const text = `ws-msg-${++seq}-${Date.now()}`;
      fromInstance(from, { from: 'dave', to: 'bob', text, body: cpimOf('dave', 'bob', 'text/plain', text) });
      await bob.waitFor(withText(text));
      const [storage] = await sylk.waitFor((r) => withText(text)(r) && r.header('X-Sylk-App') !== undefined);
      assert.equal(storage!.uri, `sip:bob@127.0.0.1:${SYLK_PORT};transport=udp`);
      assert.equal(storage!.header('X-Sylk-From-Sip'), undefined);
      assert.equal(storage!.header('X-Replicated-Message'), undefined);
      const [replica] = await other.waitFor((r) => withText(text)(r) && daveContact(other.port)(r));
      assert.equal(replica!.header('X-Replicated-Message'), 'yes');
      assert.equal(replica!.header('X-Sylk-App'), undefined);
      assert.match(replica!.header('From') ?? '', /sip:dave@example\.com/);
      assert.match(replica!.header('To') ?? '', /sip:bob@example\.com/);
      await pause(300);
      // Not back to the sending instance, not to dave's SIP device; one copy each.
      assert.equal(from.requests.filter((r) => withText(text)(r) && daveContact(from.port)(r)).length, 0, `replica back to ${from.port}`);
      assert.equal(dave.requests.filter(withText(text)).length, 0, "replica to the sender's SIP device");
      assert.equal(other.requests.filter((r) => withText(text)(r) && daveContact(other.port)(r)).length, 1);
      assert.equal(sylk.requests.filter((r) => withText(text)(r) && r.header('X-Sylk-App') !== undefined).length, 1);
    }
  });

  test("a WebSocket user's IMDN, a replica and a note to self are not copied to the other instance", async () => {
    const cases = [
      { to: 'bob', contentType: 'message/cpim', inner: 'message/imdn+xml', headers: [] as string[] },
      { to: 'bob', contentType: 'message/cpim', inner: 'text/plain', headers: ['X-Replicated-Message: yes'] },
      { to: 'bob', contentType: 'message/imdn+xml', inner: null, headers: [] as string[] },
    ];
    for (const c of cases) {
      const text = `ws-no-copy-${++seq}-${Date.now()}`;
      const body = c.inner ? cpimOf('dave', c.to, c.inner, text) : text;
      fromInstance(sylk, { from: 'dave', to: c.to, text, contentType: c.contentType, body, headers: c.headers });
      await bob.waitFor(withText(text));
      await sylk.waitFor((r) => withText(text)(r) && r.header('X-Sylk-App') !== undefined);
      await pause(300);
      assert.equal(sylk2.requests.filter(withText(text)).length, 0, `${c.inner ?? c.contentType} ${c.headers.join()} copied`);
      assert.equal(dave.requests.filter(withText(text)).length, 0);
    }
    // A note to self reaches every contact as an ordinary message (no replica header).
    const text = `ws-self-${++seq}-${Date.now()}`;
    fromInstance(sylk, { from: 'dave', to: 'dave', text, body: cpimOf('dave', 'dave', 'text/plain', text) });
    const [toOther] = await sylk2.waitFor((r) => withText(text)(r) && daveContact(SYLK_PORT2)(r));
    assert.equal(toOther!.header('X-Replicated-Message'), undefined);
    await dave.waitFor(withText(text));
  });

  test("X-Sylk-To-Sip from one instance reaches the user's devices and contacts on the other instance, never the sender", async () => {
    for (const [from, other] of [
      [sylk, sylk2],
      [sylk2, sylk],
    ] as const) {
      const text = `to-sip-${++seq}-${Date.now()}`;
      fromInstance(from, {
        from: 'carol',
        to: 'dave',
        text,
        contentType: 'application/sylk-conversation-read',
        body: `{"contact": "carol@example.com", "n": "${text}"}`,
        headers: ['X-Sylk-To-Sip: yes'],
      });
      const [toDevice] = await dave.waitFor(withText(text));
      assert.equal(toDevice!.header('X-Sylk-To-Sip'), 'yes');
      const [toOther] = await other.waitFor((r) => withText(text)(r) && daveContact(other.port)(r));
      assert.equal(toOther!.header('X-Sylk-To-Sip'), 'yes');
      assert.equal(toOther!.header('X-Sylk-App'), undefined);
      await pause(300);
      assert.equal(from.requests.filter(withText(text)).length, 0, `back to the sending instance ${from.port}`);
      assert.equal(other.requests.filter(withText(text)).length, 1, 'a storage copy or a second contact copy');
    }
  });

  test("a SIP device's MESSAGE is copied to the sender's contacts on the other instances, not to the storage instance", async () => {
    const id = await sendAs('dave', 'dave-secret', 'bob', 'text/plain', 16025);
    await bob.waitFor(byCallId(id));
    const [storage] = await sylk.waitFor(byCallId(id));
    assert.equal(storage!.header('X-Sylk-From-Sip'), 'yes');
    const [replica] = await dave.waitFor(byCallId(id));
    assert.equal(replica!.header('X-Replicated-Message'), 'yes');
    // The second instance learns of it from a replica at dave's contact there.
    const [toOther] = await sylk2.waitFor((r) => byCallId(id)(r) && daveContact(sylk2.port)(r));
    assert.equal(toOther!.header('X-Replicated-Message'), 'yes');
    assert.equal(toOther!.header('X-Sylk-App'), undefined);
    await pause(300);
    // The storage instance gets the storage copy only (it tells its own devices from that).
    assert.equal(sylk.requests.filter(byCallId(id)).length, 1);
    assert.equal(sylk2.requests.filter(byCallId(id)).length, 1);
  });

  test('X-Sylk-* headers of a SIP device are removed: a forged X-Sylk-To-Sip is an ordinary message', async () => {
    const marker = `m${++seq}-${Date.now()}`;
    const r = await runSipp({
      scenario: 'proxy/message-forged.xml',
      target: `127.0.0.1:${PROXY_PORT}`,
      localPort: 16026,
      fields: [['bob', DOMAIN, 'dave', marker, 'application/sylk-conversation-read']],
      auth: { username: 'bob', password: 'bob-secret' },
    });
    assert.equal(r.code, 0, `forged MESSAGE failed:\n${r.output}`);
    const [toDevice] = await dave.waitFor(byCallId(marker));
    assert.equal(toDevice!.header('X-Sylk-To-Sip'), undefined);
    assert.equal(toDevice!.header('X-Sylk-App'), undefined);
    const [storage] = await sylk.waitFor((q) => byCallId(marker)(q) && q.header('X-Sylk-App') !== undefined);
    assert.equal(storage!.header('X-Sylk-From-Sip'), 'yes');
    assert.equal(storage!.header('X-Sylk-To-Sip'), undefined);
    // dave's contacts on the instances get the ordinary contact copy, without sylk's headers.
    const [onOther] = await sylk2.waitFor(byCallId(marker));
    assert.equal(onOther!.header('X-Sylk-To-Sip'), undefined);
    assert.equal(onOther!.header('X-Sylk-App'), undefined);
    assert.equal(onOther!.header('X-Sylk-From-Sip'), undefined);
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
