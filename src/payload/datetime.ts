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

/** Parse an ISO-8601-like timestamp (`Z`, `+HH:MM`, `+HHMM`, `+HH`, any fraction length). */
export function parseTimestamp(value: string): ParsedTimestamp | null {
  const m = ISO_RE.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', tz] = m;
  const year = Number(y), month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const micros = Number((frac + '000000').slice(0, 6));
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
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCDate() !== day) return null; // 31 February etc.
  return { date: new Date(utcMs - (offsetMinutes ?? 0) * 60_000), offsetMinutes, micros };
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * Format as the original does. `offsetMinutes` null writes no offset (a naive value stays naive,
 * §4.3); default 0 → `+00:00`. `micros` (0..999999) overrides the millisecond fraction of `date`.
 */
export function formatTimestamp(date: Date, offsetMinutes: number | null = 0, micros?: number): string {
  const local = new Date(date.getTime() + (offsetMinutes ?? 0) * 60_000);
  const us = micros ?? local.getUTCMilliseconds() * 1000;
  let out =
    `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
    `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  if (us !== 0) out += '.' + pad(us, 6);
  if (offsetMinutes !== null) {
    const sign = offsetMinutes < 0 ? '-' : '+';
    const abs = Math.abs(offsetMinutes);
    out += `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  }
  return out;
}

/** Re-serialise a timestamp keeping its offset (and naivety), or null if it does not parse. */
export function normalizeTimestamp(value: string): string | null {
  const p = parseTimestamp(value);
  return p === null ? null : formatTimestamp(p.date, p.offsetMinutes, p.micros);
}

/** "Now" in the server's output form (UTC). */
export function nowTimestamp(now: Date = new Date()): string {
  return formatTimestamp(now, 0);
}
