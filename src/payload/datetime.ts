/**
 * Timestamps in message payloads: lenient ISO 8601 parsing and the output form the original emits
 * (`sip-messaging.md` §4.3, `sylkrtc-websocket.md` §2.3): `YYYY-MM-DDTHH:MM:SS[.ffffff]±HH:MM`, six
 * fractional digits only when non-zero, always a numeric offset. Server-generated times are UTC
 * (`+00:00`, recommendation 22). `Date.parse` is not used because it accepts far too much and its
 * handling of offset-less forms depends on the shape of the string.
 */

export interface ParsedTimestamp {
  date: Date;
  /** Offset east of UTC in minutes as written, or null for a naive (offset-less) value. */
  offsetMinutes: number | null;
  /** Microseconds within the second as written (more precision than `Date` keeps). */
  micros: number;
}

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

interface Fields {
  year: number;
  /** As written (4 digits); with `text` fields below, used by the one-pass normalisation. */
  y: string;
  mo: string;
  d: string;
  h: string;
  mi: string;
  s: string;
  second: number;
  utcMs: number;
  offsetMinutes: number | null;
  micros: number;
}

/** Days in `month` (1–12) of `year`, as `Date.UTC` counts them (years 0–99 are 1900–1999). */
function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const y = year >= 0 && year <= 99 ? 1900 + year : year;
    return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function parseFields(value: string): Fields | null {
  const m = ISO_RE.exec(value.trim());
  if (!m) return null;
  const [, y = '', mo = '', d = '', h = '0', mi = '0', s = '0', frac = '', tz] = m;
  const year = Number(y), month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  if (day > daysInMonth(year, month)) return null; // 31 February etc.
  const micros = frac === '' ? 0 : Number(frac.length >= 6 ? frac.slice(0, 6) : (frac + '00000').slice(0, 6));
  let offsetMinutes: number | null = null;
  if (tz !== undefined) {
    if (tz === 'Z' || tz === 'z') offsetMinutes = 0;
    else {
      const sign = tz[0] === '-' ? -1 : 1;
      const digits = tz.slice(1).replace(':', '');
      const oh = Number(digits.slice(0, 2));
      const om = Number(digits.slice(2) || '0');
      if (oh > 23 || om > 59) return null;
      offsetMinutes = sign * (oh * 60 + om);
    }
  }
  const utcMs = Date.UTC(year, month - 1, day, hour, minute, second, Math.floor(micros / 1000));
  return { year, y, mo, d, h, mi, s, second, utcMs, offsetMinutes, micros };
}

/** Parse an ISO-8601-like timestamp (`Z`, `+HH:MM`, `+HHMM`, `+HH`, any fraction length). */
export function parseTimestamp(value: string): ParsedTimestamp | null {
  const f = parseFields(value);
  if (f === null) return null;
  return { date: new Date(f.utcMs - (f.offsetMinutes ?? 0) * 60_000), offsetMinutes: f.offsetMinutes, micros: f.micros };
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const pad2 = (n: number): string => (n >= 0 && n < 10 && (n | 0) === n ? '0' + n : n >= 10 ? '' + n : pad(n));

/** `+HH:MM` / `-HH:MM`, or '' for a naive value. */
function formatOffset(offsetMinutes: number | null): string {
  if (offsetMinutes === null) return '';
  const abs = Math.abs(offsetMinutes);
  return (offsetMinutes < 0 ? '-' : '+') + pad2(Math.floor(abs / 60)) + ':' + pad2(abs % 60);
}

/** `.ffffff` for non-zero microseconds, else ''. */
function formatMicros(us: number): string {
  return us === 0 ? '' : '.' + (us >= 100_000 ? '' + us : pad(us, 6));
}

/**
 * Format as the original does. `offsetMinutes` null writes no offset (a naive value stays naive,
 * §4.3); default 0 → `+00:00`. `micros` (0..999999) overrides the millisecond fraction of `date`.
 */
export function formatTimestamp(date: Date, offsetMinutes: number | null = 0, micros?: number): string {
  const local = new Date(date.getTime() + (offsetMinutes ?? 0) * 60_000);
  const us = micros ?? local.getUTCMilliseconds() * 1000;
  return (
    pad(local.getUTCFullYear(), 4) + '-' + pad2(local.getUTCMonth() + 1) + '-' + pad2(local.getUTCDate()) +
    'T' + pad2(local.getUTCHours()) + ':' + pad2(local.getUTCMinutes()) + ':' + pad2(local.getUTCSeconds()) +
    formatMicros(us) + formatOffset(offsetMinutes)
  );
}

/** Re-serialise a timestamp keeping its offset (and naivety), or null if it does not parse. */
export function normalizeTimestamp(value: string): string | null {
  return normalizeTimestampWithDate(value)?.text ?? null;
}

/**
 * `normalizeTimestamp` and the instant it denotes, in one pass (every incoming CPIM message needs
 * both). The wall-clock fields as written are the output's fields, so they are copied instead of
 * recomputed from a `Date`, except where `Date.UTC` would not give them back (a leap second rolls over,
 * years 0–99 are read as 1900–1999): there the general path keeps the original's output.
 */
export function normalizeTimestampWithDate(value: string): { text: string; date: Date } | null {
  const f = parseFields(value);
  if (f === null) return null;
  const date = new Date(f.utcMs - (f.offsetMinutes ?? 0) * 60_000);
  if (f.year < 100 || f.second === 60) return { text: formatTimestamp(date, f.offsetMinutes, f.micros), date };
  const text =
    f.y + '-' + f.mo + '-' + f.d +
    'T' + (f.h.length === 2 ? f.h : '0' + f.h) + ':' + (f.mi.length === 2 ? f.mi : '0' + f.mi) + ':' + (f.s.length === 2 ? f.s : '0' + f.s) +
    formatMicros(f.micros) + formatOffset(f.offsetMinutes);
  return { text, date };
}

/** "Now" in the server's output form (UTC). */
export function nowTimestamp(now: Date = new Date()): string {
  return formatTimestamp(now, 0);
}
