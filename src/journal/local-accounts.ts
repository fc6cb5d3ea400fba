/**
 * The local accounts of standalone mode (`standalone.md` §2): who may register and log in, with the
 * digest secrets as HA1 for MD5 and SHA-256 (RFC 7616, realm = the account's domain), never the
 * plaintext. Kept in the journal store (every engine implements {@link AccountStore}, reachable as
 * `store.localAccounts`), so several instances sharing a store share the accounts.
 *
 * Not to be confused with the journal's account *record* (`journal/types.ts` `Account`: last login and
 * API token), which exists for every AOR that used the messaging service, local or not.
 */

/** One local account. The AOR is `user@domain`, lower-cased (`accounts/aor.ts`). */
export interface LocalAccount {
  aor: string;
  /** HA1 = MD5(user:domain:password), lower-case hex (32). */
  ha1Md5: string;
  /** HA1 = SHA-256(user:domain:password), lower-case hex (64). */
  ha1Sha256: string;
  displayName: string | null;
  createdAt: Date;
  disabled: boolean;
}

/** What `addAccount` takes; `createdAt` defaults to now, `disabled` to false. */
export interface NewLocalAccount {
  aor: string;
  ha1Md5: string;
  ha1Sha256: string;
  displayName?: string | null;
  createdAt?: Date;
  disabled?: boolean;
}

/** The two HA1 values of one password (`credentials.ts` `ha1sFor`). */
export interface Ha1Pair {
  ha1Md5: string;
  ha1Sha256: string;
}

export interface ListAccountsOptions {
  /** Only the accounts of this domain (compared lower-cased). */
  domain?: string;
}

/**
 * Storage of local accounts, implemented by every engine. AOR arguments are normalised by the caller
 * (`parseAccountAor`); engines compare them as given. Writes resolve once durably stored.
 */
export interface AccountStore {
  /** The account, or null. */
  getAccount(aor: string): Promise<LocalAccount | null>;
  /** Create the account; resolves false (nothing changed) when it exists already. */
  addAccount(account: NewLocalAccount): Promise<boolean>;
  /** Replace the HA1s; resolves false when there is no such account. */
  setPassword(aor: string, ha1: Ha1Pair): Promise<boolean>;
  /** Every account (of one domain), sorted by AOR. */
  listAccounts(options?: ListAccountsOptions): Promise<LocalAccount[]>;
  /** Set the disabled flag; resolves false when there is no such account. */
  setDisabled(aor: string, disabled: boolean): Promise<boolean>;
  /** Delete the account (only the credentials; see `sylk-db account remove` for the rest). */
  removeAccount(aor: string): Promise<boolean>;
}
