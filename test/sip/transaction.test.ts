// Transaction state machines (RFC 3261 §17) driven by a fake clock: timers E, F, K (non-INVITE
// client), J (non-INVITE server), G, H, I (INVITE server), and the transaction keys of §17.2.3.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SipResponse } from '../../src/sip/message/message.js';
import { Headers } from '../../src/sip/message/message.js';
import { NonInviteClientState, NonInviteClientTransaction } from '../../src/sip/transaction/client-non-invite.js';
import { clientKey, isRfc3261Branch, serverKey } from '../../src/sip/transaction/keys.js';
import { InviteServerState, InviteServerTransaction } from '../../src/sip/transaction/server-invite.js';
import { NonInviteServerState, NonInviteServerTransaction } from '../../src/sip/transaction/server-non-invite.js';
import { CoalescingTimers, DEFAULT_TIMERS, FakeClock } from '../../src/sip/transaction/timers.js';

const T = DEFAULT_TIMERS;

function recorder(reliable: boolean, clock: FakeClock) {
  const sent: { at: number; bytes: string }[] = [];
  return { channel: { reliable, send: (b: Buffer) => sent.push({ at: clock.now(), bytes: b.toString() }) }, sent };
}

function response(status: number): SipResponse {
  return { kind: 'response', version: 'SIP/2.0', status, reason: 'x', headers: new Headers(), body: Buffer.alloc(0) };
}

function clientTx(reliable: boolean) {
  const clock = new FakeClock();
  const { channel, sent } = recorder(reliable, clock);
  const events: string[] = [];
  const tx = new NonInviteClientTransaction('k', Buffer.from('REQ'), channel, clock, T, {
    onResponse: (r) => events.push(`response ${r.status}`),
    onTimeout: () => events.push('timeout'),
    onTransportError: (e) => events.push(`error ${e.message}`),
    onTerminated: () => events.push('terminated'),
  });
  return { clock, sent, events, tx };
}

describe('non-INVITE client transaction', () => {
  it('retransmits with timer E doubling up to T2 and times out with timer F at 64*T1 (UDP)', () => {
    const { clock, sent, events, tx } = clientTx(false);
    tx.start();
    clock.advance(64 * T.T1 - 1);
    assert.deepEqual(events, []);
    // Sends at 0, 500, 1500, 3500, 7500, 11500, ... (intervals 500, 1000, 2000, 4000, 4000 ...).
    const times = sent.map((s) => s.at);
    assert.deepEqual(times.slice(0, 6), [0, 500, 1500, 3500, 7500, 11500]);
    for (let i = 5; i < times.length; i++) assert.equal(times[i]! - times[i - 1]!, T.T2);
    clock.advance(1);
    assert.deepEqual(events, ['timeout', 'terminated']);
    assert.equal(tx.state, NonInviteClientState.Terminated);
    const count = sent.length;
    clock.advance(60_000);
    assert.equal(sent.length, count, 'no retransmission after timeout');
    assert.equal(clock.pending, 0);
  });

  it('retransmits at T2 in Proceeding, completes on a final response and waits timer K (T4) on UDP', () => {
    const { clock, sent, events, tx } = clientTx(false);
    tx.start();
    clock.advance(100);
    tx.receiveResponse(response(100));
    assert.equal(tx.state, NonInviteClientState.Proceeding);
    clock.advance(400); // first E at 500 still fires (scheduled before the provisional)
    clock.advance(T.T2);
    const times = sent.map((s) => s.at);
    assert.deepEqual(times, [0, 500, 500 + T.T2]);
    tx.receiveResponse(response(200));
    tx.receiveResponse(response(200)); // retransmission absorbed
    assert.deepEqual(events, ['response 100', 'response 200']);
    assert.equal(tx.state, NonInviteClientState.Completed);
    clock.advance(T.T4 - 1);
    assert.equal(tx.state, NonInviteClientState.Completed);
    clock.advance(1);
    assert.equal(tx.state, NonInviteClientState.Terminated);
    assert.deepEqual(events, ['response 100', 'response 200', 'terminated']);
    assert.equal(sent.length, 3);
    assert.equal(clock.pending, 0);
  });

  it('never retransmits on a reliable transport and terminates at once (timer K = 0)', () => {
    const { clock, sent, events, tx } = clientTx(true);
    tx.start();
    clock.advance(10_000);
    assert.equal(sent.length, 1);
    tx.receiveResponse(response(404));
    assert.deepEqual(events, ['response 404', 'terminated']);
    assert.equal(clock.pending, 0);
  });

  it('times out on a reliable transport too (timer F)', () => {
    const { clock, sent, events, tx } = clientTx(true);
    tx.start();
    clock.advance(64 * T.T1);
    assert.equal(sent.length, 1);
    assert.deepEqual(events, ['timeout', 'terminated']);
  });

  it('reports a transport error once and stops its timers', () => {
    const { clock, events, tx } = clientTx(false);
    tx.start();
    tx.transportError(new Error('boom'));
    tx.transportError(new Error('again'));
    assert.deepEqual(events, ['error boom', 'terminated']);
    assert.equal(clock.pending, 0);
  });
});

