/**
 * What a direct push (APNs, FCM) says about a message: a short, privacy-aware preview and the data
 * keys the Sylk apps know from Sylk Pushserver (`event`, `call-id`, `from_uri`, `from_display_name`,
 * `to_uri`, `media-type`), plus the message fields of `push.md` §4.1. Content is cut so the whole
 * payload stays within the 4 KiB both services accept.
 */
import type { Notification } from '../types.js';

/** APNs and FCM both refuse payloads above 4096 bytes. */
export const MAX_PAYLOAD_BYTES = 4096;

const PREVIEW_LENGTH = 160;

function isEncrypted(content: string): boolean {
  return content.trimStart().startsWith('-----BEGIN PGP');
}

/** Alert title and body for a notification. Encrypted or non-text content gets a generic body. */
export function alertText(n: Notification): { title: string; body: string } {
  const title = n.fromDisplayName || n.from;
  if (n.event === 'incoming_conference_request') return { title, body: `Invites you to a ${n.mediaType} conference` };
  if (n.contentType === 'application/sylk-file-transfer') return { title, body: 'Sent you a file' };
  if (n.contentType === 'text/plain' && !isEncrypted(n.content)) {
    const text = n.content.replace(/\s+/g, ' ').trim();
    return { title, body: text.length > PREVIEW_LENGTH ? `${text.slice(0, PREVIEW_LENGTH - 1)}…` : text || 'New message' };
  }
  return { title, body: 'New message' };
}

/**
 * Flat string map of the notification (FCM data values must be strings). `content` is included only
 * when `withContent`; callers use {@link fitPayload} to drop it when the payload would be too large.
 */
export function notificationData(n: Notification, withContent = true): Record<string, string> {
  const base: Record<string, string> = {
    event: n.event,
    'call-id': n.callId,
    from_uri: n.from,
    from_display_name: n.fromDisplayName ?? n.from,
  };
  if (n.event === 'incoming_conference_request') {
    return { ...base, to_uri: n.to, account: n.account, 'media-type': n.mediaType };
  }
  const data: Record<string, string> = {
    ...base,
    to_uri: n.account,
    'media-type': 'sms',
    'message-id': n.messageId,
    'content-type': n.contentType,
    badge: String(n.badge),
  };
  if (withContent) data.content = n.content;
  return data;
}

/** The JSON body built with content if it fits in {@link MAX_PAYLOAD_BYTES}, else without it. */
export function fitPayload(build: (withContent: boolean) => unknown): string {
  const full = JSON.stringify(build(true));
  if (Buffer.byteLength(full) <= MAX_PAYLOAD_BYTES) return full;
  return JSON.stringify(build(false));
}
