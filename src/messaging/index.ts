/**
 * The messaging layer's facade: the one module other layers import (`sylkrtc/`, `http/`,
 * `cli/server/`, `filetransfer/`, a future registrar). Inside the layer:
 * - `create.ts` wires it from the configuration (`createMessaging`);
 * - `inbound.ts` + `dispatch.ts`: the one source-agnostic value and the one dispatch every message
 *   goes through (classify by `journal/content-types.ts` → `handlers/` → journal → events);
 * - `sip-ingress/`: SIP requests the proxy brings → `InboundMessage`; `outbound.ts`: MESSAGEs we send;
 * - `service/`: the WebSocket operations (`contract.ts` the interface, `sylk-service.ts` the
 *   implementation);
 * - `cluster/`: instances sharing one store (sync relay, once-per-process local delivery);
 * - `events.ts`: the event bus; `operations.ts`: journal operations shared by SIP and WS requests.
 */
export { createMessaging, type Messaging, type MessagingDeps, type MessagingOptions } from './create.js';
export { createDispatch, type Dispatch, type DispatchOptions, type DispatchResult } from './dispatch.js';
export { fromUriOf, toUriOf, type InboundMessage, type MessageSource, type SenderSide, type SipSideCar } from './inbound.js';
export {
  MessagingEvents,
  type AccountMessageContent,
  type DispositionNotificationEvent,
  type Identity,
  type IncomingMessageEvent,
  type JournalAppendedEvent,
  type JournalEntryJson,
  type MessagingEventMap,
  type MessagingEventName,
  type MessagingListener,
  type PublicKeyUpdatedEvent,
  type SyncConversationReadEvent,
  type SyncConversationRemoveEvent,
  type SyncMessageAddEvent,
  type SyncMessageRemoveEvent,
} from './events.js';
export * from './service/contract.js';
export type { OnIncomingMessage, IncomingMessagePush } from './push-hook.js';
export { WS_CONTACT_PARAM } from './cluster/sync-relay.js';
export { metadataJson, type FileTransferDescriptor } from './file-transfer.js';
export { aorHash, transferDir } from './files.js';
export { SipDelivery, type SipDeliveryOptions } from './standalone/delivery.js';
export { StandaloneRouter, type StandaloneRouterOptions } from './standalone/router.js';
export { WsPresence, type WsPresenceOptions, type WsPresenceHandle } from './standalone/ws-presence.js';
