/**
 * Moving account data between stores, for `sylk-db export`, `import` and `migrate`: the JSON-lines
 * export format (one record a line, validated with zod on import), a generator of an account's
 * records read through the `JournalStore` interface (so it works on every engine), and an applier
 * that writes records to a store in batches (entries with their original `created_at`).
 *
 * Format (version 1), snake_case like the spec's field names, times ISO 8601 UTC:
 *   {"type":"header","format":"sylk-db-export","version":1,"account":…,"exported_at":…}
 *   {"type":"account","aor":…,"last_login":…|null}
 *   {"type":"api_token","aor":…,"token":…,"expires_at":…}
 *   {"type":"public_key","aor":…,"key":…,"created_at":…}
 *   {"type":"private_key","account":…,"message_id":…,"contact":…,"direction":…,"content":…,"msg_timestamp":…,"created_at":…}
 *   {"type":"push_token","account":…,"app_id":…,"device_id":…,"platform":…,"token":…,"background_token":…|null,"silent":bool,"user_agent":…|null}
 *   {"type":"local_account","aor":…,"ha1_md5":…,"ha1_sha256":…,"display_name":…|null,"created_at":…,"disabled":bool}
 *   {"type":"entry","account":…,"contact":…,"direction":…,"content_type":…,"content":…,"created_at":…,"message_id":…,"disposition":[…]|null,"state":…|null,"msg_timestamp":…}
 * `local_account` (standalone mode's credentials, `standalone.md` §2) is created on import only when
 * the target has no such account (a password changed there is kept).
 * Not exported: ids of removed entries (they only matter as cursors of the source store).
 */
import { z } from 'zod';
import type { LocalAccount } from '../../accounts/types.js';
import type { JournalStore } from '../../journal/store.js';
import { MESSAGE_STATES, type NewJournalEntry } from '../../journal/types.js';

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'invalid date-time');
const direction = z.enum(['incoming', 'outgoing', '']);

export const RecordSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('header'), format: z.literal('sylk-db-export'), version: z.literal(1), account: z.string(), exported_at: iso }),
  z.object({ type: z.literal('account'), aor: z.string().min(1), last_login: iso.nullable() }),
  z.object({
    type: z.literal('local_account'),
    aor: z.string().min(1),
    ha1_md5: z.string().regex(/^[0-9a-f]{32}$/),
    ha1_sha256: z.string().regex(/^[0-9a-f]{64}$/),
    display_name: z.string().nullable(),
    created_at: iso,
    disabled: z.boolean(),
  }),
  z.object({ type: z.literal('api_token'), aor: z.string().min(1), token: z.string().min(1), expires_at: iso }),
  z.object({ type: z.literal('public_key'), aor: z.string().min(1), key: z.string(), created_at: iso }),
  z.object({
    type: z.literal('private_key'),
    account: z.string().min(1),
    message_id: z.string().min(1),
    contact: z.string(),
    direction,
    content: z.string(),
    msg_timestamp: iso,
    created_at: iso,
  }),
  z.object({
    type: z.literal('push_token'),
    account: z.string().min(1),
    app_id: z.string(),
    device_id: z.string(),
    platform: z.string(),
    token: z.string(),
    background_token: z.string().nullable(),
    silent: z.boolean(),
    user_agent: z.string().nullable(),
  }),
  z.object({
    type: z.literal('entry'),
    account: z.string().min(1),
    contact: z.string(),
    direction,
    content_type: z.string(),
    content: z.string(),
    created_at: iso,
    message_id: z.string().min(1),
    disposition: z.array(z.string()).nullable(),
    state: z.enum(MESSAGE_STATES).nullable(),
    msg_timestamp: iso,
  }),
]);

export type ExportRecord = z.infer<typeof RecordSchema>;

const PAGE = 1000;

/**
 * The records of one account, in export order. With `afterId`, only the entries after that id are
 * produced (resuming a migration); the other records are always produced (they are upserts).
 */
export async function* accountRecords(
  store: JournalStore,
  aor: string,
  options: { afterId?: string | null; header?: boolean } = {},
): AsyncGenerator<ExportRecord> {
  if (options.header !== false) {
    yield { type: 'header', format: 'sylk-db-export', version: 1, account: aor, exported_at: new Date().toISOString() };
  }
  const account = await store.getAccount(aor);
  if (account) yield { type: 'account', aor, last_login: account.lastLogin?.toISOString() ?? null };
  const local = await store.localAccounts.getAccount(aor);
  if (local) yield localAccountRecord(local);
  const token = await store.getApiToken(aor);
  if (token) yield { type: 'api_token', aor, token: token.token, expires_at: token.expiresAt.toISOString() };
  const key = await store.getPublicKey(aor);
  if (key) yield { type: 'public_key', aor, key: key.key, created_at: key.createdAt.toISOString() };
  const pk = await store.getPrivateKeyMessage(aor);
  if (pk) {
    yield {
      type: 'private_key',
      account: aor,
      message_id: pk.messageId,
      contact: pk.contact,
      direction: pk.direction,
      content: pk.content,
      msg_timestamp: pk.msgTimestamp.toISOString(),
      created_at: pk.createdAt.toISOString(),
    };
  }
  for (const t of await store.listPushTokens(aor)) {
    yield {
      type: 'push_token',
      account: aor,
      app_id: t.appId,
      device_id: t.deviceId,
      platform: t.platform,
      token: t.token,
      background_token: t.backgroundToken,
      silent: t.silent,
      user_agent: t.userAgent,
    };
  }
  let cursor = options.afterId ?? null;
  for (;;) {
    const page = await store.query(aor, { afterId: cursor, limit: PAGE });
    if (cursor !== null && page.basis !== 'cursor') {
      throw new Error(`${aor}: the journal position ${cursor} is no longer known to the store (expired?)`);
    }
    if (page.entries.length === 0) return;
    for (const e of page.entries) {
      yield {
        type: 'entry',
        account: e.account,
        contact: e.contact,
        direction: e.direction,
        content_type: e.contentType,
        content: e.content,
        created_at: e.createdAt.toISOString(),
        message_id: e.messageId,
        disposition: e.disposition,
        state: e.state,
        msg_timestamp: e.msgTimestamp.toISOString(),
      };
    }
    cursor = page.entries[page.entries.length - 1]!.messageId;
  }
}

