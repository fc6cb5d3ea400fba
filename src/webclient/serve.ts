/**
 * Serves the built-in web client (`web-client.md`): the static files that `npm run build` puts in
 * `dist/web/` (built from `web/` by `scripts/build-web.mjs`), at `/` of the web port.
 *
 * Owns the HTTP side of the client only — the client itself speaks the public interfaces (the sylkRTC
 * WebSocket API, the file-transfer routes) like any other client. Caching and security headers:
 * - `/` (the HTML, which names the hashed assets): `Cache-Control: no-cache`, so a new build is seen
 *   at the next load;
 * - `/assets/<name>-<hash>.<ext>`: `Cache-Control: public, max-age=31536000, immutable` (the name
 *   changes with the content);
 * - every response: a strict `Content-Security-Policy` (own origin only, no inline script or style,
 *   no frames, no plugins), `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`.
 * The files are read once at start (a few hundred kB) and kept with their gzip form, which is sent
 * to clients that accept it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../util/logger.js';

export interface WebClientOptions {
  /** The build output: `index.html` and `assets/`. */
  dir: string;
  log: Logger;
}

/** The policy of every web-client response: nothing but the own origin (and `blob:` images, made from decrypted files). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

interface Asset {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
}

function asset(body: Buffer, name: string): Asset {
  const type = TYPES[extname(name)] ?? 'application/octet-stream';
  const gz = type.startsWith('image/png') ? null : gzipSync(body, { level: 9 });
  return { body, gzip: gz && gz.length < body.length ? gz : null, type };
}

function send(request: FastifyRequest, reply: FastifyReply, a: Asset, cacheControl: string): FastifyReply {
  reply
    .header('Content-Type', a.type)
    .header('Cache-Control', cacheControl)
    .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'no-referrer')
    .header('Vary', 'Accept-Encoding');
  const accepts = String(request.headers['accept-encoding'] ?? '');
  if (a.gzip && /\bgzip\b/.test(accepts)) return reply.header('Content-Encoding', 'gzip').send(a.gzip);
  return reply.send(a.body);
}

/**
 * Register `GET /` and `GET /assets/:name`. When the build is missing, `/` answers `503` saying how to
 * build it (the server still runs: the client is an extra, not a dependency of the messaging service).
 */
export async function registerWebClient(app: FastifyInstance, o: WebClientOptions): Promise<void> {
  const indexPath = join(o.dir, 'index.html');
  if (!existsSync(indexPath)) {
    o.log.error({ dir: o.dir }, 'web client not built: run `npm run build` (or set [WebServer] web_client = no)');
    app.get('/', async (_req, reply) => reply.code(503).type('text/plain').send('The web client is not built: run `npm run build`.\n'));
    return;
  }
  const index = asset(readFileSync(indexPath), 'index.html');
  const assets = new Map<string, Asset>();
  const assetDir = join(o.dir, 'assets');
  if (existsSync(assetDir)) for (const name of readdirSync(assetDir)) assets.set(name, asset(readFileSync(join(assetDir, name)), name));
  o.log.info({ dir: o.dir, assets: assets.size }, 'web client served at /');

  app.get('/', async (request, reply) => send(request, reply, index, 'no-cache'));
  app.get<{ Params: { name: string } }>('/assets/:name', async (request, reply) => {
    const a = assets.get(request.params.name);
    if (!a) return reply.code(404).type('text/plain').header('X-Content-Type-Options', 'nosniff').send('Not Found');
    return send(request, reply, a, 'public, max-age=31536000, immutable');
  });
}
