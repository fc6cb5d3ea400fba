/**
 * Cassandra: push tokens in the original's table (`push.md` §2.2), keyed by (username, domain) — the
 * AOR split at its first `@` — then device id and app id.
 */
import type { PushTokensTable } from '../table-store.js';
import type { PushToken } from '../../journal/types.js';
import { splitUsernameDomain } from '../../util/aor.js';
import { str, type CqlDb } from './db.js';

export class PushTokens implements PushTokensTable {
  constructor(private readonly db: CqlDb) {}

  add(record: PushToken): Promise<void> {
    return this.db.write(async () => {
      const [username, domain] = splitUsernameDomain(record.account);
      await this.db.exec(
        `INSERT INTO ${this.db.t.push} (username, domain, device_id, app_id, background_token, device_token, platform, silent, user_agent) ` +
          `VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [username, domain, record.deviceId, record.appId, record.backgroundToken, record.token, record.platform, record.silent ? '1' : '0', record.userAgent],
      );
    });
  }

  async list(account: string): Promise<PushToken[]> {
    this.db.checkOpen();
    const [username, domain] = splitUsernameDomain(account);
    const rs = await this.db.exec(
      `SELECT device_id, app_id, background_token, device_token, platform, silent, user_agent FROM ${this.db.t.push} WHERE username = ? AND domain = ?`,
      [username, domain],
      { fetchSize: 5000 },
    );
    const out: PushToken[] = [];
    for await (const row of rs) {
      const bg = row.get('background_token') as unknown;
      const ua = row.get('user_agent') as unknown;
      out.push({
        account,
        appId: str(row.get('app_id')),
        deviceId: str(row.get('device_id')),
        platform: str(row.get('platform')),
        token: str(row.get('device_token')),
        backgroundToken: typeof bg === 'string' ? bg : null,
        silent: row.get('silent') === '1' || row.get('silent') === 'true',
        userAgent: typeof ua === 'string' ? ua : null,
      });
    }
    const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    return out.sort((a, b) => cmp(a.appId, b.appId) || cmp(a.deviceId, b.deviceId));
  }

  private async deletePush(account: string, deviceId: string, appId: string): Promise<void> {
    const [username, domain] = splitUsernameDomain(account);
    await this.db.exec(`DELETE FROM ${this.db.t.push} WHERE username = ? AND domain = ? AND device_id = ? AND app_id = ?`, [username, domain, deviceId, appId]);
  }

  remove(account: string, appId: string, deviceId: string): Promise<boolean> {
    return this.db.write(async () => {
      const [username, domain] = splitUsernameDomain(account);
      const rs = await this.db.exec(`SELECT device_id FROM ${this.db.t.push} WHERE username = ? AND domain = ? AND device_id = ? AND app_id = ?`, [
        username,
        domain,
        deviceId,
        appId,
      ]);
      if (rs.rowLength === 0) return false;
      await this.deletePush(account, deviceId, appId);
      return true;
    });
  }

  removeByToken(account: string, token: string): Promise<number> {
    return this.db.write(async () => {
      const victims = (await this.list(account)).filter((t) => t.token === token || t.backgroundToken === token);
      await Promise.all(victims.map((t) => this.deletePush(account, t.deviceId, t.appId)));
      return victims.length;
    });
  }

  removeAll(account: string): Promise<number> {
    return this.db.write(async () => {
      const n = (await this.list(account)).length;
      const [username, domain] = splitUsernameDomain(account);
      await this.db.exec(`DELETE FROM ${this.db.t.push} WHERE username = ? AND domain = ?`, [username, domain]);
      return n;
    });
  }
}
