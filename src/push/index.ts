/**
 * Public face of the push layer: token parsing for the WebSocket and SIP layers, the notifier the
 * messaging pipeline calls after a journal write, the configuration parser, the management API.
 */
export { parseDeviceTokenRequest, parseContactPushParams, pushTokenRecord, contactPushParams, splitIosToken } from './tokens.js';
export type { DeviceTokenParams, DeviceTokenParseResult } from './tokens.js';
export { PushNotifier } from './notifier.js';
export type { IncomingMessage, ConferenceInvite, DeviceOnlinePredicate, PushNotifierOptions } from './notifier.js';
export { parsePushConfig, pushOptions, PushConfigError, PUSH_DEFAULTS } from './config.js';
export type { PushConfig, PushSettings, PushGeneralSettings, ProviderName, ApnsOptions, FcmOptions, ManagementOptions } from './config.js';
export { startManagementServer } from './management.js';
export type { ManagementServer, ManagementServerOptions, ManagementStore } from './management.js';
export { createProviders, providerRouter } from './providers/index.js';
export type { PushProvider, PushTokenStore, Notification, SendOutcome } from './types.js';
