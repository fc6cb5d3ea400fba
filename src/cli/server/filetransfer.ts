/**
 * `[General]` `file_transfer_dir`, `filetransfer_max_size`, `filetransfer_quota`,
 * `filetransfer_expire_days` → `FileTransferOptions` (src/filetransfer), with what the file transfer
 * takes from the other parts: the descriptor messages from the messaging layer, the uploader check
 * from the WebSocket layer's registry and the journal's API tokens, the storage-enabled check.
 */
import type { Config } from '../../config/index.js';
import type { FileTransferOptions } from '../../filetransfer/index.js';
import type { JournalStore } from '../../journal/store.js';
import type { Messaging } from '../../messaging/index.js';
import type { ConnectionRegistry } from '../../sylkrtc/registry.js';
import { canonicalAddress } from '../../filetransfer/auth.js';
import type { Logger } from '../../util/logger.js';

export interface FileTransferParts {
  messaging: Messaging;
  store: JournalStore;
  registry: ConnectionRegistry;
  webBaseUrl: () => string;
  log: Logger;
}

export function fileTransferOptionsFromConfig(config: Config, p: FileTransferParts): FileTransferOptions {
  const g = config.General;
  return {
    root: g.file_transfer_dir,
    maxBytes: g.filetransfer_max_size,
    quotaBytes: g.filetransfer_quota,
    expireDays: g.filetransfer_expire_days,
    webBaseUrl: p.webBaseUrl,
    uploaders: {
      authenticatedFrom: (account, address) => p.registry.addressesOf(account).some((a) => canonicalAddress(a) === address),
      apiToken: async (account) => (await p.store.getApiToken(account))?.token ?? null,
    },
    isStorageEnabled: (aor) => p.messaging.context.accounts.check(p.store, aor),
    announce: (d) => p.messaging.announceFileTransfer(d),
    log: p.log,
  };
}
