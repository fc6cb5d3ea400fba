/**
 * Cassandra implementation of the local accounts (`accounts/types.ts` `AccountStore`,
 * `standalone.md` §2): our table `sylk_local_accounts` (defined in `schema.ts`'s model, so
 * `dbinit` and `ensureSchema` create it), one partition per AOR. Every write is a
 * lightweight transaction (`IF NOT EXISTS` / `IF EXISTS`), so two `sylk-db` runs or two instances
 * cannot both create the same account, and each write reports whether it applied. Listing scans the
 * table (an administrative command; accounts are few next to messages) and sorts by AOR.
 */
import type { Client, types } from 'cassandra-driver';
import type { AccountStore, Ha1Pair, ListAccountsOptions, LocalAccount, NewLocalAccount } from '../../journal/local-accounts.js';
import { LOCAL_ACCOUNTS_TABLE } from './schema.js';


const COLUMNS = 'aor, ha1_md5, ha1_sha256, display_name, created_at, disabled';

type Row = { get(name: string): unknown };

function toAccount(r: Row): LocalAccount {
  const created = r.get('created_at');
  const name = r.get('display_name');
  return {
    aor: String(r.get('aor')),
    ha1Md5: String(r.get('ha1_md5')),
    ha1Sha256: String(r.get('ha1_sha256')),
    displayName: typeof name === 'string' ? name : null,
    createdAt: created instanceof Date ? created : new Date(0),
    disabled: r.get('disabled') === true,
  };
}

export class CassandraAccountStore implements AccountStore {
  private readonly table: string;

  constructor(
    private readonly client: Client,
    keyspace: string,
    private readonly checkOpen: () => void,
  ) {
    this.table = `${keyspace}.${LOCAL_ACCOUNTS_TABLE.name}`;
  }

  private async exec(cql: string, params: unknown[]): Promise<types.ResultSet> {
    this.checkOpen();
    return this.client.execute(cql, params, { prepare: true });
  }

  async getAccount(aor: string): Promise<LocalAccount | null> {
    const rs = await this.exec(`SELECT ${COLUMNS} FROM ${this.table} WHERE aor = ?`, [aor]);
    const row = rs.first();
    return row ? toAccount(row) : null;
  }

  async addAccount(a: NewLocalAccount): Promise<boolean> {
    const rs = await this.exec(
      `INSERT INTO ${this.table} (aor, domain, ha1_md5, ha1_sha256, display_name, created_at, disabled) VALUES (?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`,
      [a.aor, a.aor.slice(a.aor.lastIndexOf('@') + 1), a.ha1Md5, a.ha1Sha256, a.displayName ?? null, a.createdAt ?? new Date(), a.disabled ?? false],
    );
    return rs.wasApplied();
  }

  async setPassword(aor: string, ha1: Ha1Pair): Promise<boolean> {
    const rs = await this.exec(`UPDATE ${this.table} SET ha1_md5 = ?, ha1_sha256 = ? WHERE aor = ? IF EXISTS`, [ha1.ha1Md5, ha1.ha1Sha256, aor]);
    return rs.wasApplied();
  }

  async listAccounts(options: ListAccountsOptions = {}): Promise<LocalAccount[]> {
    this.checkOpen();
    const domain = options.domain?.toLowerCase();
    const out: LocalAccount[] = [];
    const rs = await this.client.execute(`SELECT ${COLUMNS}, domain FROM ${this.table}`, [], { prepare: true, fetchSize: 1000 });
    for await (const row of rs) {
      if (domain === undefined || row.get('domain') === domain) out.push(toAccount(row));
    }
    return out.sort((x, y) => (x.aor < y.aor ? -1 : x.aor > y.aor ? 1 : 0));
  }

  async setDisabled(aor: string, disabled: boolean): Promise<boolean> {
    const rs = await this.exec(`UPDATE ${this.table} SET disabled = ? WHERE aor = ? IF EXISTS`, [disabled, aor]);
    return rs.wasApplied();
  }

  async removeAccount(aor: string): Promise<boolean> {
    const rs = await this.exec(`DELETE FROM ${this.table} WHERE aor = ? IF EXISTS`, [aor]);
    return rs.wasApplied();
  }
}
