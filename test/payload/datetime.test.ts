import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatTimestamp, normalizeTimestamp, parseTimestamp } from '../../src/payload/datetime.js';

describe('payload/datetime', () => {
  it('re-serialises as the original (§4.3)', () => {
    assert.equal(normalizeTimestamp('2024-05-01T10:00:00.000Z'), '2024-05-01T10:00:00+00:00');
    assert.equal(normalizeTimestamp('2024-05-01T10:00:00.5+02:00'), '2024-05-01T10:00:00.500000+02:00');
    assert.equal(normalizeTimestamp('2024-05-01 10:00:00.123456789'), '2024-05-01T10:00:00.123456');
    assert.equal(normalizeTimestamp('2024-05-01T10:00:00-0530'), '2024-05-01T10:00:00-05:30');
  });
  it('parses to the right instant', () => {
    assert.equal(parseTimestamp('2024-05-01T12:00:00+02:00')!.date.toISOString(), '2024-05-01T10:00:00.000Z');
    assert.equal(parseTimestamp('2024-05-01T10:00:00.123Z')!.date.toISOString(), '2024-05-01T10:00:00.123Z');
  });
  it('rejects garbage and impossible dates', () => {
    for (const bad of ['', 'yesterday', '2024-13-01T00:00:00Z', '2024-02-30T00:00:00Z', '2024-05-01T25:00:00Z', '2024-05-01T10:00:00+25:00']) {
      assert.equal(parseTimestamp(bad), null, bad);
    }
  });
  it('formats with offset and fraction only when non-zero', () => {
    assert.equal(formatTimestamp(new Date('2024-05-01T10:00:00.000Z')), '2024-05-01T10:00:00+00:00');
    assert.equal(formatTimestamp(new Date('2024-05-01T10:00:00.250Z'), 60), '2024-05-01T11:00:00.250000+01:00');
  });
});
