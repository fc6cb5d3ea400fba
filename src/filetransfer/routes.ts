/**
 * The file-transfer routes (`http-api.md` §3–§5) as a Fastify plugin, in a scope of their own whose
 * only body parser hands the raw request stream through, so an upload is never buffered:
 *
 * - `POST …/filetransfer/{sender}/{receiver}/{transfer_id}/{filename}` — the raw body, as sylk-webrtc's
 *   `fileTransferUtils.js` and Sylk Mobile send it. Checks, all before a byte is read: secure names
 *   (`403`), `Content-Length` (missing `411`, not a number `400`, above `filetransfer_max_size` `413`
 *   with `{"error": "file too large", …}`), the uploader (`auth.ts`, `403`), a storage-enabled party
 *   (`404`), the owner's quota (`413` with `{"error": "quota exceeded", …}`); the journal store
 *   unavailable for these checks → `503` with `Retry-After`. Then the body streams to
 *   disk with its SHA-1 (`store.ts`), the file is moved into place with its metadata, and the
 *   descriptor message goes through the messaging pipeline (`Messaging.announceFileTransfer`); `200 OK`
 *   only after the journal entries committed. An aborted or cancelled upload leaves no file and no
 *   message; a journal failure removes the file again and answers `503` with `Retry-After`.
 *   A rejected upload is answered with `Connection: close`, so a large unread body is not drained.
 *   An upload may take as long as it needs while bytes keep coming; one idle for `idleMs` is dropped.
 * - `GET|HEAD` of the same shape — the download (`download.ts`).
 * - `OPTIONS` — `200 OK` (CORS pre-flight).
 * - `GET|POST …/filetransfer/cancel/{transfer_id}` — `uploads.ts`; the original's answers.
 * Every answer of these routes carries the CORS headers of the newest original
 * (`Access-Control-Allow-Headers: content-type, range, authorization`, range headers exposed).
 */
import { rm } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formatTimestamp } from '../payload/datetime.js';
import { canonicalAor } from '../util/aor.js';
import type { Logger } from '../util/logger.js';
import { mayUpload, type UploaderDirectory } from './auth.js';
import { buildDescriptor } from './descriptor.js';
import { serveDownload, type DownloadParams } from './download.js';
import { metadataJson, type FileTransferDescriptor } from '../messaging/index.js';
import { ROUTE_PREFIX, ownerDir, transferLocation } from './layout.js';
import { secureFilename } from './names.js';
import type { Quota } from './quota.js';
import { commitFile, IncompleteError, receiveFile, TooLargeError } from './store.js';
import { ActiveUploads, rawTransferId } from './uploads.js';
import type { UploadWriter } from './writer.js';

export interface FileTransferRouteDeps {
  /** `[General] file_transfer_dir`. */
  root: string;
  /** `[General] filetransfer_max_size`. */
  maxBytes: number;
  quota: Quota;
  /** `[General] filetransfer_expire_days` (the descriptor's `until`). */
  expireDays: number;
  webBaseUrl: () => string;
  uploaders: UploaderDirectory;
  /** Is the AOR a storage-enabled account (`sip-messaging.md` §1)? */
  isStorageEnabled: (aor: string) => Promise<boolean>;
  /** The descriptor message through the messaging pipeline; resolves once stored. */
  announce: (d: FileTransferDescriptor) => Promise<void>;
  uploads: ActiveUploads;
  /** Writes the uploads and their SHA-1 (`writer.ts`). */
  writer: UploadWriter;
  /** An upload receiving nothing for this long is dropped (ms). */
  idleMs: number;
  log: Logger;
  now: () => Date;
}

interface Params {
  a: string;
  b: string;
  transfer_id: string;
  filename: string;
}

const CORS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'content-type, range, authorization',
  'Access-Control-Expose-Headers': 'content-range, accept-ranges, content-length',
};

const TEXT = 'text/plain; charset=utf-8';

function refuse(reply: FastifyReply, status: number, body: string | Record<string, unknown>): FastifyReply {
  reply.code(status).header('Connection', 'close');
  return typeof body === 'string' ? reply.type(TEXT).send(body) : reply.type('application/json').send(body);
}

function parseLength(header: string | undefined): number | null | 'missing' {
  if (header === undefined) return 'missing';
  return /^\d{1,16}$/.test(header.trim()) ? Number(header.trim()) : null;
}

