/**
 * The messages of an uploaded file (`sip-messaging.md` §9.1 step 5, §6.3.4–§6.3.6, §6.4 last rows):
 * the file-transfer descriptor (`application/sylk-file-transfer`, §4.4 field order), and what the
 * server sends once a file is stored:
 *
 * 1. the descriptor message, an `InboundMessage` from the `file-upload` source through the one
 *    dispatch — what the original's loop-back MESSAGE to itself (§6.3.5, `X-Sylk-From-Sip`) achieves:
 *    both journals (the sender's copy `outgoing`/`accepted`), the sender's other devices told
 *    (`sync`, server generated), the receiver's `message` events and push; the upload is answered
 *    only once the journal writes committed (a store failure rejects, the upload answers 503 and
 *    keeps no file);
 * 2. the RCS FT-HTTP document (GSMA RCC.07, `payload/ft-http.ts`) in CPIM to the receiver's SIP
 *    devices and, replicated (§6.3.6), to the sender's;
 * 3. unless the file name ends with `.asc` (PGP-encrypted), the plain-text notice
 *    `File transfer available at <url> (<size>)` the same two ways.
 *
 * Difference from the original: the CPIM From/To carry the `sip:` scheme (quirk 8; RFC 3862 wants a
 * URI there, receivers that fell back to the SIP From still find the same AOR).
 */
import { CONTENT_TYPES } from '../journal/types.js';
import { buildCpim } from '../payload/cpim.js';
import { formatTimestamp } from '../payload/datetime.js';
import { FTHTTP_CONTENT_TYPE, buildFtHttp } from '../payload/ft-http.js';
import type { MessagingContext } from './context.js';
import type { InboundMessage, SenderSide } from './inbound.js';
import { pyJson } from './json.js';

const DISPOSITION = ['positive-delivery', 'display'];

/** The descriptor of a transferred file (§4.4 / §9.1), in the original's field order. */
export interface FileTransferDescriptor {
  filename: string;
  filesize: number;
  sender: { uri: string; display_name: string };
  receiver: { uri: string; display_name: string };
  transfer_id: string;
  timestamp: string;
  until: string;
  url: string;
  filetype: string;
  /** `sha-1:XX:XX:…` (absent for descriptors made from a received FT-HTTP document). */
  hash?: string;
}

/** The descriptor as the JSON text of the journal entry (Python `json.dumps` formatting). */
export function descriptorJson(d: FileTransferDescriptor): string {
  return pyJson({
    filename: d.filename,
    filesize: d.filesize,
    sender: { uri: d.sender.uri, display_name: d.sender.display_name },
    receiver: { uri: d.receiver.uri, display_name: d.receiver.display_name },
    transfer_id: d.transfer_id,
    timestamp: d.timestamp,
    until: d.until,
    url: d.url,
    filetype: d.filetype,
    hash: d.hash,
  });
}

/**
 * The `meta-<file>` JSON stored beside an uploaded file: the descriptor plus the original's internal
 * `prefix` (first character of the owner's hash) and `path` (the transfer directory), in the order of
 * the original's `TransferredFile`, so the directory stays readable by its tools (never served).
 */
export function metadataJson(d: FileTransferDescriptor, prefix: string, path: string): string {
  return pyJson({
    filename: d.filename,
    filesize: d.filesize,
    sender: d.sender,
    receiver: d.receiver,
    transfer_id: d.transfer_id,
    prefix,
    path,
    timestamp: d.timestamp,
    until: d.until,
    url: d.url,
    filetype: d.filetype,
    hash: d.hash,
  });
}

