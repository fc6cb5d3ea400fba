/**
 * Where a transferred file lives and how its URL reads (`sip-messaging.md` §9.1 steps 1 and 4,
 * `http-api.md` §4): `<file_transfer_dir>/<p>/<hO>/<hC>/<transfer id>/<file>` with `hX` the URL-safe
 * base64 (no padding) of MD5(X), `O` the layout owner — the sender, or the receiver when only the
 * receiver is storage-enabled — `C` the other party and `p` the first character of `hO`; the URL is
 * `<web base URL>/webrtcgateway/filetransfer/<hO>/<hC>/<transfer id>/<file>`. The hashing and the
 * directory of one transfer are `messaging/files.ts`'s (which deletes them with their message);
 * temporary files of uploads in progress live in `<file_transfer_dir>/.incoming` (same filesystem, so
 * the finished file is renamed into place atomically, also on a filesystem shared by instances).
 */
import { join } from 'node:path';
import { aorHash, transferDir } from '../messaging/index.js';

export const ROUTE_PREFIX = '/webrtcgateway/filetransfer';
export const INCOMING_DIR = '.incoming';
export const META_PREFIX = 'meta-';

export interface TransferLocation {
  /** The account whose directory holds the file (quota is counted there). */
  owner: string;
  /** First character of the owner's hash. */
  prefix: string;
  /** Directory of the transfer. */
  dir: string;
  /** The file itself. */
  file: string;
  /** The metadata file beside it. */
  meta: string;
  /** URL path (percent-encoded) of the download route. */
  urlPath: string;
}

/**
 * The location of `filename` of transfer `transferId` (both already secure names) from `sender` to
 * `receiver`; `receiverLayout` when the sender is not storage-enabled (§9.1 step 1).
 */
export function transferLocation(
  root: string,
  sender: string,
  receiver: string,
  transferId: string,
  filename: string,
  receiverLayout: boolean,
): TransferLocation {
  const [owner, other] = receiverLayout ? [receiver, sender] : [sender, receiver];
  const dir = transferDir(root, owner, other, transferId);
  if (dir === null) throw new Error(`not a safe transfer id: ${transferId}`);
  const ho = aorHash(owner);
  const segments = [ho, aorHash(other), transferId, filename].map(encodeURIComponent);
  return {
    owner,
    prefix: ho[0]!,
    dir,
    file: join(dir, filename),
    meta: join(dir, `${META_PREFIX}${filename}`),
    urlPath: `${ROUTE_PREFIX}/${segments.join('/')}`,
  };
}

/** The directory holding every transfer of `owner`'s layout (what the quota counts). */
export function ownerDir(root: string, owner: string): string {
  const h = aorHash(owner);
  return join(root, h[0]!, h);
}
