/**
 * Typed options of the push layer (`PushConfig`), their defaults (one place: {@link PUSH_DEFAULTS},
 * {@link defaultProvider}, which the `[Push]` section of the configuration schema, `config/push.ts`,
 * uses for its fields) and {@link pushOptions}, which turns the typed `[Push]` values plus the push
 * keys of `[General]` into options and checks the rules between keys. The composition root calls it
 * (`src/cli/server/push.ts`); {@link parsePushConfig} does the same from raw string maps.
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

export const PROVIDER_NAMES = ['sylk-pushserver', 'apns', 'fcm', 'direct', 'none'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** Defaults of the `[Push]` keys (seconds where the key is in seconds). */
export const PUSH_DEFAULTS = {
  skip_online_devices: false,
  max_retries: 3,
  max_retries_limit: 20,
  retry_base_delay: 0.5,
  retry_max_delay: 30,
  request_timeout: 10,
  apns_sandbox: false,
  management: { host: '127.0.0.1', port: 20888 },
} as const;

/** Default `provider`: `sylk-pushserver` with `sylk_push_url`, else `direct` with APNs or FCM credentials, else `none`. */
export function defaultProvider(hasSylkPushUrl: boolean, hasApns: boolean, hasFcm: boolean): ProviderName {
  return hasSylkPushUrl ? 'sylk-pushserver' : hasApns || hasFcm ? 'direct' : 'none';
}

/** The typed values of the `[Push]` section (what `config/push.ts` produces). */
export interface PushSettings {
  readonly provider: ProviderName;
  readonly sylk_pushserver_apps: readonly string[];
  readonly apns_apps: readonly string[];
  readonly fcm_apps: readonly string[];
  readonly direct_apps: readonly string[];
  readonly disabled_apps: readonly string[];
  readonly skip_online_devices: boolean;
  readonly max_retries: number;
  /** Seconds. */
  readonly retry_base_delay: number;
  readonly retry_max_delay: number;
  readonly request_timeout: number;
  readonly apns_key_path: string | null;
  readonly apns_key_id: string | null;
  readonly apns_team_id: string | null;
  readonly apns_topic: string | null;
  readonly apns_sandbox: boolean;
  readonly apns_endpoint: string | null;
  readonly fcm_service_account_path: string | null;
  readonly fcm_project_id: string | null;
  readonly fcm_endpoint: string | null;
  readonly fcm_token_uri: string | null;
}

/** The typed push keys of `[General]`. */
export interface PushGeneralSettings {
  readonly sylk_push_url: string | null;
  readonly http_management_interface: { readonly host: string; readonly port: number };
  readonly http_management_auth_secret: string | null;
}

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

