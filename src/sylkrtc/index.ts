/**
 * The sylkRTC WebSocket API layer (`sylkrtc-websocket.md`): what the server entry point wires.
 *
 *   const gw = new SylkRtcGateway({ service, events, store, authenticator, ...gatewaySettings(config.General) });
 *   gw.attach(httpServer);            // upgrades on /webrtcgateway/ws
 *   push: isDeviceOnline(account, deviceId)
 */
export { SylkRtcGateway, gatewaySettings, originAllowed, type SylkRtcOptions } from './server.js';
export {
  SipRegistrationAuthenticator,
  LocalCredentialAuthenticator,
  type AccountAuthenticator,
  type AuthEvent,
  type AuthSession,
  type AuthSubject,
  type SipRegistrationOptions,
} from './auth.js';
export { GuessLimitedAuthenticator } from './limited-auth.js';
export { ConnectionRegistry, defaultRegistry, isDeviceOnline } from './registry.js';
export { FileAddressBookStore, MemoryAddressBookStore, type AddressBookStore } from './addressbook.js';
export { SUBPROTOCOL, WS_PATH } from './protocol.js';
