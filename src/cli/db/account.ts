/**
 * `sylk-db account add|passwd|list|disable|enable|remove` (`standalone.md` §2): the local accounts
 * of standalone mode, through `store.localAccounts` on any engine. The rules for names and passwords are
 * `accounts/manage.ts`'s (the same as sign-up). Passwords come from the first line of standard input
 * (`--password-stdin`) or are asked twice, hidden, on a terminal; never from the command line.
 * `remove` deletes the account and everything stored for it: journal, account record and API token,
 * push tokens, public key, private-key message and uploaded files.
 */
import { parseAccountAor } from '../../util/aor.js';
import { changePassword, createAccount, type AccountResult, type ServedDomains } from '../../accounts/manage.js';
import type { LocalAccount } from '../../accounts/types.js';
import type { JournalStore } from '../../journal/store.js';
import { removeAccountFiles } from '../../messaging/files.js';
import type { AccountCommand } from './args.js';
import { CliExit, confirm, type CliIo, type Output } from './io.js';
import { removeAccountData } from './remove-data.js';

/** What the account commands take from the configuration (turned into options by `main.ts`). */
export interface AccountCommandOptions {
  /** `[General] sip_domains`, lower-cased, or `*`. */
  domains: ServedDomains;
  /** `[General] file_transfer_dir`: where `remove` deletes the account's files. */
  fileTransferDir: string | null;
}

export interface AccountCommandContext {
  io: CliIo;
  out: Output;
  yes: boolean;
  store(): Promise<JournalStore>;
  options: AccountCommandOptions;
}

async function readPassword(io: CliIo, fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    for await (const line of io.readLines('-')) return line.replace(/\r$/, '');
    throw new CliExit(1, 'no password on standard input');
  }
  if (!io.askSecret) throw new CliExit(2, 'standard input is not a terminal: give the password with --password-stdin');
  const first = await io.askSecret('Password: ');
  if (first === null) throw new CliExit(1, 'interrupted');
  const second = await io.askSecret('Password (again): ');
  if (second === null) throw new CliExit(1, 'interrupted');
  if (first !== second) throw new CliExit(1, 'the passwords do not match');
  return first;
}

function check(result: AccountResult): LocalAccount['aor'] {
  if (!result.ok) throw new CliExit(1, result.message);
  return result.account.aor;
}

function aorOf(input: string): string {
  const a = parseAccountAor(input);
  if (!a) throw new CliExit(1, `invalid account ${JSON.stringify(input)}: expected user@domain`);
  return a.aor;
}

export async function runAccountCommand(cmd: AccountCommand, ctx: AccountCommandContext): Promise<number> {
  const { out } = ctx;
  switch (cmd.action) {
    case 'add': {
      const password = await readPassword(ctx.io, cmd.passwordStdin);
      const store = await ctx.store();
      const aor = check(await createAccount(store.localAccounts, { aor: cmd.account, password, displayName: cmd.displayName }, ctx.options.domains));
      out.info(`Account ${aor} added`);
      return 0;
    }
    case 'passwd': {
      const aor = aorOf(cmd.account);
      const store = await ctx.store();
      if (!(await store.localAccounts.getAccount(aor))) throw new CliExit(1, `no account ${aor}`);
      const password = await readPassword(ctx.io, cmd.passwordStdin);
      check(await changePassword(store.localAccounts, aor, password));
      out.info(`Password of ${aor} changed`);
      return 0;
    }
    case 'list': {
      const store = await ctx.store();
      const accounts = await store.localAccounts.listAccounts(cmd.domain !== null ? { domain: cmd.domain } : {});
      if (cmd.json) {
        const rows = accounts.map((a) => ({ aor: a.aor, display_name: a.displayName, created_at: a.createdAt.toISOString(), disabled: a.disabled }));
        await ctx.io.write(`${JSON.stringify(rows, null, 2)}\n`);
        return 0;
      }
      for (const a of accounts) {
        out.plain(`${a.aor}${a.disabled ? ' (disabled)' : ''}${a.displayName ? ` "${a.displayName}"` : ''}  created ${a.createdAt.toISOString()}`);
      }
      out.info(`${accounts.length} account${accounts.length === 1 ? '' : 's'}`);
      return 0;
    }
    case 'disable':
    case 'enable': {
      const aor = aorOf(cmd.account);
      const store = await ctx.store();
      if (!(await store.localAccounts.setDisabled(aor, cmd.action === 'disable'))) throw new CliExit(1, `no account ${aor}`);
      out.info(`Account ${aor} ${cmd.action}d`);
      return 0;
    }
    case 'remove': {
      const aor = aorOf(cmd.account);
      const store = await ctx.store();
      if (!(await store.localAccounts.getAccount(aor))) throw new CliExit(1, `no account ${aor}`);
      out.banner('SylkServer - Remove account');
      out.warn(`the account ${aor} and ALL its data (messages, keys, tokens, files) will be destroyed`);
      if (!(await confirm(ctx.io, 'Would you like to continue?', ctx.yes))) return 0;
      // Credentials first: from here on the account can no longer log in.
      await store.localAccounts.removeAccount(aor);
      await removeAccountData(store, aor, out);
      if (ctx.options.fileTransferDir) await removeAccountFiles(ctx.options.fileTransferDir, aor);
      out.info(`Account ${aor} removed`);
      return 0;
    }
  }
}
