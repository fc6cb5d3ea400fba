/**
 * Everything stored for one account, removed (`sylk-db remove <account> all`, `sylk-db account
 * remove`): journal, account record and API token, push tokens, public key, private-key message,
 * address book and registrar bindings; the lines printed are the original's (`sylk-db.md`).
 */
import type { JournalStore } from '../../journal/store.js';
import type { Output } from './io.js';

export async function removeAccountData(store: JournalStore, account: string, out: Output): Promise<void> {
  out.info(`Removed ${await store.removeJournal(account)} messages from ${account}`);
  await store.removeAccount(account);
  out.info(`Removed ${account} from accounts`);
  out.info(`Removed ${await store.removePushTokens(account)} push tokens from ${account}`);
  await store.removePublicKey(account);
  out.info(`Removed public Key from ${account}`);
  if (await store.removePrivateKeyMessage(account)) out.info(`Removed private key message from ${account}`);
  if (await store.addressBooks().remove(account.toLowerCase())) out.info(`Removed address book from ${account}`);
  const bindings = (await store.registrations?.removeBindings(account.toLowerCase())) ?? 0;
  if (bindings > 0) out.info(`Removed ${bindings} registrations of ${account}`);
}