describe('non-INVITE server transaction', () => {
  function serverTx(reliable: boolean) {
    const clock = new FakeClock();
    const { channel, sent } = recorder(reliable, clock);
    let terminated = 0;
    const tx = new NonInviteServerTransaction('k', channel, clock, T, () => terminated++);
    return { clock, sent, tx, terminated: () => terminated };
  }

  it('absorbs retransmissions in Trying, answers them with the last response after, and lives 64*T1 (timer J) on UDP', () => {
    const { clock, sent, tx, terminated } = serverTx(false);
    tx.receiveRequest();
    assert.equal(sent.length, 0, 'Trying: retransmission absorbed');
    assert.equal(tx.respond(100, Buffer.from('100')), true);
    tx.receiveRequest();
    assert.deepEqual(sent.map((s) => s.bytes), ['100', '100']);
    assert.equal(tx.respond(200, Buffer.from('200')), true);
    assert.equal(tx.state, NonInviteServerState.Completed);
    assert.equal(tx.respond(500, Buffer.from('500')), false, 'only one final response');
    tx.receiveRequest();
    tx.receiveRequest();
    assert.deepEqual(sent.map((s) => s.bytes), ['100', '100', '200', '200', '200']);
    clock.advance(64 * T.T1 - 1);
    assert.equal(terminated(), 0);
    tx.receiveRequest();
    assert.equal(sent.length, 6);
    clock.advance(1);
    assert.equal(terminated(), 1);
    assert.equal(tx.state, NonInviteServerState.Terminated);
    tx.receiveRequest();
    assert.equal(sent.length, 6);
  });

  it('terminates at once after the final response on a reliable transport (timer J = 0)', () => {
    const { clock, tx, terminated } = serverTx(true);
    tx.respond(200, Buffer.from('200'));
    assert.equal(terminated(), 1);
    assert.equal(clock.pending, 0);
  });
});

describe('INVITE server transaction', () => {
  function inviteTx(reliable: boolean) {
    const clock = new FakeClock();
    const { channel, sent } = recorder(reliable, clock);
    let terminated = 0;
    const tx = new InviteServerTransaction('k', channel, clock, T, () => terminated++);
    return { clock, sent, tx, terminated: () => terminated };
  }

  it('retransmits a final error with timer G (T1 doubling to T2) until the ACK, then waits timer I', () => {
    const { clock, sent, tx, terminated } = inviteTx(false);
    tx.respond(488, Buffer.from('488'));
    clock.advance(3500);
    assert.deepEqual(sent.map((s) => s.at), [0, 500, 1500, 3500]);
    tx.receiveRequest(); // INVITE retransmission → the final response again
    assert.equal(sent.length, 5);
    tx.receiveAck();
    assert.equal(tx.state, InviteServerState.Confirmed);
    clock.advance(T.T4 - 1);
    assert.equal(sent.length, 5, 'no more retransmissions after ACK');
    assert.equal(terminated(), 0);
    clock.advance(1);
    assert.equal(terminated(), 1);
  });

  it('gives up waiting for the ACK after timer H (64*T1)', () => {
    const { clock, sent, tx, terminated } = inviteTx(false);
    tx.respond(488, Buffer.from('488'));
    clock.advance(64 * T.T1);
    assert.equal(terminated(), 1);
    const n = sent.length;
    assert.ok(n > 5);
    clock.advance(100_000);
    assert.equal(sent.length, n);
  });

  it('does not retransmit on a reliable transport and ends on the ACK (timer I = 0)', () => {
    const { clock, sent, tx, terminated } = inviteTx(true);
    tx.respond(488, Buffer.from('488'));
    clock.advance(10_000);
    assert.equal(sent.length, 1);
    tx.receiveAck();
    assert.equal(terminated(), 1);
  });
});

