/**
 * The one rule for message ids, whatever path they come in by (issue 15 item 7): the sylkRTC
 * `message_id` members (`sylkrtc-websocket.md` §5), the CPIM `imdn.Message-ID` header (RFC 5438 §6.3),
 * an IMDN's `<message-id>`, the body of `application/sylk-api-message-remove` (`sip-messaging.md`
 * §5.3). An id is 1 to {@link MAX_MESSAGE_ID_LENGTH} characters, none of them a control character,
 * a space or a line/paragraph separator — so the stored copy, the SIP copy (a CPIM header line) and
 * the JSON copy of an id are the same string, and one id cannot bloat an account's history.
 */

/** Longest accepted message id, in characters (a UUID has 36). */
export const MAX_MESSAGE_ID_LENGTH = 256;

// Control characters (C0, DEL, C1) and every separator (space, NBSP, U+2028, U+2029, …).
const FORBIDDEN = /[\p{Cc}\p{Z}]/u;

/** Why `id` is not an acceptable message id, or null when it is (text for the error answer). */
export function messageIdProblem(id: string): string | null {
  if (id.length === 0) return 'message id is empty';
  if (id.length > MAX_MESSAGE_ID_LENGTH) return `message id too long (${id.length} characters, limit ${MAX_MESSAGE_ID_LENGTH})`;
  if (FORBIDDEN.test(id)) return 'message id contains a space or control character (limit: printable characters only)';
  return null;
}
