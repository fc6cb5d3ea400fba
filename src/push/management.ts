/**
 * The management HTTP interface for push tokens (`http-api.md` §6), on its own listener
 * (`[General] http_management_interface`, default `127.0.0.1:20888`), built on Fastify.
 *
 * - `GET /tokens/{account}` → `200 {"tokens": {"<app_id>-<device_id>": record}}` (`{}` when unknown).
 * - `DELETE /tokens/{account}/{device_token}` deletes every record of the account whose token, background
 *   token, unsplit `token-background` string or `<app_id>-<device_id>` key equals `{device_token}`, and
 *   answers `200 {"success": true}` (also when nothing matched). The original always fails with 500
 *   here (wrong arguments); this is the behaviour the spec recommends.
 * - With `http_management_auth_secret` set, the first `Authorization` header must equal the secret
 *   verbatim (no scheme), compared in constant time; otherwise `403` `Authentication error`.
 *   (Node keeps only the first `Authorization` header of a request, matching the original.)
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { logger as rootLogger, type Logger } from '../util/logger.js';
import { secretsEqual } from '../util/secrets.js';
import type { PushToken, PushTokenStore } from './types.js';

export type ManagementStore = Pick<PushTokenStore, 'listPushTokens' | 'removePushToken'>;

export interface ManagementServerOptions {
  store: ManagementStore;
  /** Listen address; only what the operator configured (default 127.0.0.1). */
  host: string;
  /** 0 = ephemeral (tests). */
  port: number;
  secret: string | null;
  log?: Logger;
}

export interface ManagementServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port`. */
  readonly url: string;
  close(): Promise<void>;
}

/** The record as the original's API shows it (`http-api.md` §6.1). */
export function tokenRecordJson(r: PushToken): Record<string, string | null> {
  const out: Record<string, string | null> = {
    device_id: r.deviceId,
    token: r.token,
    background_token: r.backgroundToken,
    platform: r.platform,
    silent: r.silent ? '1' : '0',
    app_id: r.appId,
  };
  if (r.userAgent !== null) out.user_agent = r.userAgent;
  return out;
}

/** Constant-time equality (`util/secrets.ts`); a missing secret never matches. */
export function secretMatches(given: string | undefined, secret: string): boolean {
  return secretsEqual(given ?? '', secret) && given !== undefined;
}

function bareAor(account: string): string {
  return account.replace(/^sips?:/i, '');
}

const accountParams = {
  type: 'object',
  properties: { account: { type: 'string', minLength: 1 } },
  required: ['account'],
} as const;

const deleteParams = {
  type: 'object',
  properties: { account: { type: 'string', minLength: 1 }, device_token: { type: 'string', minLength: 1 } },
  required: ['account', 'device_token'],
} as const;

export function buildManagementApp(opts: ManagementServerOptions): FastifyInstance {
  const log = opts.log ?? rootLogger.child({ module: 'push.management' });
  const app = Fastify({ logger: false, routerOptions: { maxParamLength: 4096 } });

  if (opts.secret !== null) {
    const secret = opts.secret;
    app.addHook('onRequest', async (req, reply) => {
      const given = req.headers.authorization;
      if (!secretMatches(typeof given === 'string' ? given : undefined, secret)) {
        log.warn({ ip: req.ip, url: req.url }, 'management API: authentication failed');
        return reply.code(403).type('text/plain; charset=utf-8').send('Authentication error');
      }
    });
  }

  app.get<{ Params: { account: string } }>('/tokens/:account', { schema: { params: accountParams } }, async (req, reply) => {
    const records = await opts.store.listPushTokens(bareAor(req.params.account));
    const tokens: Record<string, Record<string, string | null>> = {};
    for (const r of records) tokens[`${r.appId}-${r.deviceId}`] = tokenRecordJson(r);
    return reply.code(200).type('application/json').send({ tokens });
  });

  app.delete<{ Params: { account: string; device_token: string } }>('/tokens/:account/:device_token', { schema: { params: deleteParams } }, async (req, reply) => {
    const account = bareAor(req.params.account);
    const needle = req.params.device_token;
    const records = await opts.store.listPushTokens(account);
    const doomed = records.filter(
      (r) =>
        r.token === needle ||
        r.backgroundToken === needle ||
        (r.backgroundToken !== null && `${r.token}-${r.backgroundToken}` === needle) ||
        `${r.appId}-${r.deviceId}` === needle,
    );
    for (const r of doomed) await opts.store.removePushToken(account, r.appId, r.deviceId);
    log.info({ account, removed: doomed.length }, 'management API: push tokens removed');
    return reply.code(200).type('application/json').send({ success: true });
  });

  app.setErrorHandler((err: { statusCode?: number; message?: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) log.error({ err, url: req.url }, 'management API: request failed');
    return reply.code(status).type('application/json').send({ success: false, error: status === 500 ? 'Internal error' : err.message });
  });

  return app;
}

/** Start the listener; `close()` stops it. */
export async function startManagementServer(opts: ManagementServerOptions): Promise<ManagementServer> {
  const app = buildManagementApp(opts);
  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    host: opts.host,
    port,
    url: `http://${hostForUrl}:${port}`,
    close: () => app.close(),
  };
}
