/**
 * CORS headers (Fetch standard §3.2) for the read-only JSON routes browsers may call from another
 * origin, e.g. the journal history (`http-api.md` §2: the original sends none, so the route is not
 * usable from browser JavaScript; we add them). Credentials are sent in `Authorization`, never as
 * cookies, so `Access-Control-Allow-Credentials` is not needed and `*` is safe by default.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface CorsOptions {
  /** Allowed origins; `['*']` (default) allows any. */
  origins?: readonly string[];
  methods?: readonly string[];
  allowHeaders?: readonly string[];
  exposeHeaders?: readonly string[];
  /** Preflight cache, seconds (default 600). */
  maxAge?: number;
}

/** Set the CORS response headers for `request` (no-op for a disallowed origin). */
export function applyCors(request: FastifyRequest, reply: FastifyReply, o: CorsOptions = {}): void {
  const origins = o.origins ?? ['*'];
  const origin = request.headers.origin;
  if (origins.includes('*')) reply.header('Access-Control-Allow-Origin', '*');
  else if (origin !== undefined && origins.includes(origin)) reply.header('Access-Control-Allow-Origin', origin).header('Vary', 'Origin');
  else return;
  reply.header('Access-Control-Allow-Methods', (o.methods ?? ['GET', 'OPTIONS']).join(', '));
  reply.header('Access-Control-Allow-Headers', (o.allowHeaders ?? ['Authorization']).join(', '));
  if (o.exposeHeaders && o.exposeHeaders.length > 0) reply.header('Access-Control-Expose-Headers', o.exposeHeaders.join(', '));
  reply.header('Access-Control-Max-Age', String(o.maxAge ?? 600));
}
