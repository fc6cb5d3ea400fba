/**
 * Who may report on a message (RFC 5438 §7: an IMDN is sent by a recipient of the message it names;
 * issue 15 item 4). One rule for both ways a report arrives:
 * - over the WebSocket API (`account-disposition-notification`, `sylkrtc-websocket.md` §5.2): the
 *   reporting account's own copy of the message must be one it received from the account it reports to;
 * - over SIP (`message/imdn+xml`, `sip-messaging.md` §5.7): the original sender's copy must be one it
 *   sent to the reporter (the SIP From, which the proxy vouches for; a CPIM From naming someone else
 *   does not count).
 * Anything else — an id never sent to the reporter, someone else's message, an unknown id — is refused,
 * so no report can change a copy its author has no part in.
 */
import type { JournalEntry } from '../journal/types.js';

/** The answer's text when a report is refused. */
export const NOT_A_RECIPIENT = 'only a recipient of a message may report on it';

/** Is `entry` (in the reporter's journal) a message the reporter received from `sender`? */
export function reporterCopyAllows(entry: JournalEntry | null, reporter: string, sender: string): boolean {
  if (entry === null || entry.contact !== sender) return false;
  return entry.direction === 'incoming' || reporter === sender; // a note to self is its own recipient
}

/** Is `entry` (in the original sender's journal) a message it sent to `reporter`? */
export function senderCopyAllows(entry: JournalEntry | null, sender: string, reporter: string): boolean {
  if (entry === null || entry.contact !== reporter) return false;
  return entry.direction === 'outgoing' || reporter === sender;
}
