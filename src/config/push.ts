/**
 * The `[Push]` section of `webrtcgateway.ini` (our addition): settings of the push providers
 * (`push.md`, `src/push/config.ts`). Owned by the push area. Each key is listed here so it is read
 * from every configuration directory, printed by `--print-config` and not warned about as unknown;
 * the values are kept as strings (empty = not set) and validated by `parsePushConfig()` of
 * `src/push/config.ts`, which owns their meaning and defaults. To make a key typed instead, replace
 * `str('')` by a field constructor from `values.ts` (e.g. `int(10, 1, 300)`).
 * SylkServer's own push setting stays where it is (`[General] sylk_push_url`).
 */
import { str, type Field } from './values.js';

export const pushSection = {
  provider: str(''),
  sylk_pushserver_apps: str(''),
  apns_apps: str(''),
  fcm_apps: str(''),
  direct_apps: str(''),
  disabled_apps: str(''),
  skip_online_devices: str(''),
  max_retries: str(''),
  retry_base_delay: str(''),
  retry_max_delay: str(''),
  request_timeout: str(''),
  apns_key_path: str(''),
  apns_key_id: str(''),
  apns_team_id: str(''),
  apns_topic: str(''),
  apns_sandbox: str(''),
  apns_endpoint: str(''),
  fcm_service_account_path: str(''),
  fcm_project_id: str(''),
  fcm_endpoint: str(''),
  fcm_token_uri: str(''),
} satisfies Record<string, Field<unknown>>;
