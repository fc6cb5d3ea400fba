/**
 * The sylkRTC WebSocket API layer (`sylkrtc-websocket.md`): what the composition root wires
 * (`src/cli/server/compose.ts`, options from `src/cli/server/sylkrtc.ts`).
 *
 *   const registry = new ConnectionRegistry();      // push: registry.isDeviceOnline(account, deviceId)
 *   const gw = new SylkRtcGateway({ service, events, store, authenticator, registry, ...options });
 *   gw.attach(httpServer);                          // upgrades on /webrtcgateway/ws
 */
export { SylkRtcGateway, originAllowed, type SylkRtcOptions } from './server.js';
export {
  SipRegistrationAuthenticator,
  LocalCredentialAuthenticator,
  type AccountAuthenticator,
  type AuthEvent,
  type AuthSession,
  type AuthSubject,
  type SipRegistrationOptions,
  type LocalCredentialOptions,
} from './auth.js';
export { GuessLimitedAuthenticator } from './limited-auth.js';
export { ConnectionRegistry } from './registry.js';
export { domainAllowed } from './context.js';
export { MemoryAddressBookStore, TableAddressBookStore, type AddressBookStore } from './addressbook.js';
export { SUBPROTOCOL, WS_PATH } from './protocol.js';
