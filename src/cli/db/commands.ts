/**
 * The `sylk-db` commands (`sylk-db.md` §3–§9) on any engine, through the `JournalStore` interface,
 * plus `export`, `import` and `migrate` (`transfer.ts`). The original's four bugs (§10.2) are fixed:
 * `remove messages` works, push tokens print their stored token, public keys can be removed on every
 * engine, and `Metadata` counts `application/sylk-message-metadata` entries.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { JournalStore } from '../../journal/store.js';
import { isUnread } from '../../journal/types.js';
import { describeStore, openStore, type StoreSpec } from '../../storage/index.js';
import { runAccountCommand, type AccountCommandOptions } from './account.js';
import type { Command } from './args.js';
import { removeAccountData } from './remove-data.js';
import { CliExit, confirm, Output, pickNumber, type CliIo } from './io.js';
import { accountRecords, emptyStats, localAccountRecord, parseRecord, RecordApplier, type ApplyStats } from './transfer.js';

export interface CommandContext {
  io: CliIo;
  out: Output;
  yes: boolean;
  spec: StoreSpec;
  /** Opens the source store (once). */
  store(): Promise<JournalStore>;
  /** For `account` (from the configuration). */
  accounts: AccountCommandOptions;
}

/** Has the account any data at all? (Unknown accounts are an error for destructive commands.) */
async function accountExists(store: JournalStore, aor: string): Promise<boolean> {
  if (await store.getAccount(aor)) return true;
  if ((await store.countEntries(aor)) > 0) return true;
  if (await store.getPublicKey(aor)) return true;
  if (await store.getPrivateKeyMessage(aor)) return true;
  return (await store.listPushTokens(aor)).length > 0;
}

async function requireAccount(store: JournalStore, aor: string): Promise<void> {
  if (!(await accountExists(store, aor))) throw new CliExit(1, `unknown account ${aor}: no data stored for it`);
}

async function warnAndConfirm(ctx: CommandContext, banner: string, warning: string): Promise<boolean> {
  ctx.out.banner(banner);
  ctx.out.warn(warning);
  return confirm(ctx.io, 'Would you like to continue?', ctx.yes);
}

const short = (token: string): string => token.slice(0, 20);

export async function runCommand(cmd: Exclude<Command, { name: 'help' } | { name: 'version' } | { name: 'dbinit' }>, ctx: CommandContext): Promise<number> {
  switch (cmd.name) {
    case 'remove':
      return remove(cmd, ctx);
    case 'show':
      return show(cmd.account, ctx);
    case 'export':
      return exportAccount(cmd.account, cmd.output, ctx);
    case 'import':
      return importRecords(cmd.input, ctx);
    case 'migrate':
      return migrate(cmd, ctx);
    case 'account':
      return runAccountCommand(cmd, { io: ctx.io, out: ctx.out, yes: ctx.yes, store: ctx.store, options: ctx.accounts });
  }
}

async function remove(cmd: Extract<Command, { name: 'remove' }>, ctx: CommandContext): Promise<number> {
  const { account, out } = { account: cmd.account, out: ctx.out };
  const store = await ctx.store();
  await requireAccount(store, account);
  switch (cmd.what) {
    case 'all': {
      if (!(await warnAndConfirm(ctx, 'SylkServer - Remove account', `ALL data of ${account} will be destroyed`))) return 0;
      await removeAccountData(store, account, out);
      return 0;
    }
    case 'messages': {
      const what = cmd.contact ? `messages between ${account} and ${cmd.contact}` : `all messages of ${account}`;
      if (!(await warnAndConfirm(ctx, 'SylkServer - Remove messages', `${what} will be destroyed`))) return 0;
      if (cmd.contact) {
        const n = await store.removeConversation(account, cmd.contact);
        out.info(`Messages from ${cmd.contact} for ${account} removed (${n})`);
      } else {
        out.info(`Removed ${await store.removeJournal(account)} messages from ${account}`);
      }
      return 0;
    }
    case 'api_token': {
      if (!(await warnAndConfirm(ctx, 'SylkServer - Remove api_token', `the API token of ${account} will be destroyed`))) return 0;
      await store.removeApiToken(account);
      out.info(`Api token for ${account} removed`);
      return 0;
    }
    case 'public_key': {
      if (!(await warnAndConfirm(ctx, 'SylkServer - Remove public_key', `the public key of ${account} will be destroyed`))) return 0;
      const had = await store.removePublicKey(account);
      out.info(had ? `Removed public Key from ${account}` : `No public key stored for ${account}`);
      return 0;
    }
    case 'push_token': {
      if (!(await warnAndConfirm(ctx, 'SylkServer - Remove push_token', `push tokens of ${account} will be destroyed`))) return 0;
      const tokens = await store.listPushTokens(account);
      out.info(`${tokens.length} push token(s) stored`);
      if (tokens.length === 0) return 0;
      let chosen: typeof tokens;
      if (tokens.length === 1) chosen = tokens;
      else {
        tokens.forEach((t, i) => {
          out.plain(`[${i}]: App: ${t.appId}`);
          out.plain(`     Device ID: ${t.deviceId}`);
          out.plain(`     Token: ${t.token}`);
        });
        const pick = ctx.yes ? 'all' : await pickNumber(ctx.io, 'Pick a token to delete', tokens.length - 1);
        chosen = pick === 'all' ? tokens : [tokens[pick]!];
      }
      for (const t of chosen) {
        await store.removePushToken(account, t.appId, t.deviceId);
        out.info(`Removed token ${short(t.token)} from ${account}`);
      }
      return 0;
    }
  }
}