/** The original's size text (binary units): `n bytes`, `%.2f KB` below 10 KiB, `%.1f KB`, … (§9.1). */
export function formatFileSize(size: number): string {
  const steps: Array<[number, number, number, string]> = [
    [1024, 1, 0, 'bytes'],
    [10 * 1024, 1024, 2, 'KB'],
    [1024 ** 2, 1024, 1, 'KB'],
    [10 * 1024 ** 2, 1024 ** 2, 2, 'MB'],
    [1024 ** 3, 1024 ** 2, 1, 'MB'],
    [10 * 1024 ** 3, 1024 ** 3, 2, 'GB'],
  ];
  for (const [below, unit, digits, name] of steps) {
    if (size < below) return unit === 1 ? `${size} bytes` : `${(size / unit).toFixed(digits)} ${name}`;
  }
  return `${(size / 1024 ** 3).toFixed(1)} GB`;
}

/** The plain-text notice for SIP devices, or null for an encrypted (`.asc`) file. */
export function fileNotice(d: FileTransferDescriptor): string | null {
  return d.filename.endsWith('.asc') ? null : `File transfer available at ${d.url} (${formatFileSize(d.filesize)})`;
}

/** CPIM of a server-built file-transfer notice (§9.1: Message-ID = transfer id, DateTime without fraction). */
function fileCpim(d: FileTransferDescriptor, contentType: string, content: string, now: Date): string {
  return buildCpim({
    from: { displayName: null, uri: `sip:${d.sender.uri}` },
    to: { displayName: null, uri: `sip:${d.receiver.uri}` },
    dateTime: formatTimestamp(now, 0, 0),
    messageId: d.transfer_id,
    dispositionNotification: DISPOSITION,
    contentType: `${contentType}; charset="utf-8"`,
    content,
  });
}

/** The sender's side of an upload: its `outgoing` copy (`accepted`) and its other devices told. */
const UPLOADER: SenderSide = { state: 'accepted', transaction: '1', serverGenerated: true, announce: 'when-stored', accountKnown: false };

/** The descriptor message as the one dispatch takes it (what the original's loop-back MESSAGE carried). */
export function fileTransferMessage(d: FileTransferDescriptor, now: Date): InboundMessage {
  const second = new Date(Math.floor(now.getTime() / 1000) * 1000);
  return {
    source: 'file-upload',
    from: d.sender.uri,
    sender: { uri: d.sender.uri, display_name: null },
    to: d.receiver.uri,
    contentType: CONTENT_TYPES.fileTransfer,
    content: descriptorJson(d),
    messageId: d.transfer_id,
    disposition: [...DISPOSITION],
    timestamp: formatTimestamp(second, 0, 0),
    timestampDate: second,
    senderSide: UPLOADER,
    receiverSide: true,
  };
}

/**
 * Store and announce an uploaded file (§9.1 step 5). Resolves once the journal entries committed;
 * rejects when they could not be stored. The SIP notices go out in the background.
 */
export async function announceFileTransfer(
  ctx: MessagingContext,
  dispatch: (msg: InboundMessage) => Promise<{ status: number; reason?: string }>,
  d: FileTransferDescriptor,
): Promise<void> {
  const now = ctx.now();
  const result = await dispatch(fileTransferMessage(d, now));
  if (result.status >= 300) throw new Error(`file-transfer message not stored: ${result.status} ${result.reason ?? ''}`.trim());
  const from = `<sip:${d.sender.uri}>`;
  const to = `<sip:${d.receiver.uri}>`;
  const xml = buildFtHttp({ size: d.filesize, name: d.filename, contentType: d.filetype, url: d.url, until: d.until, hash: d.hash ?? null });
  const cpim = fileCpim(d, FTHTTP_CONTENT_TYPE, xml, now);
  // Replicated first, as the original: the sender's own devices, then the receiver's.
  void ctx.outbound.notice({ uri: `sip:${d.sender.uri}`, from, to, contentType: 'message/cpim', body: cpim, replicated: true });
  void ctx.outbound.notice({ from, to, contentType: 'message/cpim', body: cpim });
  const text = fileNotice(d);
  if (text !== null) {
    void ctx.outbound.notice({ uri: `sip:${d.sender.uri}`, from, to, contentType: 'text/plain', body: text, replicated: true });
    void ctx.outbound.notice({ from, to, contentType: 'text/plain', body: text });
  }
}
