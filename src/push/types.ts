/**
 * The push layer's own vocabulary: what a notification carries, the one interface every provider
 * (sylk-pushserver, APNs, FCM) implements, and the narrow slice of the journal store that push needs
 * (`push.md` §2–§5).
 *
 * `PushTokenStore` is a structural subset of the journal's store interface (src/journal/store.ts):
 * push only lists, reads and deletes token records and asks for unread counts, so tests and other
 * callers can hand in any object with these methods, and the push layer never learns about engines.
 */
import { contentTypesWith } from '../journal/content-types.js';
import type { JournalStore } from '../journal/store.js';
import type { PushToken, UnreadCounts } from '../journal/types.js';

export type { PushToken, UnreadCounts };

/**
 * The part of the journal store that the push layer uses: `listPushTokens`, `removePushToken` (by
 * account + app id + device id) and `unreadCounts` (`journal-storage.md` §2.3, for the badge).
 */
export type PushTokenStore = Pick<JournalStore, 'listPushTokens' | 'removePushToken' | 'unreadCounts'>;

/** A chat message that should wake the receiver's devices (`push.md` §3). */
export interface MessageNotification {
  event: 'message';
  /** Receiver AOR (`user@domain`, no scheme). */
  account: string;
  /** Sender AOR (no scheme). */
  from: string;
  fromDisplayName: string | null;
  contentType: string;
  content: string;
  messageId: string;
  /** One random UUID per message, shared by all of its device requests. */
  callId: string;
  /** Unread count after the message was stored. */
  badge: number;
}

/** A video-room invitation (`push.md` §4.2); sent to the VoIP token on iOS. */
export interface ConferenceNotification {
  event: 'incoming_conference_request';
  /** Invited participant's AOR (the record owner). */
  account: string;
  from: string;
  fromDisplayName: string | null;
  /** Room URI (AOR form). */
  to: string;
  mediaType: 'audio' | 'video';
  callId: string;
}

export type Notification = MessageNotification | ConferenceNotification;

/**
 * What happened to one request. The notifier decides on retries and purges from this; providers never
 * retry by themselves (except renewing an expired auth token once, which is not a delivery retry).
 */
export type SendOutcome =
  /** Accepted by the provider. */
  | { kind: 'sent'; status: number }
  /** The provider says this token is dead (410, `Unregistered`, `BadDeviceToken`, FCM `UNREGISTERED`). */
  | { kind: 'invalid-token'; status: number; reason: string }
  /** Try again later (429, 5xx, transport error); `retryAfterMs` from a `Retry-After` header. */
  | { kind: 'retry'; status: number | null; reason: string; retryAfterMs?: number }
  /** Permanent failure for this request (other 4xx, misconfiguration); not retried. */
  | { kind: 'failed'; status: number | null; reason: string };

/** One delivery route (one instance per configured provider). */
export interface PushProvider {
  /** Metric label and log field: `sylk-pushserver`, `apns`, `fcm`. */
  readonly name: string;
  /** Send one notification to one token record. Must not throw: errors become outcomes. */
  send(record: PushToken, notification: Notification): Promise<SendOutcome>;
  /** Close connections; pending sends may fail. */
  close(): Promise<void>;
}

/** Chat content types that trigger a message push (`push.md` §3): the `pushed` rows of the content-type table. */
export const PUSH_CONTENT_TYPES: readonly string[] = contentTypesWith('pushed');
