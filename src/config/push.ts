/**
 * The `[Push]` section of `webrtcgateway.ini` (our addition; `push.md`): each key typed once, with
 * the push layer's real defaults (`PUSH_DEFAULTS`, `defaultProvider` of `src/push/config.ts`), so
 * `--print-config` shows the values in effect. The rules between keys (a provider needs its
 * credentials) are checked when the composition root turns these values into push options
 * (`pushOptions`, `src/cli/server/push.ts`). Keys resolve in table order: `provider` comes after the
 * credentials its default depends on.
 * SylkServer's own push setting stays where it is (`[General] sylk_push_url`).
 */
import { PROVIDER_NAMES, PUSH_DEFAULTS, defaultProvider } from '../push/config.js';
import { bool, int, list, oneOf, optStr, seconds, type Field } from './values.js';

export const pushSection = {
  apns_key_path: optStr(),
  apns_key_id: optStr(),
  apns_team_id: optStr(),
  /** Empty → the app id of each token. */
  apns_topic: optStr(),
  apns_sandbox: bool(PUSH_DEFAULTS.apns_sandbox),
  apns_endpoint: optStr(),
  fcm_service_account_path: optStr(),
  /** Empty → `project_id` of the service-account file. */
  fcm_project_id: optStr(),
  fcm_endpoint: optStr(),
  fcm_token_uri: optStr(),
  provider: oneOf(PROVIDER_NAMES, (c) =>
    defaultProvider(c.get('General', 'sylk_push_url') !== null, c.get('Push', 'apns_key_path') !== null, c.get('Push', 'fcm_service_account_path') !== null),
  ),
  sylk_pushserver_apps: list([]),
  apns_apps: list([]),
  fcm_apps: list([]),
  direct_apps: list([]),
  disabled_apps: list([]),
  skip_online_devices: bool(PUSH_DEFAULTS.skip_online_devices),
  max_retries: int(PUSH_DEFAULTS.max_retries, 0, PUSH_DEFAULTS.max_retries_limit),
  retry_base_delay: seconds(PUSH_DEFAULTS.retry_base_delay),
  retry_max_delay: seconds(PUSH_DEFAULTS.retry_max_delay),
  request_timeout: seconds(PUSH_DEFAULTS.request_timeout),
} satisfies Record<string, Field<unknown>>;
