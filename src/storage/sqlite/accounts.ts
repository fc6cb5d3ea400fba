/**
 * SQLite: the `accounts` table — account records and their API tokens (`journal-storage.md` §3.7).
 */
import type { Statement } from 'better-sqlite3';
import type { Account, ApiToken } from '../../journal/types.js';
import type { AccountsTable } from '../table-store.js';
import type { SqliteDb } from './db.js';

export class SqliteAccounts implements AccountsTable {
  private readonly s: Record<string, Statement>;

  constructor(private readonly db: SqliteDb) {
    const p = (sql: string): Statement => db.db.prepare(sql);
    this.s = {
      getAccount: p('SELECT aor, last_login FROM accounts WHERE aor = ?'),
      getToken: p('SELECT api_token, token_expires FROM accounts WHERE aor = ?'),
      findToken: p("SELECT aor FROM accounts WHERE api_token = ? AND api_token <> '' AND token_expires > ? LIMIT 1"),
    };
  }

  async get(aor: string): Promise<Account | null> {
    this.db.checkOpen();
    const r = this.s.getAccount!.get(aor) as { aor: string; last_login: number | null } | undefined;
    return r ? { aor: r.aor, lastLogin: r.last_login === null ? null : new Date(r.last_login) } : null;
  }

  add(aor: string, now: Date = new Date()): Promise<Account> {
    return this.db.write({ t: 'addAccount', aor, now: now.getTime() });
  }

  remove(aor: string): Promise<boolean> {
    return this.db.write({ t: 'removeAccount', aor });
  }

  setApiToken(aor: string, token: string, expiresAt: Date): Promise<boolean> {
    return this.db.write({ t: 'setApiToken', aor, token, expires: expiresAt.getTime() });
  }

  async getApiToken(aor: string): Promise<ApiToken | null> {
    this.db.checkOpen();
    const r = this.s.getToken!.get(aor) as { api_token: string | null; token_expires: number | null } | undefined;
    if (!r || !r.api_token || r.token_expires === null || r.token_expires <= Date.now()) return null;
    return { aor, token: r.api_token, expiresAt: new Date(r.token_expires) };
  }

  removeApiToken(aor: string): Promise<boolean> {
    return this.db.write({ t: 'removeApiToken', aor, now: Date.now() });
  }

  async findByToken(token: string): Promise<string | null> {
    this.db.checkOpen();
    if (!token) return null;
    const r = this.s.findToken!.get(token, Date.now()) as { aor: string } | undefined;
    return r ? r.aor : null;
  }
}
