/**
 * SQLite: the `push_tokens` table, one record per (account, app id, device id) (`push.md` §2).
 */
import type { Statement } from 'better-sqlite3';
import type { PushToken } from '../../journal/types.js';
import { PUSH_TOKEN_COLUMNS, pushTokenFromRow, type SqlPushTokenRow } from '../sql-entry.js';
import type { PushTokensTable } from '../table-store.js';
import type { SqliteDb } from './db.js';

const isOne = (n: number): boolean => n === 1;

export class SqlitePushTokens implements PushTokensTable {
  private readonly s: Record<string, Statement>;

  constructor(private readonly db: SqliteDb) {
    const p = (sql: string): Statement => db.db.prepare(sql);
    this.s = {
      listPush: p(`SELECT ${PUSH_TOKEN_COLUMNS} FROM push_tokens WHERE account = ? ORDER BY app_id, device_id`),
    };
  }

  add(t: PushToken): Promise<void> {
    const token: PushToken = {
      account: t.account,
      appId: t.appId,
      deviceId: t.deviceId,
      platform: t.platform,
      token: t.token,
      backgroundToken: t.backgroundToken,
      silent: t.silent,
      userAgent: t.userAgent,
    };
    return this.db.write({ t: 'addPushToken', token });
  }

  async list(account: string): Promise<PushToken[]> {
    this.db.checkOpen();
    return (this.s.listPush!.all(account) as SqlPushTokenRow<number>[]).map((r) => pushTokenFromRow(r, isOne));
  }

  remove(account: string, appId: string, deviceId: string): Promise<boolean> {
    return this.db.write({ t: 'removePushToken', account, appId, deviceId });
  }

  removeByToken(account: string, token: string): Promise<number> {
    return this.db.write({ t: 'removePushTokensByToken', account, token });
  }

  removeAll(account: string): Promise<number> {
    return this.db.write({ t: 'removePushTokens', account });
  }
}
