/**
 * HTTP file transfer (`http-api.md` §3–§5, `sip-messaging.md` §9.1–§9.2, issue 13): the routes of
 * upload, download and cancel on the web server, the quota, and the hourly housekeeping — what
 * `sylk-server` builds once from its options (the composition root turns `[General]`
 * `file_transfer_dir`, `filetransfer_max_size`, `filetransfer_quota`, `filetransfer_expire_days` into
 * them). The descriptor messages go through the messaging layer (`announce`), the uploader check asks
 * the WebSocket layer's registry and the journal's API tokens (`auth.ts`).
 *
 * Several instances may share `file_transfer_dir` (e.g. NFS): the layout, the temporary files and the
 * ETags depend only on the directory, so an upload to one instance downloads from any; only the cancel
 * route is per instance (it reaches the instance holding the upload).
 */
import type { FastifyInstance } from 'fastify';
import type { FileTransferDescriptor } from '../messaging/index.js';
import type { Logger } from '../util/logger.js';
import type { UploaderDirectory } from './auth.js';
import { startHousekeeping } from './housekeeping.js';
import { Quota } from './quota.js';
import { fileTransferRoutes } from './routes.js';
import { ActiveUploads } from './uploads.js';
import { UploadWriter } from './writer.js';

export { ROUTE_PREFIX } from './layout.js';
export type { UploaderDirectory } from './auth.js';

export interface FileTransferOptions {
  /** `[General] file_transfer_dir`. */
  root: string;
  /** `[General] filetransfer_max_size` (bytes). */
  maxBytes: number;
  /** `[General] filetransfer_quota` (bytes of live files per account; 0 = none). */
  quotaBytes: number;
  /** `[General] filetransfer_expire_days`. */
  expireDays: number;
  /** `<scheme>://<host>:<port>` of the web server (`http-api.md` §1), read when a file is stored. */
  webBaseUrl: () => string;
  uploaders: UploaderDirectory;
  isStorageEnabled: (aor: string) => Promise<boolean>;
  announce: (descriptor: FileTransferDescriptor) => Promise<void>;
  log: Logger;
  now?: () => Date;
  /** An upload receiving no byte for this long is dropped (default 60 s). */
  uploadIdleMs?: number;
  /** Housekeeping period (default 1 h); it also runs once at start. */
  housekeepingIntervalMs?: number;
}

export interface FileTransfer {
  /** Add the routes to the web application (before it listens). */
  register(app: FastifyInstance): Promise<void>;
  /** Start the housekeeping (at once, then periodically). */
  start(): void;
  /** Abort uploads in progress, stop the housekeeping and the writing thread. */
  stop(): Promise<void>;
  /** Uploads in progress (metrics, tests). */
  readonly activeUploads: number;
}

export function createFileTransfer(o: FileTransferOptions): FileTransfer {
  const uploads = new ActiveUploads();
  const quota = new Quota(o.quotaBytes);
  const writer = new UploadWriter();
  let housekeeping: { stop(): Promise<void> } | null = null;
  return {
    async register(app) {
      await app.register(async (scope) =>
        fileTransferRoutes(scope, {
          root: o.root,
          maxBytes: o.maxBytes,
          quota,
          expireDays: o.expireDays,
          webBaseUrl: o.webBaseUrl,
          uploaders: o.uploaders,
          isStorageEnabled: o.isStorageEnabled,
          announce: o.announce,
          uploads,
          writer,
          idleMs: o.uploadIdleMs ?? 60_000,
          log: o.log,
          now: o.now ?? (() => new Date()),
        }),
      );
    },
    start() {
      housekeeping ??= startHousekeeping(o.root, o.expireDays, o.log, o.housekeepingIntervalMs);
    },
    async stop() {
      uploads.abortAll();
      await housekeeping?.stop();
      housekeeping = null;
      await writer.close();
    },
    get activeUploads() {
      return uploads.size;
    },
  };
}
