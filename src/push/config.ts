/**
 * Typed options of the push layer and their parser from plain INI sections, so wiring is one line:
 * `parsePushConfig(config.Push, config.General)` (the loader's sections; raw string maps work too).
 *
 * Keys read from `[General]` (SylkServer's, `configuration.md` §3.1): `sylk_push_url`,
 * `http_management_interface` (default `127.0.0.1:20888`), `http_management_auth_secret`.
 * Keys of our own `[Push]` section (all optional):
 *
 * | key | default | meaning |
 * |---|---|---|
 * | `provider` | `sylk-pushserver` if `sylk_push_url` is set, else `direct` if APNs or FCM is configured, else `none` | route for app ids not listed below: `sylk-pushserver`, `apns`, `fcm`, `direct` (APNs for `ios`/`apple`, FCM for `android`/`firebase`), `none` |
 * | `sylk_pushserver_apps`, `apns_apps`, `fcm_apps`, `direct_apps`, `disabled_apps` | empty | comma-separated app ids routed to that provider (overrides `provider`) |
 * | `skip_online_devices` | `false` | don't push devices that hold an authenticated WebSocket connection |
 * | `max_retries` | `3` | retries after a 429/5xx/transport error (0 = none) |
 * | `retry_base_delay`, `retry_max_delay` | `0.5`, `30` | exponential backoff bounds, seconds (full jitter) |
 * | `request_timeout` | `10` | per-request timeout, seconds |
 * | `apns_key_path`, `apns_key_id`, `apns_team_id` | — | token-based APNs auth: the `.p8` key, its key id, the team id |
 * | `apns_topic` | the app id | `apns-topic` for alert pushes (`<topic>.voip` for VoIP pushes) |
 * | `apns_sandbox` | `false` | use `api.sandbox.push.apple.com` |
 * | `apns_endpoint` | — | override the APNs origin (tests, proxies) |
 * | `fcm_service_account_path` | — | Google service-account JSON |
 * | `fcm_project_id` | `project_id` of the JSON | Firebase project |
 * | `fcm_endpoint`, `fcm_token_uri` | `https://fcm.googleapis.com`, `token_uri` of the JSON | overrides (tests) |
 */

export type ProviderName = 'sylk-pushserver' | 'apns' | 'fcm' | 'direct' | 'none';

const PROVIDER_NAMES: readonly ProviderName[] = ['sylk-pushserver', 'apns', 'fcm', 'direct', 'none'];

export interface ApnsOptions {
  keyPath: string;
  keyId: string;
  teamId: string;
  /** Alert topic; null = the record's app id. */
  topic: string | null;
  sandbox: boolean;
  /** Origin override, e.g. `https://127.0.0.1:4443`. */
  endpoint: string | null;
}

export interface FcmOptions {
  serviceAccountPath: string;
  /** null = `project_id` of the service-account file. */
  projectId: string | null;
  endpoint: string | null;
  tokenUri: string | null;
}

export interface ManagementOptions {
  host: string;
  port: number;
  secret: string | null;
}

export interface PushConfig {
  sylkPushUrl: string | null;
  /** Route for app ids without an entry in `appProviders`. */
  provider: ProviderName;
  /** app id → route. */
  appProviders: Map<string, ProviderName>;
  skipOnlineDevices: boolean;
  maxRetries: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  requestTimeoutMs: number;
  apns: ApnsOptions | null;
  fcm: FcmOptions | null;
  management: ManagementOptions;
}

export class PushConfigError extends Error {
  override name = 'PushConfigError';
}

/**
 * The `[General]` keys push reads: raw strings, or the values src/config's loader produced
 * (`http_management_interface` as `{host, port}`, unset values as null).
 */
export interface GeneralPushKeys {
  readonly sylk_push_url?: string | null;
  readonly http_management_interface?: string | { readonly host: string; readonly port: number } | null;
  readonly http_management_auth_secret?: string | null;
}

