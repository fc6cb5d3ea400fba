/**
 * Account names and digest secrets (`src/accounts/aor.ts`, `credentials.ts`, `standalone.md` §2,
 * RFC 7616): AOR normalisation, HA1 values against independently computed hashes, password and HA1
 * checks.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { parseAccountAor } from '../../src/accounts/aor.js';
import { ha1ForAlgorithm, ha1Matches, ha1sFor, passwordMatches } from '../../src/accounts/credentials.js';
import type { LocalAccount } from '../../src/accounts/types.js';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('parseAccountAor', () => {
  test('scheme dropped, lower-cased, split', () => {
    assert.deepEqual(parseAccountAor('sip:Alice@Example.COM'), { aor: 'alice@example.com', user: 'alice', domain: 'example.com' });
    assert.deepEqual(parseAccountAor(' bob@x.org '), { aor: 'bob@x.org', user: 'bob', domain: 'x.org' });
  });
  test('refuses what is not user@domain', () => {
    for (const bad of ['', 'alice', '@x.org', 'alice@', 'a@x.org:5060', 'a@x.org;transport=tcp', 'a:pw@x.org', 'a b@x.org', 'a@[::1]', 'tel:+123']) {
      assert.equal(parseAccountAor(bad), null, bad);
    }
  });
});

describe('credentials', () => {
  const a = parseAccountAor('alice@example.com')!;
  const ha1 = ha1sFor(a, 'secret pw');
  const account: LocalAccount = { aor: a.aor, ...ha1, displayName: null, createdAt: new Date(), disabled: false };

  test('HA1 = H(user:domain:password) for MD5 and SHA-256', () => {
    assert.equal(ha1.ha1Md5, md5('alice:example.com:secret pw'));
    assert.equal(ha1.ha1Sha256, sha256('alice:example.com:secret pw'));
  });
  test('password and HA1 checks', () => {
    assert.equal(passwordMatches(account, 'secret pw'), true);
    assert.equal(passwordMatches(account, 'secret pW'), false);
    assert.equal(ha1Matches(account, ha1.ha1Md5.toUpperCase()), true);
    assert.equal(ha1Matches(account, ha1.ha1Sha256), true);
    assert.equal(ha1Matches(account, md5('alice:example.com:wrong')), false);
    assert.equal(ha1Matches(account, 'secret pw'), false);
    assert.equal(ha1Matches(account, ''), false);
  });
  test('HA1 per digest algorithm', () => {
    assert.equal(ha1ForAlgorithm(account, undefined), ha1.ha1Md5);
    assert.equal(ha1ForAlgorithm(account, 'md5-sess'), ha1.ha1Md5);
    assert.equal(ha1ForAlgorithm(account, 'SHA-256'), ha1.ha1Sha256);
    assert.equal(ha1ForAlgorithm(account, 'SHA-512-256'), undefined);
  });
});
