/**
 * `GET /webrtcgateway/messages/history/{account}[/{last_id}]` — the journal over HTTP for SIP devices
 * (`http-api.md` §2, §7.4), as a Fastify plugin: `registerHistoryRoutes(app, deps)`.
 *
 * Same as the original: `Authorization: Apikey <token>` with the token obtained over SIP
 * (`application/sylk-api-token`); body `{"account": ..., "messages": [...]}` with entries serialized
 * as `journal-storage.md` §6, oldest first, at most 5000 per page, `last_id` as the cursor.
 * Additions and fixes:
 * - `"more": true|false` in the body and, when more entries remain, a `Link: <…/{last id}?limit=N>;
 *   rel="next"` header (the original silently caps at 5000);
 * - `?limit=N` (1 … 5000, larger values are clamped; default 5000);
 * - CORS headers and an `OPTIONS` preflight answered `204` (the original sends none and answers
 *   OPTIONS 401);
 * - `401 Unauthorized` for a missing, malformed (original: 500) or wrong token and for an unknown
 *   account — one answer for all, so accounts cannot be enumerated; a store failure is `503` with
 *   `Retry-After`, never 500;
 * - the account is normalised (`user@host`, host lower-cased) for both the token and the journal
 *   (the original looks the token up verbatim and the journal lower-cased, §2.3 quirk);
 * - an entry that cannot be serialized is skipped, not a 500 (§6 quirk).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JournalStore } from '../journal/store.js';
import { serializeEntries } from '../journal/serialize.js';
import { canonicalAor } from '../util/aor.js';
import type { Logger } from '../util/logger.js';
import { logger as rootLogger } from '../util/logger.js';
import { parseApikey, tokensEqual } from './auth.js';
import { applyCors, type CorsOptions } from './cors.js';

export const HISTORY_PREFIX = '/webrtcgateway/messages/history';
export const MAX_HISTORY_PAGE = 5000;

export interface HistoryRoutesDeps {
  store: JournalStore;
  log?: Logger;
  /** CORS origins (default any). */
  corsOrigins?: readonly string[];
  /** Seconds for `Retry-After` on a store failure (default 5). */
  retryAfterSeconds?: number;
}

interface Params {
  account: string;
  last_id?: string;
}

interface Query {
  limit?: number;
}

const paramsSchema = {
  type: 'object',
  properties: { account: { type: 'string', minLength: 1, maxLength: 512 }, last_id: { type: 'string', maxLength: 512 } },
  required: ['account'],
} as const;

const querySchema = {
  type: 'object',
  properties: { limit: { type: 'integer', minimum: 1 } },
} as const;

export async function registerHistoryRoutes(app: FastifyInstance, deps: HistoryRoutesDeps): Promise<void> {
  const log = deps.log ?? rootLogger.child({ module: 'http.history' });
  const cors: CorsOptions = { origins: deps.corsOrigins ?? ['*'], methods: ['GET', 'OPTIONS'], allowHeaders: ['Authorization'], exposeHeaders: ['Link'] };
  const retryAfter = String(deps.retryAfterSeconds ?? 5);

  const unauthorized = (reply: FastifyReply): FastifyReply =>
    reply.code(401).header('WWW-Authenticate', 'Apikey').type('text/plain').send('Unauthorized');

  const handler = async (request: FastifyRequest<{ Params: Params; Querystring: Query }>, reply: FastifyReply): Promise<FastifyReply> => {
    applyCors(request, reply, cors);
    const token = parseApikey(request.headers.authorization);
    const account = canonicalAor(request.params.account);
    if (token === null || account === undefined) return unauthorized(reply);
    const limit = Math.min(request.query.limit ?? MAX_HISTORY_PAGE, MAX_HISTORY_PAGE);
    const lastId = request.params.last_id;
    try {
      const stored = await deps.store.getApiToken(account);
      // Compare even when the account has no token, so both cases cost the same (no enumeration).
      const matches = tokensEqual(stored?.token ?? '', token);
      if (!stored || !matches) return unauthorized(reply);
      const result = await deps.store.query(account, { afterId: lastId ?? null, limit: limit + 1 });
      const more = result.entries.length > limit;
      const page = more ? result.entries.slice(0, limit) : result.entries;
      const { messages, skipped } = serializeEntries(page);
      if (skipped.length > 0) log.warn({ account, skipped }, 'journal entries not serializable: skipped');
      if (more && page.length > 0) {
        const next = `${HISTORY_PREFIX}/${encodeURIComponent(account).replace('%40', '@')}/${encodeURIComponent(page[page.length - 1]!.messageId)}?limit=${limit}`;
        reply.header('Link', `<${next}>; rel="next"`);
      }
      return reply.type('application/json').send({ account, messages, more });
    } catch (err) {
      log.error({ err, account }, 'history request failed');
      return reply.code(503).header('Retry-After', retryAfter).type('text/plain').send('Service Unavailable');
    }
  };

  const preflight = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    applyCors(request, reply, cors);
    return reply.code(204).send();
  };

  for (const url of [`${HISTORY_PREFIX}/:account`, `${HISTORY_PREFIX}/:account/:last_id`]) {
    app.get<{ Params: Params; Querystring: Query }>(url, { schema: { params: paramsSchema, querystring: querySchema } }, handler);
    app.options(url, preflight);
  }
}
