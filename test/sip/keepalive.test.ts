/**
 * `sip/transport/keepalive.ts` (RFC 5626 §4.4.1, RFC 5389 §15.2): which datagrams and frames are
 * keep-alives and what they get back — a CRLF pong to a CRLFCRLF ping, nothing to a pong, a Binding
 * success response with the XOR-mapped source (IPv4, IPv4-mapped and IPv6) to a STUN Binding
 * request, nothing to other binary input, and `undefined` (parse it) for a SIP message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crlfKeepAliveAnswer, udpKeepAliveAnswer } from '../../src/sip/transport/keepalive.js';

const COOKIE = [0x21, 0x12, 0xa4, 0x42];
const tid = Buffer.from('0102030405060708090a0b0c', 'hex');
const bindingRequest = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, ...COOKIE]), tid]);

test('CRLF ping and pong; a SIP message is not a keep-alive', () => {
  assert.equal(crlfKeepAliveAnswer(Buffer.from('\r\n\r\n'))!.toString(), '\r\n');
  assert.equal(crlfKeepAliveAnswer(Buffer.from('\r\n')), null);
  assert.equal(udpKeepAliveAnswer(Buffer.from('\r\n\r\n'), '127.0.0.1', 5060)!.toString(), '\r\n');
  assert.equal(udpKeepAliveAnswer(Buffer.alloc(0), '127.0.0.1', 5060), null);
  assert.equal(udpKeepAliveAnswer(Buffer.from('OPTIONS sip:x SIP/2.0\r\n\r\n'), '127.0.0.1', 5060), undefined);
  assert.equal(crlfKeepAliveAnswer(Buffer.from('MESSAGE')), undefined);
});

test('STUN Binding request → success response with XOR-MAPPED-ADDRESS (IPv4, IPv4-mapped, IPv6)', () => {
  for (const address of ['192.0.2.7', '::ffff:192.0.2.7']) {
    const res = udpKeepAliveAnswer(bindingRequest, address, 40000)!;
    assert.equal(res.length, 32);
    assert.equal(res.readUInt16BE(0), 0x0101);
    assert.equal(res.readUInt16BE(2), 12);
    assert.deepEqual(res.subarray(4, 20), bindingRequest.subarray(4, 20));
    assert.equal(res.readUInt16BE(20), 0x0020);
    assert.equal(res[25], 0x01);
    assert.equal(res.readUInt16BE(26) ^ 0x2112, 40000);
    assert.deepEqual([...res.subarray(28, 32)].map((b, i) => b ^ COOKIE[i]!), [192, 0, 2, 7]);
  }
  const v6 = udpKeepAliveAnswer(bindingRequest, '2001:db8::1', 5060)!;
  assert.equal(v6.length, 44);
  assert.equal(v6[25], 0x02);
  const mask = Buffer.concat([Buffer.from(COOKIE), tid]);
  const addr = [...v6.subarray(28, 44)].map((b, i) => b ^ mask[i]!);
  assert.deepEqual(addr, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01]);
});

test('other binary input, and a STUN request with a wrong length or cookie, get nothing', () => {
  assert.equal(udpKeepAliveAnswer(Buffer.from([0x00, 0x01, 0x00, 0x04, ...COOKIE, ...tid]), '192.0.2.7', 1), null);
  assert.equal(udpKeepAliveAnswer(Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, 0, 0, 0, 0]), tid]), '192.0.2.7', 1), null);
  assert.equal(udpKeepAliveAnswer(Buffer.from([0x00, 0x11, 0x00, 0x00, ...COOKIE, ...tid]), '192.0.2.7', 1), null);
  assert.equal(udpKeepAliveAnswer(Buffer.from([0x01]), '192.0.2.7', 1), null);
});
