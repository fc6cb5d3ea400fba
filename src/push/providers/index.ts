/**
 * Builds the configured providers (reading the APNs key and the FCM service account from disk) and
 * the router that picks one per token record: the app id's entry in `[Push] *_apps`, else the global
 * `provider`; `direct` picks APNs for `ios`/`apple` records and FCM for `android`/`firebase`/`fcm`.
 */
import { readFile } from 'node:fs/promises';
import type { SecureClientSessionOptions } from 'node:http2';
import { PushConfigError, type PushConfig, type ProviderName } from '../config.js';
import { loadPrivateKey } from '../jwt.js';
import type { PushProvider, PushToken } from '../types.js';
import { APNS_PRODUCTION, APNS_SANDBOX, ApnsProvider } from './apns.js';
import { FCM_ENDPOINT, FcmProvider, serviceAccountSchema } from './fcm.js';
import { SylkPushserverProvider } from './sylk-pushserver.js';

export interface Providers {
  'sylk-pushserver'?: PushProvider;
  apns?: PushProvider;
  fcm?: PushProvider;
}

export type ProviderRouter = (record: PushToken) => PushProvider | null;

const APPLE_PLATFORMS = new Set(['ios', 'apple', 'apns']);
const GOOGLE_PLATFORMS = new Set(['android', 'firebase', 'fcm']);

export function providerRouter(config: Pick<PushConfig, 'provider' | 'appProviders'>, providers: Providers): ProviderRouter {
  return (record) => {
    const name: ProviderName = config.appProviders.get(record.appId) ?? config.provider;
    switch (name) {
      case 'none':
        return null;
      case 'sylk-pushserver':
        return providers['sylk-pushserver'] ?? null;
      case 'apns':
        return providers.apns ?? null;
      case 'fcm':
        return providers.fcm ?? null;
      case 'direct': {
        const platform = record.platform.toLowerCase();
        if (APPLE_PLATFORMS.has(platform)) return providers.apns ?? null;
        if (GOOGLE_PLATFORMS.has(platform)) return providers.fcm ?? null;
        return null;
      }
    }
  };
}

export interface CreateProvidersOptions {
  /** Extra TLS options for the APNs session (tests: the self-signed CA). */
  apnsTls?: SecureClientSessionOptions;
  now?: () => number;
}

/** Instantiate every provider the configuration can route to. */
export async function createProviders(config: PushConfig, opts: CreateProvidersOptions = {}): Promise<Providers> {
  const out: Providers = {};
  if (config.sylkPushUrl) out['sylk-pushserver'] = new SylkPushserverProvider({ url: config.sylkPushUrl, requestTimeoutMs: config.requestTimeoutMs });
  if (config.apns) {
    const a = config.apns;
    let pem: string;
    try {
      pem = await readFile(a.keyPath, 'utf8');
    } catch (err) {
      throw new PushConfigError(`apns_key_path: ${err instanceof Error ? err.message : String(err)}`);
    }
    out.apns = new ApnsProvider({
      key: loadPrivateKey(pem),
      keyId: a.keyId,
      teamId: a.teamId,
      topic: a.topic,
      origin: a.endpoint ?? (a.sandbox ? APNS_SANDBOX : APNS_PRODUCTION),
      requestTimeoutMs: config.requestTimeoutMs,
      ...(opts.apnsTls ? { tls: opts.apnsTls } : {}),
      ...(opts.now ? { now: opts.now } : {}),
    });
  }
  if (config.fcm) {
    const f = config.fcm;
    let json: unknown;
    try {
      json = JSON.parse(await readFile(f.serviceAccountPath, 'utf8'));
    } catch (err) {
      throw new PushConfigError(`fcm_service_account_path: ${err instanceof Error ? err.message : String(err)}`);
    }
    const sa = serviceAccountSchema.safeParse(json);
    if (!sa.success) throw new PushConfigError(`fcm_service_account_path: not a service-account file: ${sa.error.issues[0]?.message ?? ''}`);
    const projectId = f.projectId ?? sa.data.project_id;
    if (!projectId) throw new PushConfigError('fcm_project_id is needed (the service-account file has no project_id)');
    out.fcm = new FcmProvider({
      serviceAccount: sa.data,
      projectId,
      endpoint: f.endpoint ?? FCM_ENDPOINT,
      tokenUri: f.tokenUri ?? sa.data.token_uri,
      requestTimeoutMs: config.requestTimeoutMs,
      ...(opts.now ? { now: opts.now } : {}),
    });
  }
  return out;
}
