/**
 * The journal layer's public surface: domain types (`types.ts`), the store interface every engine
 * implements (`store.ts`), state/disposition rules (`states.ts`) and client serialization
 * (`serialize.ts`). See `journal-storage.md`. Group commit, an engine mechanism, lives in
 * `storage/group-commit.ts`.
 */
export * from './types.js';
export * from './store.js';
export * from './states.js';
export * from './serialize.js';
export * from './content-types.js';
