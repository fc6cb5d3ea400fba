/**
 * Cassandra: account records (`chat_accounts`) and API tokens (`journal-storage.md` §3.7). A token is
 * written to the original's `api_token` column (its readers see it, expiring by TTL) and to our
 * `sylk_api_tokens` (exact expiry) and `sylk_accounts_by_api_token` (lookup by token) tables.
 */
import type { AccountsTable } from '../table-store.js';
import type { Account, ApiToken } from '../../journal/types.js';
import { dateOrNull, MAX_TTL, str, ttlOf, type CqlDb } from './db.js';
import { ORIGINAL_API_TOKEN_TTL_SECONDS } from './schema.js';

export class Accounts implements AccountsTable {
  constructor(private readonly db: CqlDb) {}

  async get(aor: string): Promise<Account | null> {
    this.db.checkOpen();
    const rs = await this.db.exec(`SELECT account, last_login FROM ${this.db.t.accounts} WHERE account = ?`, [aor]);
    const row = rs.first();
    return row ? { aor, lastLogin: dateOrNull(row.get('last_login')) } : null;
  }

  add(aor: string, now?: Date): Promise<Account> {
    return this.db.write(async () => {
      const lastLogin = now ?? new Date(this.db.now());
      // INSERT (not UPDATE) so the row exists on its own; api_token is not touched.
      await this.db.exec(`INSERT INTO ${this.db.t.accounts} (account, last_login) VALUES (?, ?)`, [aor, lastLogin]);
      return { aor, lastLogin };
    });
  }

  remove(aor: string): Promise<boolean> {
    return this.db.write(async () => {
      const existed = (await this.get(aor)) !== null;
      await this.dropToken(aor);
      await this.db.exec(`DELETE FROM ${this.db.t.accounts} WHERE account = ?`, [aor]);
      return existed;
    });
  }

  private async ourToken(aor: string): Promise<{ token: string; expiresAt: Date } | null> {
    const rs = await this.db.exec(`SELECT api_token, expires_at FROM ${this.db.t.tokens} WHERE account = ?`, [aor]);
    const row = rs.first();
    const exp = row ? dateOrNull(row.get('expires_at')) : null;
    return row && exp ? { token: str(row.get('api_token')), expiresAt: exp } : null;
  }

  private async dropToken(aor: string): Promise<void> {
    const ours = await this.ourToken(aor);
    const jobs: Promise<unknown>[] = [
      this.db.exec(`DELETE api_token FROM ${this.db.t.accounts} WHERE account = ?`, [aor]),
      this.db.exec(`DELETE FROM ${this.db.t.tokens} WHERE account = ?`, [aor]),
    ];
    if (ours && ours.token) jobs.push(this.db.exec(`DELETE FROM ${this.db.t.tokenIndex} WHERE api_token = ?`, [ours.token]));
    await Promise.all(jobs);
  }

  setApiToken(aor: string, token: string, expiresAt: Date): Promise<boolean> {
    return this.db.write(async () => {
      if (!(await this.get(aor))) return false;
      await this.dropToken(aor);
      const ttl = Math.min(MAX_TTL, Math.ceil((expiresAt.getTime() - this.db.now()) / 1000));
      if (ttl <= 0 || token === '') return true; // already expired: stored as absent
      await Promise.all([
        // The original's column (its readers see the token, expiring by TTL).
        this.db.exec(`UPDATE ${this.db.t.accounts} USING TTL ? SET api_token = ? WHERE account = ?`, [ttl, token, aor]),
        this.db.exec(`INSERT INTO ${this.db.t.tokens} (account, api_token, expires_at) VALUES (?, ?, ?) USING TTL ?`, [aor, token, expiresAt, ttl]),
        this.db.exec(`INSERT INTO ${this.db.t.tokenIndex} (api_token, account, expires_at) VALUES (?, ?, ?) USING TTL ?`, [token, aor, expiresAt, ttl]),
      ]);
      return true;
    });
  }

  async getApiToken(aor: string): Promise<ApiToken | null> {
    this.db.checkOpen();
    const rs = await this.db.exec(`SELECT api_token, TTL(api_token) AS ttl FROM ${this.db.t.accounts} WHERE account = ?`, [aor]);
    const row = rs.first();
    const token = row ? str(row.get('api_token')) : '';
    if (!row || token === '') return null;
    const ours = await this.ourToken(aor);
    const now = this.db.now();
    // Exact expiry from our table; tokens written by the original only have the column TTL.
    const ttl = ttlOf(row);
    const expiresAt =
      ours && ours.token === token ? ours.expiresAt : new Date(now + (ttl > 0 ? ttl : ORIGINAL_API_TOKEN_TTL_SECONDS) * 1000);
    if (expiresAt.getTime() <= now) return null;
    return { aor, token, expiresAt };
  }

  removeApiToken(aor: string): Promise<boolean> {
    return this.db.write(async () => {
      const existed = (await this.getApiToken(aor)) !== null;
      await this.dropToken(aor);
      return existed;
    });
  }

  /**
   * Tokens issued by the original (before a migration) have no `sylk_accounts_by_api_token` row and
   * are not found here; they expire within 31 days and clients request a new one.
   */
  async findByToken(token: string): Promise<string | null> {
    this.db.checkOpen();
    if (!token) return null;
    const rs = await this.db.exec(`SELECT account FROM ${this.db.t.tokenIndex} WHERE api_token = ?`, [token]);
    const account = rs.first()?.get('account') as unknown;
    if (typeof account !== 'string') return null;
    const current = await this.getApiToken(account);
    return current && current.token === token ? account : null;
  }
}
