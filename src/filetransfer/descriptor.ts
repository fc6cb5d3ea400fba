/**
 * The descriptor of an uploaded file (`sip-messaging.md` §9.1 step 4, §4.4) from what the upload
 * route knows; the messaging layer owns the type, its JSON text and the `meta-<file>` JSON
 * (`messaging/file-transfer.ts`).
 */
import type { FileTransferDescriptor } from '../messaging/index.js';

export interface DescriptorParts {
  filename: string;
  size: number;
  sender: string;
  receiver: string;
  transferId: string;
  timestamp: string;
  until: string;
  url: string;
  filetype: string;
  hash: string;
}

export function buildDescriptor(p: DescriptorParts): FileTransferDescriptor {
  return {
    filename: p.filename,
    filesize: p.size,
    sender: { uri: p.sender, display_name: '' },
    receiver: { uri: p.receiver, display_name: '' },
    transfer_id: p.transferId,
    timestamp: p.timestamp,
    until: p.until,
    url: p.url,
    filetype: p.filetype,
    hash: p.hash,
  };
}