async function show(account: string, ctx: CommandContext): Promise<number> {
  const { out } = ctx;
  const store = await ctx.store();
  out.banner('SylkServer - Show account data');
  out.rule();
  out.centered(account);
  out.rule();
  const rec = await store.getAccount(account);
  if (!rec) out.info('Message storage is not enabled');
  else {
    out.info('Message storage is enabled');
    const token = await store.getApiToken(account);
    if (token) {
      out.info(`API token for replication: ${token.token}`);
      out.info(`TTL: ${Math.max(0, Math.round((token.expiresAt.getTime() - Date.now()) / 1000))} (expires ${token.expiresAt.toISOString()})`);
    }
    out.info(`Last login at: ${rec.lastLogin ? rec.lastLogin.toISOString() : 'never'}`);
  }
  // Counted for every account (also without a record): journals can exist without one.
  const counts = { total: 0, text: 0, imdn: 0, ft: 0, metadata: 0, other: 0, unread: 0 };
  let cursor: string | null = null;
  for (;;) {
    const page = await store.query(account, { afterId: cursor, limit: 1000 });
    if (page.entries.length === 0 || (cursor !== null && page.basis !== 'cursor')) break;
    for (const e of page.entries) {
      counts.total++;
      const t = e.contentType;
      if (t.startsWith('text')) counts.text++;
      else if (t.startsWith('message/imdn')) counts.imdn++;
      else if (t.startsWith('application/sylk-file-transfer')) counts.ft++;
      else if (t === 'application/sylk-message-metadata') counts.metadata++;
      else counts.other++;
      if (isUnread(e) && e.contentType !== 'application/sylk-file-transfer') counts.unread++;
    }
    cursor = page.entries[page.entries.length - 1]!.messageId;
  }
  out.info(`${counts.total} messages stored`);
  out.info(`Text Messages: ${counts.text}`);
  out.info(`IMDN messages: ${counts.imdn}`);
  out.info(`Filetransfers: ${counts.ft}`);
  out.info(`Metadata: ${counts.metadata}`);
  out.info(`Other Messages: ${counts.other}`);
  out.info(`Unread text Messages: ${counts.unread}`);
  const tokens = await store.listPushTokens(account);
  out.info(`${tokens.length} push token(s) stored`);
  for (const t of tokens) {
    out.plain(`    App: ${t.appId}`);
    out.plain(`    Device ID: ${t.deviceId}`);
    out.plain(`    Platform: ${t.platform}${t.silent ? ' (silent)' : ''}`);
    out.plain(`    Token: ${short(t.token)} ...`);
    if (t.backgroundToken) out.plain(`    Background token: ${short(t.backgroundToken)} ...`);
  }
  const key = await store.getPublicKey(account);
  out.info(`${key ? 1 : 0} public key(s) stored`);
  if (key) out.plain(key.key);
  return 0;
}

async function exportAccount(account: string, output: string | null, ctx: CommandContext): Promise<number> {
  const store = await ctx.store();
  await requireAccount(store, account);
  const chunks: string[] = [];
  let lines = 0;
  let entries = 0;
  const sink = output === null || output === '-' ? (s: string) => ctx.io.write(s) : null;
  if (output && output !== '-') writeFileSync(output, '');
  for await (const rec of accountRecords(store, account)) {
    chunks.push(`${JSON.stringify(rec)}\n`);
    lines++;
    if (rec.type === 'entry') entries++;
    if (chunks.length >= 1000) await flushChunks();
  }
  await flushChunks();
  ctx.out.progress(`exported ${account}: ${entries} entries, ${lines} lines`);
  return 0;

  async function flushChunks(): Promise<void> {
    if (chunks.length === 0) return;
    const data = chunks.join('');
    chunks.length = 0;
    if (sink) await sink(data);
    else {
      const { appendFileSync } = await import('node:fs');
      appendFileSync(output!, data);
    }
  }
}

function statsLine(s: ApplyStats): string {
  return `${s.entries} entries added, ${s.duplicates} already present, ${s.accounts} accounts, ${s.apiTokens} API tokens, ${s.publicKeys} public keys, ${s.privateKeys} private keys, ${s.pushTokens} push tokens, ${s.localAccounts} local accounts`;
}