describe('transaction keys', () => {
  const base = { sentBy: 'host:5060', callId: 'c', cseqNumber: 1, fromTag: 'f', requestUri: 'sip:a@b' };
  it('files an ACK with its INVITE and a CANCEL apart from the request it cancels', () => {
    assert.equal(serverKey({ ...base, method: 'ACK', branch: 'z9hG4bK1' }), serverKey({ ...base, method: 'INVITE', branch: 'z9hG4bK1' }));
    assert.notEqual(serverKey({ ...base, method: 'CANCEL', branch: 'z9hG4bK1' }), serverKey({ ...base, method: 'INVITE', branch: 'z9hG4bK1' }));
  });
  it('uses RFC 2543 matching when the branch lacks the magic cookie (RFC 4475 badbranch)', () => {
    assert.equal(isRfc3261Branch('z9hG4bK'), false);
    assert.equal(isRfc3261Branch('z9hG4bKx'), true);
    const a = serverKey({ ...base, method: 'OPTIONS', branch: 'z9hG4bK' });
    assert.equal(a, serverKey({ ...base, method: 'OPTIONS', branch: 'z9hG4bK' }));
    assert.notEqual(a, serverKey({ ...base, cseqNumber: 2, method: 'OPTIONS', branch: 'z9hG4bK' }));
    assert.notEqual(a, serverKey({ ...base, fromTag: 'g', method: 'OPTIONS', branch: 'z9hG4bK' }));
  });
  it('keys client transactions by branch and CSeq method', () => {
    assert.equal(clientKey('z9hG4bKa', 'MESSAGE'), clientKey('z9hG4bKa', 'MESSAGE'));
    assert.notEqual(clientKey('z9hG4bKa', 'MESSAGE'), clientKey('z9hG4bKa', 'CANCEL'));
  });
});

describe('coalescing timers', () => {
  it('fires timers of one duration in order, skips cancelled ones, and mixes durations correctly', () => {
    const base = new FakeClock();
    const timers = new CoalescingTimers(base);
    const fired: string[] = [];
    timers.setTimeout(() => fired.push('a500'), 500);
    base.advance(100);
    const b = timers.setTimeout(() => fired.push('b500'), 500);
    timers.setTimeout(() => fired.push('c200'), 200);
    base.advance(100);
    timers.setTimeout(() => fired.push('d500'), 500);
    timers.clearTimeout(b);
    base.advance(99); // t=299
    assert.deepEqual(fired, []);
    base.advance(1); // t=300: c200 due (scheduled at 100)
    assert.deepEqual(fired, ['c200']);
    base.advance(199); // t=499
    assert.deepEqual(fired, ['c200']);
    base.advance(1); // t=500: a500; b500 (due 600) was cancelled
    assert.deepEqual(fired, ['c200', 'a500']);
    base.advance(200); // t=700: d500 due (200+500), b500 never fires
    assert.deepEqual(fired, ['c200', 'a500', 'd500']);
    assert.equal(base.pending, 0, 'no underlying timer left armed');
  });

  it('drives a client transaction exactly like the plain clock', () => {
    const base = new FakeClock();
    const sent: number[] = [];
    const tx = new NonInviteClientTransaction('k', Buffer.from('R'), { reliable: false, send: () => sent.push(base.now()) }, new CoalescingTimers(base), T, {
      onResponse: () => {},
      onTimeout: () => sent.push(-1),
      onTransportError: () => {},
      onTerminated: () => {},
    });
    tx.start();
    base.advance(64 * T.T1);
    assert.deepEqual(sent.slice(0, 6), [0, 500, 1500, 3500, 7500, 11500]);
    assert.equal(sent.at(-1), -1);
  });
});