export async function fileTransferRoutes(app: FastifyInstance, deps: FileTransferRouteDeps): Promise<void> {
  const { log } = deps;
  // Uploads are raw bodies of any type: hand the stream through untouched (no buffering, no bodyLimit).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(CORS);
  });

  async function upload(request: FastifyRequest<{ Params: Params }>, reply: FastifyReply): Promise<FastifyReply> {
    const filename = secureFilename(request.params.filename);
    const transferId = secureFilename(request.params.transfer_id);
    if (!filename || !transferId) return refuse(reply, 403, 'Forbidden');
    const sender = canonicalAor(request.params.a);
    const receiver = canonicalAor(request.params.b);
    if (!sender?.includes('@') || !receiver?.includes('@')) return refuse(reply, 400, 'Invalid sender or receiver');
    const length = parseLength(request.headers['content-length']);
    if (length === 'missing') return refuse(reply, 411, 'Length Required');
    if (length === null) return refuse(reply, 400, 'Invalid Content-Length');
    if (length > deps.maxBytes) return refuse(reply, 413, { error: 'file too large', limit: deps.maxBytes, size: length });
    let allowed: boolean;
    let senderStored: boolean;
    let receiverStored: boolean;
    try {
      allowed = await mayUpload(deps.uploaders, sender, request.raw.socket.remoteAddress ?? '', request.headers.authorization);
      [senderStored, receiverStored] = allowed ? await Promise.all([deps.isStorageEnabled(sender), deps.isStorageEnabled(receiver)]) : [false, false];
    } catch (err) {
      log.error({ err, sender, receiver }, 'file upload: the journal store is unavailable');
      reply.header('Retry-After', '5');
      return refuse(reply, 503, 'Service Unavailable');
    }
    if (!allowed) {
      log.info({ sender, address: request.raw.socket.remoteAddress }, 'file upload refused: sender not authenticated');
      return refuse(reply, 403, 'Forbidden');
    }
    if (!senderStored && !receiverStored) return refuse(reply, 404, 'Not Found');
    const where = transferLocation(deps.root, sender, receiver, transferId, filename, !senderStored);
    const verdict = await deps.quota.reserve(where.owner, ownerDir(deps.root, where.owner), length);
    if (!verdict.ok) return refuse(reply, 413, { error: 'quota exceeded', quota: deps.quota.bytes, used: verdict.used, size: length });

    const raw = request.raw;
    const rawId = rawTransferId(raw.url ?? '') ?? transferId;
    deps.uploads.add(rawId, raw);
    const filetype = (request.headers['content-type'] ?? '').trim() || 'application/octet-stream';
    const onIdle = (): void => {
      log.info({ sender, receiver, transferId }, 'file upload idle: connection dropped');
      raw.socket.destroy();
    };
    try {
      let received;
      // No byte for `idleMs`: the client is gone or stuck; drop the connection (the upload then fails).
      raw.socket.setTimeout(deps.idleMs);
      raw.socket.on('timeout', onIdle);
      try {
        received = await receiveFile(raw, { root: deps.root, maxBytes: deps.maxBytes, expectedBytes: length, writer: deps.writer, ownsChunks: true });
        // The body is complete: no longer an upload in progress that a cancel could abort half-way.
        deps.uploads.forget(rawId, raw);
      } catch (err) {
        if (err instanceof TooLargeError) return refuse(reply, 413, { error: 'file too large', limit: deps.maxBytes });
        if (raw.socket.destroyed || err instanceof IncompleteError) {
          log.info({ sender, receiver, transferId, err: (err as Error).message }, 'file upload aborted: nothing kept');
          return refuse(reply, 400, 'Upload incomplete');
        }
        const code = (err as NodeJS.ErrnoException).code;
        log.error({ err, sender, receiver, transferId }, 'file upload could not be stored');
        if (code === 'ENOSPC' || code === 'EDQUOT') return refuse(reply, 507, 'Insufficient Storage');
        return refuse(reply, 500, 'Internal Server Error');
      }
      const now = deps.now();
      const descriptor = buildDescriptor({
        filename,
        size: received.size,
        sender,
        receiver,
        transferId,
        timestamp: formatTimestamp(now, 0),
        until: formatTimestamp(new Date(now.getTime() + deps.expireDays * 86_400_000), 0),
        url: `${deps.webBaseUrl()}${where.urlPath}`,
        filetype,
        hash: received.hash,
      });
      try {
        await commitFile(received, where.dir, where.file, where.meta, metadataJson(descriptor, where.prefix, where.dir));
        await deps.announce(descriptor);
      } catch (err) {
        log.error({ err, sender, receiver, transferId }, 'file upload not announced: file removed');
        await rm(received.tmpPath, { force: true });
        await rm(where.dir, { recursive: true, force: true });
        reply.header('Retry-After', '5');
        return refuse(reply, 503, 'Service Unavailable');
      }
      log.info({ sender, receiver, transferId, size: received.size, owner: where.owner }, 'file uploaded');
      return reply.type(TEXT).send('OK');
    } finally {
      raw.socket.setTimeout(0);
      raw.socket.off('timeout', onIdle);
      deps.uploads.forget(rawId, raw);
      deps.quota.release(where.owner, length);
    }
  }

  const url = `${ROUTE_PREFIX}/:a/:b/:transfer_id/:filename`;
  app.post<{ Params: Params }>(url, upload);
  app.get<{ Params: Params }>(url, (request, reply) => {
    const { a, b, transfer_id, filename } = request.params;
    const params: DownloadParams = { hs: a, hr: b, transfer_id, filename };
    return serveDownload(deps.root, params, request, reply);
  });
  app.options(url, async (_request, reply) => reply.type(TEXT).send('OK'));

  const cancel = async (request: FastifyRequest<{ Params: { transfer_id: string } }>, reply: FastifyReply): Promise<FastifyReply> => {
    const id = request.params.transfer_id;
    const cancelled = deps.uploads.cancel(id);
    if (cancelled) log.info({ transferId: id }, 'upload cancelled');
    return reply.type(TEXT).send(cancelled ? `Cancelled upload ${id}\n` : `No active upload with transfer_id ${id}\n`);
  };
  app.get<{ Params: { transfer_id: string } }>(`${ROUTE_PREFIX}/cancel/:transfer_id`, cancel);
  app.post<{ Params: { transfer_id: string } }>(`${ROUTE_PREFIX}/cancel/:transfer_id`, cancel);
}