async function importRecords(input: string, ctx: CommandContext): Promise<number> {
  if (input !== '-' && !existsSync(input)) throw new CliExit(1, `${input}: no such file`);
  const store = await ctx.store();
  const applier = new RecordApplier(store);
  let lineNo = 0;
  for await (const line of ctx.io.readLines(input)) {
    lineNo++;
    if (line.trim() === '') continue;
    let rec;
    try {
      rec = parseRecord(line, lineNo);
    } catch (err) {
      await applier.flush();
      throw new CliExit(1, `${input === '-' ? 'stdin' : input}: ${(err as Error).message}; ${statsLine(applier.stats)} before it`);
    }
    await applier.apply(rec);
  }
  await applier.flush();
  ctx.out.info(`Imported into ${describeStore(ctx.spec)}: ${statsLine(applier.stats)}`);
  return 0;
}

interface MigrateState {
  version: 1;
  to: string;
  /** Every account ≤ this one (code unit order) is done. */
  doneThrough: string | null;
  /** The account in progress and the last entry id copied. */
  current: { aor: string; afterId: string | null } | null;
  stats: ApplyStats;
}

async function migrate(cmd: Extract<Command, { name: 'migrate' }>, ctx: CommandContext): Promise<number> {
  const { parseStoreUrl } = await import('../../storage/index.js');
  let targetSpec: StoreSpec;
  try {
    targetSpec = parseStoreUrl(cmd.to);
  } catch (err) {
    throw new CliExit(2, (err as Error).message);
  }
  const toName = describeStore(targetSpec);
  if (toName === describeStore(ctx.spec)) throw new CliExit(2, `migrate: source and target are the same store (${toName})`);
  let state: MigrateState = { version: 1, to: toName, doneThrough: null, current: null, stats: emptyStats() };
  if (!cmd.restart && existsSync(cmd.state)) {
    const saved = JSON.parse(readFileSync(cmd.state, 'utf8')) as MigrateState;
    if (saved.to !== toName) throw new CliExit(1, `${cmd.state} belongs to a migration to ${saved.to}; use --state or --restart`);
    state = { ...saved, stats: { ...emptyStats(), ...saved.stats } };
    ctx.out.progress(`resuming after ${state.current ? `${state.current.aor} entry ${state.current.afterId}` : state.doneThrough}`);
  }
  const save = (): void => {
    writeFileSync(`${cmd.state}.tmp`, JSON.stringify(state));
    renameSync(`${cmd.state}.tmp`, cmd.state);
  };
  ctx.out.banner('SylkServer - Migrate storage');
  ctx.out.info(`From ${describeStore(ctx.spec)} to ${toName}`);
  if (!(await confirm(ctx.io, 'Would you like to continue?', ctx.yes))) return 0;
  const source = await ctx.store();
  let target: JournalStore;
  try {
    target = await openStore(targetSpec, { retentionDays: 0 });
  } catch (err) {
    throw new CliExit(1, `cannot open ${toName}: ${(err as Error).message}`);
  }
  try {
    let accounts = 0;
    const started = Date.now();
    const copyAccount = async (aor: string, afterId: string | null): Promise<void> => {
      state.current = { aor, afterId };
      const applier = new RecordApplier(target, (last) => {
        state.current = { aor, afterId: last.messageId };
        save();
      });
      for await (const rec of accountRecords(source, aor, { afterId, header: false })) await applier.apply(rec);
      await applier.flush();
      for (const k of Object.keys(applier.stats) as (keyof ApplyStats)[]) state.stats[k] += applier.stats[k];
      state.current = null;
      state.doneThrough = aor;
      save();
      accounts++;
      ctx.out.progress(
        `migrate: ${aor} done (${applier.stats.entries} entries, ${applier.stats.duplicates} already present); ` +
          `${accounts} accounts, ${state.stats.entries} entries in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    };
    let after = state.doneThrough;
    if (state.current) {
      await copyAccount(state.current.aor, state.current.afterId);
      after = state.doneThrough;
    }
    for (;;) {
      const page = await source.listAccounts(after, 500);
      for (const aor of page.aors) await copyAccount(aor, null);
      if (page.next === null) break;
      after = page.next;
    }
    // Local accounts without any other data are not enumerated above: copy every one (idempotent).
    const locals = new RecordApplier(target);
    for (const a of await source.localAccounts.listAccounts()) await locals.apply(localAccountRecord(a));
    state.stats.localAccounts += locals.stats.localAccounts;
    ctx.out.info(`Migrated to ${toName}: ${statsLine(state.stats)}`);
    const { rmSync } = await import('node:fs');
    rmSync(cmd.state, { force: true });
    return 0;
  } finally {
    await target.close();
  }
}
