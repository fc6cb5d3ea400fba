/**
 * The descriptor of an uploaded file and its metadata file (`sip-messaging.md` §9.1 steps 3–4, §4.4):
 * the descriptor fields in the original's order (`messaging/file-transfer.ts` owns the type and its
 * JSON text), and `meta-<file>` beside the file — the descriptor plus the original's internal `prefix`
 * and `path`, so the directory stays readable by the original's tools (it is never served).
 */
import type { FileTransferDescriptor } from '../messaging/index.js';
import { pyJson } from '../messaging/json.js';
import type { TransferLocation } from './layout.js';

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

/** The `meta-<file>` JSON (`TransferredFile` of the original: descriptor + `prefix`, `path`). */
export function metadataJson(d: FileTransferDescriptor, where: TransferLocation): string {
  return pyJson({
    filename: d.filename,
    filesize: d.filesize,
    sender: d.sender,
    receiver: d.receiver,
    transfer_id: d.transfer_id,
    prefix: where.prefix,
    path: where.dir,
    timestamp: d.timestamp,
    until: d.until,
    url: d.url,
    filetype: d.filetype,
    hash: d.hash,
  });
}