/** The export record of a local account. */
export function localAccountRecord(a: LocalAccount): ExportRecord {
  return {
    type: 'local_account',
    aor: a.aor,
    ha1_md5: a.ha1Md5,
    ha1_sha256: a.ha1Sha256,
    display_name: a.displayName,
    created_at: a.createdAt.toISOString(),
    disabled: a.disabled,
  };
}

export interface ApplyStats {
  accounts: number;
  localAccounts: number;
  apiTokens: number;
  publicKeys: number;
  privateKeys: number;
  pushTokens: number;
  entries: number;
  duplicates: number;
}

export function emptyStats(): ApplyStats {
  return { accounts: 0, localAccounts: 0, apiTokens: 0, publicKeys: 0, privateKeys: 0, pushTokens: 0, entries: 0, duplicates: 0 };
}

/**
 * Writes records to a store. Entries are buffered and written with `addMany` (one transaction per
 * batch); any other record first flushes the buffer so the order of the input is kept.
 * `onFlushed(lastEntry)` is called after each committed batch (migration checkpoints).
 */
export class RecordApplier {
  private buffer: NewJournalEntry[] = [];
  readonly stats: ApplyStats = emptyStats();

  constructor(
    private readonly store: JournalStore,
    private readonly onFlushed?: (last: NewJournalEntry) => Promise<void> | void,
  ) {}

  async apply(rec: ExportRecord): Promise<void> {
    if (rec.type === 'entry') {
      this.buffer.push({
        account: rec.account,
        contact: rec.contact,
        direction: rec.direction,
        contentType: rec.content_type,
        content: rec.content,
        createdAt: new Date(rec.created_at),
        messageId: rec.message_id,
        disposition: rec.disposition,
        state: rec.state,
        msgTimestamp: new Date(rec.msg_timestamp),
      });
      if (this.buffer.length >= PAGE) await this.flush();
      return;
    }
    await this.flush();
    switch (rec.type) {
      case 'header':
        return;
      case 'account':
        await this.store.addAccount(rec.aor, rec.last_login ? new Date(rec.last_login) : new Date());
        this.stats.accounts++;
        return;
      case 'local_account': {
        const added = await this.store.localAccounts.addAccount({
          aor: rec.aor,
          ha1Md5: rec.ha1_md5,
          ha1Sha256: rec.ha1_sha256,
          displayName: rec.display_name,
          createdAt: new Date(rec.created_at),
          disabled: rec.disabled,
        });
        if (added) this.stats.localAccounts++;
        return;
      }
      case 'api_token':
        if (Date.parse(rec.expires_at) <= Date.now()) return;
        if (await this.store.setApiToken(rec.aor, rec.token, new Date(rec.expires_at))) this.stats.apiTokens++;
        return;
      case 'public_key':
        await this.store.setPublicKey(rec.aor, rec.key, new Date(rec.created_at));
        this.stats.publicKeys++;
        return;
      case 'private_key':
        if (
          await this.store.setPrivateKeyMessage({
            account: rec.account,
            messageId: rec.message_id,
            contact: rec.contact,
            direction: rec.direction,
            content: rec.content,
            msgTimestamp: new Date(rec.msg_timestamp),
            createdAt: new Date(rec.created_at),
          })
        ) {
          this.stats.privateKeys++;
        }
        return;
      case 'push_token':
        await this.store.addPushToken({
          account: rec.account,
          appId: rec.app_id,
          deviceId: rec.device_id,
          platform: rec.platform,
          token: rec.token,
          backgroundToken: rec.background_token,
          silent: rec.silent,
          userAgent: rec.user_agent,
        });
        this.stats.pushTokens++;
        return;
    }
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    const results = await this.store.addMany(batch);
    for (const r of results) {
      if (r) this.stats.entries++;
      else this.stats.duplicates++;
    }
    await this.onFlushed?.(batch[batch.length - 1]!);
  }
}

/** Parse one export line; throws with the line number on invalid input. */
export function parseRecord(line: string, lineNo: number): ExportRecord {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new Error(`line ${lineNo}: not JSON`);
  }
  const r = RecordSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`line ${lineNo}: invalid record${issue ? ` (${issue.path.join('.') || 'record'}: ${issue.message})` : ''}`);
  }
  return r.data;
}
