/**
 * The callback the messaging pipeline calls for every stored chat message (`sip-messaging.md` §5.6.2,
 * `push.md`): content types `text/plain`, `text/html`, `application/sylk-file-transfer`, for the
 * receiver, whether or not it is online. Called fire-and-forget after the journal write committed: a
 * rejection or throw is logged and never affects the SIP response. `src/push` provides the
 * implementation; the messaging layer only knows this type.
 */
import type { Identity } from './events.js';

export interface IncomingMessagePush {
  /** The receiver (whose push tokens are used). */
  account: string;
  sender: Identity;
  message_id: string;
  content_type: string;
  content: string;
  /** The message's timestamp as sent in the WS `message` event. */
  timestamp: string;
  disposition_notification: string[] | null;
}

export type OnIncomingMessage = (message: IncomingMessagePush) => void | Promise<void>;

/** Content types that trigger a push (§5.6.2). */
export const PUSHED_CONTENT_TYPES: ReadonlySet<string> = new Set(['text/plain', 'text/html', 'application/sylk-file-transfer']);
