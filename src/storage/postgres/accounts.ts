/**
 * PostgreSQL: the `accounts` table — account records and their API tokens (`journal-storage.md`
 * §3.7, `http-api.md` §7).
 */
import type { Account, ApiToken } from '../../journal/types.js';
import type { AccountsTable } from '../table-store.js';
import { changed, type PgDb } from './db.js';

export class PgAccounts implements AccountsTable {
  constructor(private readonly db: PgDb) {}

  async get(aor: string): Promise<Account | null> {
    const rows = await this.db.read<{ aor: string; last_login: Date | null }>('SELECT aor, last_login FROM accounts WHERE aor = $1', [aor]);
    return rows[0] ? { aor: rows[0].aor, lastLogin: rows[0].last_login } : null;
  }

  add(aor: string, now: Date = new Date()): Promise<Account> {
    return this.db.write(async (c) => {
      await c.query(
        'INSERT INTO accounts (aor, last_login) VALUES ($1, $2) ON CONFLICT (aor) DO UPDATE SET last_login = excluded.last_login',
        [aor, now],
      );
      return { aor, lastLogin: new Date(now.getTime()) };
    });
  }

  remove(aor: string): Promise<boolean> {
    return this.db.write(async (c) => changed(await c.query('DELETE FROM accounts WHERE aor = $1', [aor])) > 0);
  }

  setApiToken(aor: string, token: string, expiresAt: Date): Promise<boolean> {
    return this.db.write(
      async (c) => changed(await c.query('UPDATE accounts SET api_token = $1, token_expires = $2 WHERE aor = $3', [token, expiresAt, aor])) > 0,
    );
  }

  async getApiToken(aor: string): Promise<ApiToken | null> {
    const rows = await this.db.read<{ api_token: string; token_expires: Date }>(
      "SELECT api_token, token_expires FROM accounts WHERE aor = $1 AND api_token IS NOT NULL AND api_token <> '' AND token_expires > $2",
      [aor, new Date()],
    );
    return rows[0] ? { aor, token: rows[0].api_token, expiresAt: rows[0].token_expires } : null;
  }

  removeApiToken(aor: string): Promise<boolean> {
    return this.db.write(async (c) => {
      const { rows } = await c.query<{ had: boolean }>(
        `UPDATE accounts a SET api_token = NULL, token_expires = NULL
         FROM (SELECT aor, (api_token IS NOT NULL AND api_token <> '' AND token_expires > $2) AS had FROM accounts WHERE aor = $1 FOR UPDATE) o
         WHERE a.aor = o.aor RETURNING o.had`,
        [aor, new Date()],
      );
      return rows[0]?.had === true;
    });
  }

  async findByToken(token: string): Promise<string | null> {
    if (!token) return null;
    const rows = await this.db.read<{ aor: string }>('SELECT aor FROM accounts WHERE api_token = $1 AND token_expires > $2 LIMIT 1', [
      token,
      new Date(),
    ]);
    return rows[0]?.aor ?? null;
  }

  /** Retention: clear expired (or empty) API tokens; resolves how many. */
  expireTokens(): Promise<number> {
    return this.db.write(async (c) =>
      changed(
        await c.query(
          "UPDATE accounts SET api_token = NULL, token_expires = NULL WHERE api_token IS NOT NULL AND (token_expires <= $1 OR api_token = '')",
          [new Date()],
        ),
      ),
    );
  }
}
