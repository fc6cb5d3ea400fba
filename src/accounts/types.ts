/**
 * The local accounts' types, re-exported for the `accounts/` layer and its users. Their home is
 * `journal/local-accounts.ts` (the store interface every engine implements lives in `journal/`).
 */
export type { AccountStore, Ha1Pair, ListAccountsOptions, LocalAccount, NewLocalAccount } from '../journal/local-accounts.js';
