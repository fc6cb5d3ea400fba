import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatTimestamp, normalizeTimestamp, normalizeTimestampWithDate, parseTimestamp } from '../../src/payload/datetime.js';

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

describe('payload/datetime: one-pass normalisation', () => {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const stamp = fc
    .tuple(
      fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(0, 99, 100, 1900, 2000, 2024)),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 31 }),
      fc.option(
        fc.tuple(
          fc.constantFrom('T', ' '),
          fc.integer({ min: 0, max: 23 }),
          fc.integer({ min: 0, max: 59 }),
          fc.option(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.option(fc.stringMatching(/^[.,]\d{1,9}$/)))),
        ),
      ),
      fc.constantFrom('', ' ', 'Z', 'z', '+00:00', '-00:00', '+0530', '-08', '+23:59', '-12:30', '+24:00'),
    )
    .map(([y, mo, d, t, tz]) => `${p(y, 4)}-${p(mo)}-${p(d)}` + (t ? `${t[0]}${p(t[1])}:${p(t[2])}` + (t[3] ? `:${p(t[3][0])}${t[3][1] ?? ''}` : '') : '') + tz);

  it('gives the text formatTimestamp writes for the parsed value, and its instant', () => {
    fc.assert(
      fc.property(fc.oneof(stamp, fc.string({ maxLength: 30 })), (s) => {
        const parsed = parseTimestamp(s);
        const one = normalizeTimestampWithDate(s);
        if (parsed === null) return assert.equal(one, null);
        assert.ok(one);
        assert.equal(one.text, formatTimestamp(parsed.date, parsed.offsetMinutes, parsed.micros));
        assert.equal(one.date.getTime(), parsed.date.getTime());
        assert.equal(normalizeTimestamp(s), one.text);
      }),
      { numRuns: 5000 },
    );
  });

  it('rejects days a month does not have, as Date.UTC counts them (years 0–99 are 1900–1999)', () => {
    assert.equal(parseTimestamp('2024-02-29T00:00:00Z')?.date.toISOString(), '2024-02-29T00:00:00.000Z');
    assert.equal(parseTimestamp('2023-02-29T00:00:00Z'), null);
    assert.notEqual(parseTimestamp('2000-02-29'), null, '2000 is a leap year (÷400)');
    assert.equal(parseTimestamp('1900-02-29'), null);
    assert.equal(parseTimestamp('0000-02-29'), null, 'year 0 is read as 1900');
    assert.equal(parseTimestamp('2024-04-31'), null);
    assert.equal(normalizeTimestamp('2024-05-01T23:59:60Z'), '2024-05-02T00:00:00+00:00', 'a leap second rolls over');
  });
});
