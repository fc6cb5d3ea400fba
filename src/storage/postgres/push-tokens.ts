/**
 * PostgreSQL: the `push_tokens` table, one record per (account, app id, device id) (`push.md` §2).
 */
import type { PushToken } from '../../journal/types.js';
import { PUSH_TOKEN_COLUMNS, pushTokenFromRow, type SqlPushTokenRow } from '../sql-entry.js';
import type { PushTokensTable } from '../table-store.js';
import { changed, type PgDb } from './db.js';

const asBool = (b: boolean): boolean => b;

export class PgPushTokens implements PushTokensTable {
  constructor(private readonly db: PgDb) {}

  add(t: PushToken): Promise<void> {
    return this.db.write(async (c) => {
      await c.query(
        `INSERT INTO push_tokens (${PUSH_TOKEN_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (account, app_id, device_id) DO UPDATE SET platform = excluded.platform, token = excluded.token,
           background_token = excluded.background_token, silent = excluded.silent, user_agent = excluded.user_agent`,
        [t.account, t.appId, t.deviceId, t.platform, t.token, t.backgroundToken, t.silent, t.userAgent],
      );
    });
  }

  async list(account: string): Promise<PushToken[]> {
    const rows = await this.db.read<SqlPushTokenRow<boolean>>(
      `SELECT ${PUSH_TOKEN_COLUMNS} FROM push_tokens
       WHERE account = $1 ORDER BY app_id COLLATE "C", device_id COLLATE "C"`,
      [account],
    );
    return rows.map((r) => pushTokenFromRow(r, asBool));
  }

  remove(account: string, appId: string, deviceId: string): Promise<boolean> {
    return this.db.write(
      async (c) => changed(await c.query('DELETE FROM push_tokens WHERE account = $1 AND app_id = $2 AND device_id = $3', [account, appId, deviceId])) > 0,
    );
  }

  removeByToken(account: string, token: string): Promise<number> {
    return this.db.write(async (c) =>
      changed(await c.query('DELETE FROM push_tokens WHERE account = $1 AND (token = $2 OR background_token = $2)', [account, token])),
    );
  }

  removeAll(account: string): Promise<number> {
    return this.db.write(async (c) => changed(await c.query('DELETE FROM push_tokens WHERE account = $1', [account])));
  }
}
