/**
 * What the sylkRTC layer needs from the rest of the server, gathered in one object the server factory
 * builds once and every connection shares: the messaging service (requests), the event bus (fan-out),
 * the store (push tokens), the authenticator (registration), the routing registry, the address book
 * and the two policy settings of `webrtcgateway.ini [General]` that apply per request.
 */
import type { JournalStore } from '../journal/store.js';
import type { MessagingEvents } from '../messaging/index.js';
import type { MessagingService } from '../messaging/index.js';
import type { AddressBookStore } from './addressbook.js';
import type { AccountAuthenticator } from './auth.js';
import type { ConnectionRegistry } from './registry.js';

export interface SylkRtcContext {
  service: MessagingService;
  events: MessagingEvents;
  /** Push token persistence (`account-devicetoken`, `account-unregister`). */
  store: Pick<JournalStore, 'addPushToken' | 'removePushToken'>;
  authenticator: AccountAuthenticator;
  registry: ConnectionRegistry;
  addressBook: AddressBookStore;
  /** `[General] sip_domains`: lower-case domains accounts may be added for; `'*'` = any. */
  sipDomains: readonly string[] | '*';
}

/** `sip_domains` check of `account-add` (§4.1). */
export function domainAllowed(ctx: Pick<SylkRtcContext, 'sipDomains'>, domain: string): boolean {
  if (ctx.sipDomains === '*') return true;
  const d = domain.toLowerCase();
  return ctx.sipDomains.some((x) => x === '*' || x.toLowerCase() === d);
}
