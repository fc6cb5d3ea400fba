import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeHa1, digestAuthorization, digestChallenge, parseDigestChallenge, verifyDigest } from '../../src/sip/digest.js';
import { parseAuth } from '../../src/sip/message/auth-header.js';

test('RFC 2617 §3.5 example (MD5, qop=auth)', () => {
  const challenge =
    'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"';
  const value = digestAuthorization(challenge, { username: 'Mufasa', password: 'Circle Of Life' }, { method: 'GET', uri: '/dir/index.html', cnonce: '0a4f113b', nc: 1 });
  assert.ok(value);
  const a = parseAuth(value)!;
  assert.equal(a.params.get('response'), '6629fae49393a05397450978507c4ef1');
  assert.equal(a.params.get('qop'), 'auth');
  assert.equal(a.params.get('nc'), '00000001');
  assert.equal(a.params.get('opaque'), '5ccc069c403ebaf9f0171e9517f40e41');
  assert.equal(a.params.get('uri'), '/dir/index.html');
  // the same answer from the stored HA1
  const ha1 = computeHa1('Mufasa', 'testrealm@host.com', 'Circle Of Life');
  const fromHa1 = digestAuthorization(challenge, { username: 'Mufasa', ha1 }, { method: 'GET', uri: '/dir/index.html', cnonce: '0a4f113b', nc: 1 });
  assert.equal(fromHa1, value);
});

test('RFC 7616 §3.9.1 examples (SHA-256 and MD5)', () => {
  const base = 'realm="http-auth@example.org", qop="auth, auth-int", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
  const req = { method: 'GET', uri: '/dir/index.html', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ', nc: 1 };
  const sha = digestAuthorization(`Digest ${base}, algorithm=SHA-256`, { username: 'Mufasa', password: 'Circle of Life' }, req)!;
  assert.equal(parseAuth(sha)!.params.get('response'), '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  assert.equal(parseAuth(sha)!.params.get('algorithm'), 'SHA-256');
  const md5 = digestAuthorization(`Digest ${base}, algorithm=MD5`, { username: 'Mufasa', password: 'Circle of Life' }, req)!;
  assert.equal(parseAuth(md5)!.params.get('response'), '8ca523f5e9506fed4657c9700eebdbec');
});

test('challenge parsing', () => {
  const c = parseDigestChallenge('Digest realm="example.com", nonce="abc", algorithm=MD5-sess, qop="auth", stale=TRUE')!;
  assert.deepEqual([c.realm, c.nonce, c.algorithm, c.qop, c.stale], ['example.com', 'abc', 'MD5-sess', ['auth'], true]);
  assert.equal(parseDigestChallenge('Basic realm="x"'), undefined);
  assert.equal(parseDigestChallenge('Digest nonce="x"'), undefined);
});

test('HA1 of the wrong length or an unknown algorithm cannot answer', () => {
  const ha1 = computeHa1('alice', 'example.com', 'secret');
  assert.equal(digestAuthorization('Digest realm="example.com", nonce="n", algorithm=SHA-256', { username: 'alice', ha1 }, { method: 'REGISTER', uri: 'sip:example.com' }), undefined);
  assert.equal(digestAuthorization('Digest realm="example.com", nonce="n", algorithm=FOO', { username: 'alice', password: 'x' }, { method: 'REGISTER', uri: 'sip:example.com' }), undefined);
  assert.equal(digestAuthorization('Digest realm="other.org", nonce="n"', { username: 'alice', realm: 'example.com', password: 'x' }, { method: 'REGISTER', uri: 'sip:example.com' }), undefined);
  assert.ok(digestAuthorization('Digest realm="example.com", nonce="n"', { username: 'alice', realm: 'example.com', password: 'x' }, { method: 'REGISTER', uri: 'sip:example.com' }));
  assert.equal(digestAuthorization('Digest realm="example.com", nonce="n", qop="auth-conf"', { username: 'alice', password: 'x' }, { method: 'REGISTER', uri: 'sip:example.com' }), undefined);
});

for (const algorithm of ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess', 'SHA-512-256']) {
  for (const qop of [['auth'], [], ['auth-int']]) {
    test(`client and verifier agree: ${algorithm} qop=${qop.join(',') || 'none'}`, () => {
      const challenge = digestChallenge({ realm: 'example.com', algorithm, qop, opaque: 'op' });
      const body = Buffer.from('hello');
      const value = digestAuthorization(challenge, { username: 'alice', password: 'secret' }, { method: 'MESSAGE', uri: 'sip:bob@example.com', body })!;
      assert.ok(value, 'client answers');
      const ok = verifyDigest(value, { method: 'MESSAGE', body, realm: 'example.com', lookup: (u) => (u === 'alice' ? { password: 'secret' } : undefined) });
      assert.deepEqual(ok.ok, true);
      const wrong = verifyDigest(value, { method: 'MESSAGE', body, lookup: () => ({ password: 'other' }) });
      assert.equal(wrong.ok, false);
      const otherMethod = verifyDigest(value, { method: 'INVITE', body, lookup: () => ({ password: 'secret' }) });
      assert.equal(otherMethod.ok, false);
      if (algorithm === 'MD5') {
        const viaHa1 = verifyDigest(value, { method: 'MESSAGE', body, lookup: () => ({ ha1: computeHa1('alice', 'example.com', 'secret') }) });
        assert.equal(viaHa1.ok, true);
      }
    });
  }
}

test('verifier rejects stale nonces, wrong realms and unknown users', () => {
  const challenge = digestChallenge({ realm: 'example.com', nonce: 'n1' });
  const value = digestAuthorization(challenge, { username: 'alice', password: 'secret' }, { method: 'REGISTER', uri: 'sip:example.com' })!;
  const lookup = (): { password: string } => ({ password: 'secret' });
  assert.equal(verifyDigest(value, { method: 'REGISTER', lookup }).ok, true);
  assert.deepEqual(verifyDigest(value, { method: 'REGISTER', lookup, nonceValid: (n) => n !== 'n1' }), { ok: false, reason: 'stale or unknown nonce' });
  assert.deepEqual(verifyDigest(value, { method: 'REGISTER', lookup, realm: 'other.org' }), { ok: false, reason: 'wrong realm' });
  assert.deepEqual(verifyDigest(value, { method: 'REGISTER', lookup: () => undefined }), { ok: false, reason: 'unknown user' });
  assert.equal(verifyDigest('NoOneKnowsThisScheme opaque-data=here', { method: 'REGISTER', lookup }).ok, false);
});
