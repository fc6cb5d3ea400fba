/**
 * SQLite implementation of the local accounts (`accounts/types.ts` `AccountStore`,
 * `standalone.md` §2): the `local_accounts` table (migration 4, SQL below). Account writes are rare
 * and small, so they run synchronously on the store's own connection in a `BEGIN IMMEDIATE`
 * transaction (the busy timeout waits for the write thread's batch, as for `sylk-db`), not through
 * the journal's group commit; a write's promise resolves after its COMMIT.
 */
import type { Database as DB, Statement } from 'better-sqlite3';
import type { AccountStore, Ha1Pair, ListAccountsOptions, LocalAccount, NewLocalAccount } from '../../journal/local-accounts.js';

/** Migration 4 (see `migrations.ts`). */
export const LOCAL_ACCOUNTS_SQL = `
  CREATE TABLE local_accounts (
    aor           TEXT PRIMARY KEY,
    domain        TEXT NOT NULL,
    ha1_md5       TEXT NOT NULL,
    ha1_sha256    TEXT NOT NULL,
    display_name  TEXT,
    created_at    INTEGER NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  CREATE INDEX local_accounts_domain ON local_accounts (domain, aor);
`;

interface Row {
  aor: string;
  ha1_md5: string;
  ha1_sha256: string;
  display_name: string | null;
  created_at: number;
  disabled: number;
}

const COLUMNS = 'aor, ha1_md5, ha1_sha256, display_name, created_at, disabled';

function toAccount(r: Row): LocalAccount {
  return {
    aor: r.aor,
    ha1Md5: r.ha1_md5,
    ha1Sha256: r.ha1_sha256,
    displayName: r.display_name,
    createdAt: new Date(r.created_at),
    disabled: r.disabled !== 0,
  };
}

function domainOf(aor: string): string {
  return aor.slice(aor.lastIndexOf('@') + 1);
}

export class SqliteAccountStore implements AccountStore {
  private readonly s: Record<'get' | 'insert' | 'passwd' | 'all' | 'byDomain' | 'disable' | 'remove', Statement>;

  constructor(
    private readonly db: DB,
    private readonly checkOpen: () => void,
  ) {
    const p = (sql: string): Statement => db.prepare(sql);
    this.s = {
      get: p(`SELECT ${COLUMNS} FROM local_accounts WHERE aor = ?`),
      insert: p(
        `INSERT INTO local_accounts (aor, domain, ha1_md5, ha1_sha256, display_name, created_at, disabled)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (aor) DO NOTHING`,
      ),
      passwd: p('UPDATE local_accounts SET ha1_md5 = ?, ha1_sha256 = ? WHERE aor = ?'),
      all: p(`SELECT ${COLUMNS} FROM local_accounts ORDER BY aor`),
      byDomain: p(`SELECT ${COLUMNS} FROM local_accounts WHERE domain = ? ORDER BY aor`),
      disable: p('UPDATE local_accounts SET disabled = ? WHERE aor = ?'),
      remove: p('DELETE FROM local_accounts WHERE aor = ?'),
    };
  }

  /** Run one write in its own immediate transaction; the number of rows changed. */
  private write(stmt: Statement, ...args: unknown[]): number {
    this.checkOpen();
    return this.db.transaction(() => stmt.run(...args).changes).immediate();
  }

  async getAccount(aor: string): Promise<LocalAccount | null> {
    this.checkOpen();
    const r = this.s.get.get(aor) as Row | undefined;
    return r ? toAccount(r) : null;
  }

  async addAccount(a: NewLocalAccount): Promise<boolean> {
    const created = (a.createdAt ?? new Date()).getTime();
    return (
      this.write(this.s.insert, a.aor, domainOf(a.aor), a.ha1Md5, a.ha1Sha256, a.displayName ?? null, created, a.disabled ? 1 : 0) === 1
    );
  }

  async setPassword(aor: string, ha1: Ha1Pair): Promise<boolean> {
    return this.write(this.s.passwd, ha1.ha1Md5, ha1.ha1Sha256, aor) === 1;
  }

  async listAccounts(options: ListAccountsOptions = {}): Promise<LocalAccount[]> {
    this.checkOpen();
    const rows = (options.domain === undefined ? this.s.all.all() : this.s.byDomain.all(options.domain.toLowerCase())) as Row[];
    return rows.map(toAccount);
  }

  async setDisabled(aor: string, disabled: boolean): Promise<boolean> {
    return this.write(this.s.disable, disabled ? 1 : 0, aor) === 1;
  }

  async removeAccount(aor: string): Promise<boolean> {
    return this.write(this.s.remove, aor) === 1;
  }
}
