/**
 * File download, `GET|HEAD /webrtcgateway/filetransfer/{hs}/{hr}/{transfer_id}/{filename}`
 * (`http-api.md` §4): the capability URL of the descriptor, no authentication. `@fastify/send` (the
 * static-file responder of the Fastify project, what `send` is to Express) does the HTTP part: byte
 * ranges (`206`, `416`), `HEAD`, `ETag` (size and modification time: the same on every instance
 * sharing the directory) with `If-None-Match`/`If-Modified-Since` (`304`), `Last-Modified`, the
 * content type from its extension table (fallback `application/octet-stream`). We add what the
 * original does and what it should:
 * - each segment must be a secure name (`names.ts`): anything else, e.g. `..` or an encoded `/`, is an
 *   escape attempt → `403`, before the filesystem is touched; `meta-*` files are never served (`404`);
 * - `Content-Disposition: inline;filename="…"` only for `.jpg .jpeg .png .gif .mov .mp4 .webm`,
 *   `attachment;filename="…"` otherwise, and `X-Content-Type-Options: nosniff` always, so an uploaded
 *   HTML or SVG file never renders in the server's origin;
 * - CORS: `Access-Control-Allow-Origin: *` and the range headers exposed, so a web client can resume.
 */
import { extname } from 'node:path';
import send from '@fastify/send';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { META_PREFIX } from './layout.js';
import { isSafeSegment } from './names.js';

/** Read size of a download: 1 MiB chunks (16 times fewer stream turns than the 64 KiB default). */
const READ_CHUNK = 1024 * 1024;

const INLINE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.gif', '.mov', '.mp4', '.webm']);

export interface DownloadParams {
  hs: string;
  hr: string;
  transfer_id: string;
  filename: string;
}

/** `inline` for the image/video extensions the original shows in place, `attachment` for the rest. */
export function dispositionFor(filename: string): 'inline' | 'attachment' {
  return INLINE_EXTENSIONS.has(extname(filename).toLowerCase()) ? 'inline' : 'attachment';
}

function plain(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply.code(status).type('text/plain; charset=utf-8').send(text);
}

export async function serveDownload(root: string, params: DownloadParams, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { hs, hr, transfer_id: id, filename } = params;
  if (![hs, hr, id, filename].every(isSafeSegment)) return plain(reply, 403, 'Forbidden');
  if (filename.startsWith(META_PREFIX)) return plain(reply, 404, 'Not Found');
  const path = `/${hs[0]}/${hs}/${hr}/${id}/${filename}`;
  const result = await send(request.raw, path, { root, dotfiles: 'deny', index: false, extensions: false, cacheControl: false, highWaterMark: READ_CHUNK });
  reply.header('X-Content-Type-Options', 'nosniff');
  if (result.type !== 'file') {
    result.stream.resume();
    const status = result.type === 'directory' ? 404 : result.statusCode;
    if (status === 416) return reply.code(416).headers(result.headers).send();
    return plain(reply, status, status === 404 ? 'Not Found' : status === 403 ? 'Forbidden' : 'Error');
  }
  return reply
    .code(result.statusCode)
    .headers(result.headers)
    .header('Content-Disposition', `${dispositionFor(filename)};filename="${filename}"`)
    .send(result.stream);
}