function parseSeconds(value: string | undefined, key: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new PushConfigError(`${key}: not a non-negative number: ${value}`);
  return n;
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

/** Typed `[Push]` + `[General]` values → push options; throws {@link PushConfigError} when keys contradict. */
export function pushOptions(push: PushSettings, general: PushGeneralSettings): PushConfig {
  const sylkPushUrl = general.sylk_push_url;
  let apns: ApnsOptions | null = null;
  if (push.apns_key_path !== null) {
    if (!push.apns_key_id || !push.apns_team_id) throw new PushConfigError('apns_key_path needs apns_key_id and apns_team_id');
    apns = {
      keyPath: push.apns_key_path,
      keyId: push.apns_key_id,
      teamId: push.apns_team_id,
      topic: push.apns_topic,
      sandbox: push.apns_sandbox,
      endpoint: push.apns_endpoint,
    };
  }
  const fcm: FcmOptions | null =
    push.fcm_service_account_path === null
      ? null
      : { serviceAccountPath: push.fcm_service_account_path, projectId: push.fcm_project_id, endpoint: push.fcm_endpoint, tokenUri: push.fcm_token_uri };

  const appProviders = new Map<string, ProviderName>();
  const lists: Array<[readonly string[], ProviderName]> = [
    [push.sylk_pushserver_apps, 'sylk-pushserver'],
    [push.apns_apps, 'apns'],
    [push.fcm_apps, 'fcm'],
    [push.direct_apps, 'direct'],
    [push.disabled_apps, 'none'],
  ];
  for (const [apps, name] of lists) for (const app of apps) appProviders.set(app, name);

  const used = new Set<ProviderName>([push.provider, ...appProviders.values()]);
  if (used.has('sylk-pushserver') && sylkPushUrl === null) throw new PushConfigError('provider sylk-pushserver needs [General] sylk_push_url');
  if (used.has('apns') && !apns) throw new PushConfigError('provider apns needs apns_key_path, apns_key_id, apns_team_id');
  if (used.has('fcm') && !fcm) throw new PushConfigError('provider fcm needs fcm_service_account_path');
  if (used.has('direct') && !apns && !fcm) throw new PushConfigError('provider direct needs APNs or FCM credentials');

  return {
    sylkPushUrl,
    provider: push.provider,
    appProviders,
    skipOnlineDevices: push.skip_online_devices,
    maxRetries: push.max_retries,
    retryBaseDelayMs: Math.round(push.retry_base_delay * 1000),
    retryMaxDelayMs: Math.round(push.retry_max_delay * 1000),
    requestTimeoutMs: Math.round(push.request_timeout * 1000),
    apns,
    fcm,
    management: { host: general.http_management_interface.host, port: general.http_management_interface.port, secret: general.http_management_auth_secret },
  };
}

/**
 * Parse raw `[Push]` strings (and the push keys of `[General]`) with the same defaults as the
 * configuration schema; throws {@link PushConfigError} naming the key on bad values.
 */
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
  const opt = (key: string): string | null => get(push, key) ?? null;

  const providerValue = get(push, 'provider');
  let provider: ProviderName;
  if (providerValue === undefined) {
    provider = defaultProvider(sylkPushUrl !== null, opt('apns_key_path') !== null, opt('fcm_service_account_path') !== null);
  } else if ((PROVIDER_NAMES as readonly string[]).includes(providerValue.toLowerCase())) {
    provider = providerValue.toLowerCase() as ProviderName;
  } else {
    throw new PushConfigError(`provider: one of ${PROVIDER_NAMES.join(', ')} expected, got ${providerValue}`);
  }

  const maxRetriesText = get(push, 'max_retries');
  const maxRetries = maxRetriesText === undefined ? PUSH_DEFAULTS.max_retries : Number(maxRetriesText);
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > PUSH_DEFAULTS.max_retries_limit) {
    throw new PushConfigError(`max_retries: integer 0..${PUSH_DEFAULTS.max_retries_limit} expected, got ${maxRetriesText}`);
  }

  const mi = general.http_management_interface;
  const d = PUSH_DEFAULTS.management;
  const mgmt = mi && typeof mi === 'object' ? { host: mi.host, port: mi.port } : parseHostPort(get(g, 'http_management_interface') ?? `${d.host}:${d.port}`, d.port);

  return pushOptions(
    {
      provider,
      sylk_pushserver_apps: parseList(get(push, 'sylk_pushserver_apps')),
      apns_apps: parseList(get(push, 'apns_apps')),
      fcm_apps: parseList(get(push, 'fcm_apps')),
      direct_apps: parseList(get(push, 'direct_apps')),
      disabled_apps: parseList(get(push, 'disabled_apps')),
      skip_online_devices: parseBool(get(push, 'skip_online_devices'), 'skip_online_devices', PUSH_DEFAULTS.skip_online_devices),
      max_retries: maxRetries,
      retry_base_delay: parseSeconds(get(push, 'retry_base_delay'), 'retry_base_delay', PUSH_DEFAULTS.retry_base_delay),
      retry_max_delay: parseSeconds(get(push, 'retry_max_delay'), 'retry_max_delay', PUSH_DEFAULTS.retry_max_delay),
      request_timeout: parseSeconds(get(push, 'request_timeout'), 'request_timeout', PUSH_DEFAULTS.request_timeout),
      apns_key_path: opt('apns_key_path'),
      apns_key_id: opt('apns_key_id'),
      apns_team_id: opt('apns_team_id'),
      apns_topic: opt('apns_topic'),
      apns_sandbox: parseBool(get(push, 'apns_sandbox'), 'apns_sandbox', PUSH_DEFAULTS.apns_sandbox),
      apns_endpoint: opt('apns_endpoint'),
      fcm_service_account_path: opt('fcm_service_account_path'),
      fcm_project_id: opt('fcm_project_id'),
      fcm_endpoint: opt('fcm_endpoint'),
      fcm_token_uri: opt('fcm_token_uri'),
    },
    { sylk_push_url: sylkPushUrl, http_management_interface: mgmt, http_management_auth_secret: get(g, 'http_management_auth_secret') ?? null },
  );
}