function get(section: Readonly<Record<string, string | null | undefined>>, key: string): string | undefined {
  const v = section[key];
  if (v === undefined || v === null) return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

/** SylkServer's boolean words. */
export function parseBool(value: string | undefined, key: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  const v = value.toLowerCase();
  if (['1', 'yes', 'true', 'on'].includes(v)) return true;
  if (['0', 'no', 'false', 'off'].includes(v)) return false;
  throw new PushConfigError(`${key}: not a boolean: ${value}`);
}

function parseSeconds(value: string | undefined, key: string, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new PushConfigError(`${key}: not a non-negative number: ${value}`);
  return Math.round(n * 1000);
}

function parseList(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** `IP[:PORT]` (IPv6 in brackets when a port is given). */
export function parseHostPort(value: string, defaultPort: number): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(value) ?? /^([^:]+)(?::(\d+))?$/.exec(value);
  if (!m) {
    if (value.includes(':') && !value.includes('[')) return { host: value, port: defaultPort }; // bare IPv6
    throw new PushConfigError(`not an address: ${value}`);
  }
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new PushConfigError(`bad port in ${value}`);
  return { host: m[1]!, port };
}

/** Parse `[Push]` (and the push keys of `[General]`); throws {@link PushConfigError} on bad values. */
export function parsePushConfig(push: Readonly<Record<string, string>>, general: GeneralPushKeys = {}): PushConfig {
  const g: Record<string, string | null | undefined> = {
    sylk_push_url: general.sylk_push_url,
    http_management_auth_secret: general.http_management_auth_secret,
    http_management_interface: typeof general.http_management_interface === 'string' ? general.http_management_interface : undefined,
  };
  const sylkPushUrl = get(g, 'sylk_push_url') ?? null;
  if (sylkPushUrl !== null) {
    try {
      new URL(sylkPushUrl);
    } catch {
      throw new PushConfigError(`sylk_push_url: not a URL: ${sylkPushUrl}`);
    }
  }

  let apns: ApnsOptions | null = null;
  const apnsKeyPath = get(push, 'apns_key_path');
  if (apnsKeyPath !== undefined) {
    const keyId = get(push, 'apns_key_id');
    const teamId = get(push, 'apns_team_id');
    if (!keyId || !teamId) throw new PushConfigError('apns_key_path needs apns_key_id and apns_team_id');
    apns = {
      keyPath: apnsKeyPath,
      keyId,
      teamId,
      topic: get(push, 'apns_topic') ?? null,
      sandbox: parseBool(get(push, 'apns_sandbox'), 'apns_sandbox', false),
      endpoint: get(push, 'apns_endpoint') ?? null,
    };
  }

  let fcm: FcmOptions | null = null;
  const fcmPath = get(push, 'fcm_service_account_path');
  if (fcmPath !== undefined) {
    fcm = {
      serviceAccountPath: fcmPath,
      projectId: get(push, 'fcm_project_id') ?? null,
      endpoint: get(push, 'fcm_endpoint') ?? null,
      tokenUri: get(push, 'fcm_token_uri') ?? null,
    };
  }

  const providerValue = get(push, 'provider');
  let provider: ProviderName;
  if (providerValue === undefined) {
    provider = sylkPushUrl !== null ? 'sylk-pushserver' : apns || fcm ? 'direct' : 'none';
  } else if ((PROVIDER_NAMES as readonly string[]).includes(providerValue.toLowerCase())) {
    provider = providerValue.toLowerCase() as ProviderName;
  } else {
    throw new PushConfigError(`provider: one of ${PROVIDER_NAMES.join(', ')} expected, got ${providerValue}`);
  }

  const appProviders = new Map<string, ProviderName>();
  const lists: Array<[string, ProviderName]> = [
    ['sylk_pushserver_apps', 'sylk-pushserver'],
    ['apns_apps', 'apns'],
    ['fcm_apps', 'fcm'],
    ['direct_apps', 'direct'],
    ['disabled_apps', 'none'],
  ];
  for (const [key, name] of lists) for (const app of parseList(get(push, key))) appProviders.set(app, name);

  const used = new Set<ProviderName>([provider, ...appProviders.values()]);
  if (used.has('sylk-pushserver') && sylkPushUrl === null) throw new PushConfigError('provider sylk-pushserver needs [General] sylk_push_url');
  if (used.has('apns') && !apns) throw new PushConfigError('provider apns needs apns_key_path, apns_key_id, apns_team_id');
  if (used.has('fcm') && !fcm) throw new PushConfigError('provider fcm needs fcm_service_account_path');
  if (used.has('direct') && !apns && !fcm) throw new PushConfigError('provider direct needs APNs or FCM credentials');

  const maxRetriesText = get(push, 'max_retries');
  const maxRetries = maxRetriesText === undefined ? 3 : Number(maxRetriesText);
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 20) throw new PushConfigError(`max_retries: integer 0..20 expected, got ${maxRetriesText}`);

  const mi = general.http_management_interface;
  const mgmt = mi && typeof mi === 'object' ? { host: mi.host, port: mi.port } : parseHostPort(get(g, 'http_management_interface') ?? '127.0.0.1:20888', 20888);

  return {
    sylkPushUrl,
    provider,
    appProviders,
    skipOnlineDevices: parseBool(get(push, 'skip_online_devices'), 'skip_online_devices', false),
    maxRetries,
    retryBaseDelayMs: parseSeconds(get(push, 'retry_base_delay'), 'retry_base_delay', 500),
    retryMaxDelayMs: parseSeconds(get(push, 'retry_max_delay'), 'retry_max_delay', 30_000),
    requestTimeoutMs: parseSeconds(get(push, 'request_timeout'), 'request_timeout', 10_000),
    apns,
    fcm,
    management: { host: mgmt.host, port: mgmt.port, secret: get(g, 'http_management_auth_secret') ?? null },
  };
}
