import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeHa1 as ha1 } from '../../src/sip/digest.js';
import { Headers, type SipResponse } from '../../src/sip/message/message.js';
import type { OutgoingRequest, OutgoingResult, SipClient } from '../../src/sip/api.js';
import { LocalCredentialAuthenticator, SipRegistrationAuthenticator, credentialsFor, type AuthEvent } from '../../src/sylkrtc/auth.js';

class FakeSip implements SipClient {
  sent: OutgoingRequest[] = [];
  constructor(private readonly answer: (r: OutgoingRequest) => [number, string, Array<[string, string]>?]) {}
  async send(r: OutgoingRequest): Promise<OutgoingResult> {
    this.sent.push(r);
    const [status, reason, hdrs] = this.answer(r);
    const response: SipResponse = { kind: 'response', version: 'SIP/2.0', status, reason, headers: new Headers((hdrs ?? []).map(([name, value]) => ({ name: name.toLowerCase(), value }))), body: Buffer.alloc(0) };
    return { response, cseq: (r.cseq ?? 1) + 1, callId: r.callId ?? 'x' };
  }
}

const subject = { aor: 'alice@example.com', password: '93dfce8dfebfae8af4a726982429d23a', displayName: 'Alice', userAgent: 'UA', connectionId: 'c1', remoteAddress: '192.0.2.1' };

test('credentials: HA1 by default, clear text otherwise', () => {
  assert.deepEqual(credentialsFor('alice@example.com', subject.password), { username: 'alice', ha1: subject.password });
  assert.deepEqual(credentialsFor('alice@example.com', 'wonderland'), { username: 'alice', password: 'wonderland' });
  assert.equal(ha1('alice', 'example.com', 'wonderland'), '93dfce8dfebfae8af4a726982429d23a');
});

test('REGISTER: HA1 credentials, unique contact on this instance, refresh, and Expires 0 on stop', async () => {
  const sip = new FakeSip((r) => [200, 'OK', [['Contact', `${r.headers![0]![1]};expires=6`]]]);
  const auth = new SipRegistrationAuthenticator({ sip, contactHost: '127.0.0.1:5099', nextHop: '127.0.0.1:5060' });
  const events: AuthEvent[] = [];
  const session = auth.start(subject, (e) => events.push(e));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(events, [{ state: 'registered' }]);
  const first = sip.sent[0]!;
  assert.equal(first.method, 'REGISTER');
  assert.equal(first.uri, 'sip:example.com');
  assert.equal(first.to, '<sip:alice@example.com>');
  assert.equal(first.from, '"Alice" <sip:alice@example.com>');
  assert.equal(first.nextHop, '127.0.0.1:5060');
  assert.deepEqual(first.credentials, { username: 'alice', ha1: subject.password });
  assert.deepEqual(first.headers?.slice(0, 2), [
    ['Contact', '<sip:alice@127.0.0.1:5099;transport=udp;sylk-ws=c1>'],
    ['Expires', '600'],
  ]);
  // refresh at 80 % of the granted 6 s = 4.8 s → floor 4 → max(5, 4) = 5 s
  await new Promise((r) => setTimeout(r, 5200));
  assert.equal(sip.sent.length, 2);
  assert.equal(sip.sent[1]!.callId, first.callId);
  assert.ok(sip.sent[1]!.cseq! > first.cseq!);
  await session.stop();
  const last = sip.sent.at(-1)!;
  assert.deepEqual(last.headers?.[1], ['Expires', '0']);
  assert.equal(last.callId, first.callId);
});

test('stop with keepBinding (a repeated account-register) sends no un-REGISTER', async () => {
  const sip = new FakeSip(() => [200, 'OK']);
  const events: AuthEvent[] = [];
  const session = new SipRegistrationAuthenticator({ sip, contactHost: 'h:1' }).start(subject, (e) => events.push(e));
  await new Promise((r) => setTimeout(r, 10));
  await session.stop({ keepBinding: true });
  assert.deepEqual(events, [{ state: 'registered' }]);
  assert.equal(sip.sent.length, 1);
});

test('REGISTER: final 401 → 904 reason; other failures as CODE REASON; no refresh after a first failure', async () => {
  for (const [status, reason, expected] of [
    [401, 'Unauthorized', '904 No matching challenge'],
    [407, 'Proxy Authentication Required', '904 No matching challenge'],
    [403, 'This domain is not served here', '403 This domain is not served here'],
    [408, 'Request Timeout', '408 Request Timeout'],
  ] as const) {
    const sip = new FakeSip(() => [status, reason]);
    const events: AuthEvent[] = [];
    const session = new SipRegistrationAuthenticator({ sip, contactHost: 'h:1' }).start(subject, (e) => events.push(e));
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(events, [{ state: 'failed', reason: expected }]);
    await session.stop();
    assert.equal(sip.sent.length, 1, 'no un-REGISTER when never registered');
  }
});

test('local authenticator compares HA1 (or the clear-text password\'s HA1)', async () => {
  const stored = { aor: 'alice@example.com', ha1Md5: subject.password, ha1Sha256: ha1('alice', 'example.com', 'wonderland', 'SHA-256'), disabled: false };
  const auth = new LocalCredentialAuthenticator({ lookup: async (aor) => (aor === 'alice@example.com' ? stored : null) });
  const run = (password: string, aor = 'alice@example.com') =>
    new Promise<AuthEvent>((resolve) => auth.start({ ...subject, aor, password }, resolve));
  assert.deepEqual(await run(subject.password), { state: 'registered' });
  assert.deepEqual(await run('wonderland'), { state: 'registered' });
  assert.deepEqual(await run('wrong'), { state: 'failed', reason: '904 No matching challenge' });
  assert.deepEqual(await run(subject.password, 'nobody@example.com'), { state: 'failed', reason: '904 No matching challenge' });
});
