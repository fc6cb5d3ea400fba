/**
 * PostgreSQL implementation of the local accounts (`accounts/types.ts` `AccountStore`,
 * `standalone.md` §2): the `local_accounts` table (migration 3, SQL below). Each write is one
 * autocommitted statement on the pool (rare and small: no group commit); its promise resolves after
 * the COMMIT. Shared by every server using the database.
 */
import type pg from 'pg';
import type { AccountStore, Ha1Pair, ListAccountsOptions, LocalAccount, NewLocalAccount } from '../../journal/local-accounts.js';

/** Migration 3 (see `migrations.ts`). */
export const LOCAL_ACCOUNTS_SQL = `
  CREATE TABLE local_accounts (
    aor           text PRIMARY KEY,
    domain        text NOT NULL,
    ha1_md5       text NOT NULL,
    ha1_sha256    text NOT NULL,
    display_name  text,
    created_at    timestamptz NOT NULL,
    disabled      boolean NOT NULL DEFAULT false
  );
  CREATE INDEX local_accounts_domain ON local_accounts (domain, aor);
`;

interface Row extends pg.QueryResultRow {
  aor: string;
  ha1_md5: string;
  ha1_sha256: string;
  display_name: string | null;
  created_at: Date;
  disabled: boolean;
}

const COLUMNS = 'aor, ha1_md5, ha1_sha256, display_name, created_at, disabled';

function toAccount(r: Row): LocalAccount {
  return { aor: r.aor, ha1Md5: r.ha1_md5, ha1Sha256: r.ha1_sha256, displayName: r.display_name, createdAt: r.created_at, disabled: r.disabled };
}

/** Runs one statement (throws when the store is closed). */
export type PgQuery = <R extends pg.QueryResultRow>(sql: string, params: unknown[]) => Promise<pg.QueryResult<R>>;

export class PostgresAccountStore implements AccountStore {
  constructor(private readonly query: PgQuery) {}

  async getAccount(aor: string): Promise<LocalAccount | null> {
    const { rows } = await this.query<Row>(`SELECT ${COLUMNS} FROM local_accounts WHERE aor = $1`, [aor]);
    return rows[0] ? toAccount(rows[0]) : null;
  }

  async addAccount(a: NewLocalAccount): Promise<boolean> {
    const r = await this.query(
      `INSERT INTO local_accounts (aor, domain, ha1_md5, ha1_sha256, display_name, created_at, disabled)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (aor) DO NOTHING`,
      [a.aor, a.aor.slice(a.aor.lastIndexOf('@') + 1), a.ha1Md5, a.ha1Sha256, a.displayName ?? null, a.createdAt ?? new Date(), a.disabled ?? false],
    );
    return r.rowCount === 1;
  }

  async setPassword(aor: string, ha1: Ha1Pair): Promise<boolean> {
    const r = await this.query('UPDATE local_accounts SET ha1_md5 = $1, ha1_sha256 = $2 WHERE aor = $3', [ha1.ha1Md5, ha1.ha1Sha256, aor]);
    return r.rowCount === 1;
  }

  async listAccounts(options: ListAccountsOptions = {}): Promise<LocalAccount[]> {
    const { rows } =
      options.domain === undefined
        ? await this.query<Row>(`SELECT ${COLUMNS} FROM local_accounts ORDER BY aor COLLATE "C"`, [])
        : await this.query<Row>(`SELECT ${COLUMNS} FROM local_accounts WHERE domain = $1 ORDER BY aor COLLATE "C"`, [options.domain.toLowerCase()]);
    return rows.map(toAccount);
  }

  async setDisabled(aor: string, disabled: boolean): Promise<boolean> {
    const r = await this.query('UPDATE local_accounts SET disabled = $1 WHERE aor = $2', [disabled, aor]);
    return r.rowCount === 1;
  }

  async removeAccount(aor: string): Promise<boolean> {
    const r = await this.query('DELETE FROM local_accounts WHERE aor = $1', [aor]);
    return r.rowCount === 1;
  }
}
