/**
 * Where uploaded files of a file-transfer entry live, and their removal when the entry is removed
 * (`sip-messaging.md` §9.1–§9.2, `journal-storage.md` §3.3):
 * `<file_transfer_dir>/<first char of hA>/<hA>/<hC>/<transfer id>` with `hX` = URL-safe base64 (no
 * padding) of MD5(X). The upload route (file transfer area) writes there; the messaging layer only
 * deletes. Removing a whole conversation does not delete files (§9.2).
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

/** URL-safe base64 of MD5(aor), no padding. */
export function aorHash(aor: string): string {
  return createHash('md5').update(aor, 'utf8').digest('base64url');
}

/** The directory of one transfer in `account`'s layout. Null when the id is not a safe path segment. */
export function transferDir(root: string, account: string, contact: string, transferId: string): string | null {
  if (transferId === '' || transferId === '.' || transferId === '..' || /[/\\\0]/.test(transferId)) return null;
  const ha = aorHash(account);
  return join(root, ha[0]!, ha, aorHash(contact), transferId);
}

/** Delete the directory of a removed `application/sylk-file-transfer` entry (missing is fine). */
export async function removeTransferFiles(root: string, account: string, contact: string, transferId: string): Promise<void> {
  const dir = transferDir(root, account, contact, transferId);
  if (dir) await rm(dir, { recursive: true, force: true });
}

/** Delete every uploaded file in `account`'s layout (`sylk-db account remove`); missing is fine. */
export async function removeAccountFiles(root: string, account: string): Promise<void> {
  const ha = aorHash(account);
  await rm(join(root, ha[0]!, ha), { recursive: true, force: true });
}
