/**
 * Names on the file-transfer routes (`http-api.md` §3.2 step 1, §4): the original's "secure file
 * name" (werkzeug's `secure_filename`) for the uploaded file name and the transfer id, and the check
 * that a download path segment is one such name. Hand-written: a dozen lines, and the rule must be the
 * original's exactly, or the names (and so the URLs) would differ.
 */

/**
 * Unicode folded to ASCII (NFKD, non-ASCII dropped), path separators and whitespace runs become `_`,
 * every character other than ASCII letters, digits, `_`, `.`, `-` removed, leading and trailing
 * `.`/`_` stripped. May return '' (the caller refuses it).
 */
export function secureFilename(name: string): string {
  const ascii = name.normalize('NFKD').replace(/[^\x00-\x7f]/g, '');
  const spaced = ascii.replace(/[/\\]/g, ' ');
  const joined = spaced.split(/[\s\x1c-\x1f]+/).filter((p) => p !== '').join('_');
  return joined.replace(/[^A-Za-z0-9_.-]/g, '').replace(/^[._]+|[._]+$/g, '');
}

/**
 * A path segment of a download URL: what `secureFilename` or the AOR hash can produce — ASCII letters,
 * digits, `_`, `.`, `-`, not starting with `.` (so never `.`, `..` or the `.incoming` directory).
 */
export function isSafeSegment(segment: string): boolean {
  return /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(segment);
}
