/**
 * `POST /webrtcgateway/accounts` — optional sign-up of standalone mode (`standalone.md` §6), off
 * unless `[Accounts] allow_signup = yes` (the composition root registers the route only then).
 *
 * Body (JSON, validated with zod): `{"username", "password", "display_name"?, "domain"?}`; the
 * account `username@domain` (default domain: the first of `[General] sip_domains`) is created under
 * the rules of `accounts/manage.ts`. Answers: `201 {"success": true, "sip_address"}`; `409` when it
 * exists; `400` for a bad body, name, unserved domain or a password under 8 characters; `429` with
 * `Retry-After` when the client address has made `perHour` (10) attempts in the last hour (every
 * attempt counts, so the `409`s cannot enumerate accounts quickly); `503` when the store fails.
 * Error bodies are `{"success": false, "error": "..."}`. CORS for the configured web origins.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { createAccount, type ServedDomains } from '../accounts/manage.js';
import type { AccountStore } from '../accounts/types.js';
import type { Logger } from '../util/logger.js';
import { logger as rootLogger } from '../util/logger.js';
import { WindowCounter } from '../util/window-counter.js';
import { applyCors, type CorsOptions } from './cors.js';

export const SIGNUP_PATH = '/webrtcgateway/accounts';

export interface SignupRouteOptions {
  accounts: AccountStore;
  /** Where accounts may be created (`[General] sip_domains`, lower-cased, or `*`). */
  domains: ServedDomains;
  /** Domain when the body names none; null: the body must name one. */
  defaultDomain: string | null;
  /** Attempts per client address per hour (default 10). */
  perHour?: number;
  corsOrigins?: readonly string[];
  log?: Logger;
  now?: () => number;
}

const bodySchema = z.object({
  username: z.string().min(1).max(64),
  password: z.string().max(1024),
  display_name: z.string().max(128).nullish(),
  domain: z.string().min(1).max(253).nullish(),
});

export async function registerSignupRoute(app: FastifyInstance, o: SignupRouteOptions): Promise<void> {
  const log = o.log ?? rootLogger.child({ module: 'http.signup' });
  const attempts = new WindowCounter({ limit: o.perHour ?? 10, windowMs: 3_600_000, ...(o.now ? { now: o.now } : {}) });
  const cors: CorsOptions = { origins: o.corsOrigins ?? ['*'], methods: ['POST', 'OPTIONS'], allowHeaders: ['Content-Type'] };
  const fail = (reply: FastifyReply, code: number, error: string): FastifyReply => reply.code(code).send({ success: false, error });

  app.post(SIGNUP_PATH, async (request: FastifyRequest, reply: FastifyReply) => {
    applyCors(request, reply, cors);
    const address = request.ip;
    if (attempts.full(address)) {
      reply.header('Retry-After', String(Math.ceil(attempts.retryAfterMs(address) / 1000)));
      return fail(reply, 429, 'too many sign-up attempts from this address: at most 10 per hour');
    }
    attempts.add(address);
    const parsed = bodySchema.safeParse(request.body);
    if (!parsed.success) return fail(reply, 400, 'expected a JSON object {"username", "password", "display_name"?, "domain"?}');
    const body = parsed.data;
    const domain = body.domain ?? o.defaultDomain;
    if (!domain) return fail(reply, 400, 'domain is required (no default domain is configured)');
    try {
      const result = await createAccount(o.accounts, { aor: `${body.username}@${domain}`, password: body.password, displayName: body.display_name ?? null }, o.domains);
      if (result.ok) {
        log.info({ account: result.account.aor, address }, 'account signed up');
        return reply.code(201).send({ success: true, sip_address: result.account.aor });
      }
      return fail(reply, result.error === 'exists' ? 409 : 400, result.message);
    } catch (err) {
      log.error({ err }, 'sign-up failed');
      return reply.code(503).header('Retry-After', '5').send({ success: false, error: 'storage unavailable' });
    }
  });
  app.options(SIGNUP_PATH, async (request, reply) => {
    applyCors(request, reply, cors);
    return reply.code(204).send();
  });
}
