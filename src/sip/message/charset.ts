/**
 * Character classes of the SIP grammar (RFC 3261 §25.1) as lookup tables, shared by the URI, header
 * and message parsers so that every scanner tests a character with one array load instead of a regex.
 * Hand-written as part of our own SIP stack (no maintained npm package provides a server-side one).
 */

/** Bit flags; a character may belong to several classes. */
export const C_ALNUM = 1;
/** RFC 3261 `token` characters: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~". */
export const C_TOKEN = 2;
/** `unreserved` = alphanum / mark (`-_.!~*'()`). */
export const C_UNRESERVED = 4;
/** Characters allowed (unescaped) in a SIP URI user part besides unreserved: `&=+$,;?/`. */
export const C_USER = 8;
/** Characters allowed in a SIP URI password besides unreserved: `&=+$,`. */
export const C_PASSWORD = 16;
/** `paramchar` besides unreserved: `[]/:&+$`. */
export const C_PARAM = 32;
/** `hnv-unreserved` besides unreserved: `[]/?:+$`. */
export const C_HNV = 64;
/** `word` characters (Call-ID): token characters plus `()<>:\"/[]?{}`. */
export const C_WORD = 128;
/** Characters of an absolute URI we accept for unknown schemes (uric plus `[]#%`). */
export const C_URIC = 256;

export const CHARS = new Uint16Array(128);

function mark(chars: string, flag: number): void {
  for (let i = 0; i < chars.length; i++) CHARS[chars.charCodeAt(i)]! |= flag;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
mark(ALNUM, C_ALNUM | C_TOKEN | C_UNRESERVED | C_WORD | C_URIC);
mark("-.!%*_+`'~", C_TOKEN | C_WORD);
mark("-_.!~*'()", C_UNRESERVED | C_URIC);
mark('&=+$,;?/', C_USER);
mark('&=+$,', C_PASSWORD);
mark('[]/:&+$', C_PARAM);
mark('[]/?:+$', C_HNV);
mark('()<>:\\"/[]?{}', C_WORD);
mark(';/?:@&=+$,[]#%', C_URIC);

/** True when every character of `s[start, end)` is in `flag`'s class. */
export function allIn(s: string, start: number, end: number, flag: number): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || (CHARS[c]! & flag) === 0) return false;
  }
  return true;
}

export function isToken(s: string): boolean {
  return allIn(s, 0, s.length, C_TOKEN);
}

export function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/**
 * True when `s[start, end)` is non-empty and consists of characters of `flag`'s class, `unreserved`
 * characters, or `%HH` escapes.
 */
export function isEscapedRun(s: string, start: number, end: number, flag: number): boolean {
  if (start >= end) return false;
  const f = flag | C_UNRESERVED;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 37) {
      if (i + 2 >= end) return false;
      if (!isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) return false;
      i += 2;
      continue;
    }
    if (c >= 128 || (CHARS[c]! & f) === 0) return false;
  }
  return true;
}

/** Percent-decode (`%HH`) into UTF-8 text; invalid UTF-8 sequences become U+FFFD. */
export function unescapePct(s: string): string {
  if (s.indexOf('%') < 0) return s;
  const bytes: number[] = [];
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 && i + 2 < s.length && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      const b = parseInt(s.substr(i + 1, 2), 16);
      if (b >= 128) ascii = false;
      bytes.push(b);
      i += 2;
    } else if (c < 128) {
      bytes.push(c);
    } else {
      ascii = false;
      const cp = s.codePointAt(i)!;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b);
      if (cp > 0xffff) i++;
    }
  }
  if (ascii) return String.fromCharCode(...bytes);
  return Buffer.from(bytes).toString('utf8');
}

const HEX = '0123456789ABCDEF';

/** Percent-encode every character of `s` outside `unreserved` and `flag`'s class (UTF-8 bytes). */
export function escapePct(s: string, flag: number): string {
  const f = flag | C_UNRESERVED;
  let clean = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || (CHARS[c]! & f) === 0) {
      clean = false;
      break;
    }
  }
  if (clean) return s;
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b < 128 && (CHARS[b]! & f) !== 0) out += String.fromCharCode(b);
    else out += '%' + HEX[b >> 4]! + HEX[b & 15]!;
  }
  return out;
}
