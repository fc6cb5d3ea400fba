/**
 * The journal layer's public surface: domain types (`types.ts`), the store interface every engine
 * implements (`store.ts`), state/disposition rules (`states.ts`), group commit (`group-commit.ts`) and
 * client serialization (`serialize.ts`). See `journal-storage.md`.
 */
export * from './types.js';
export * from './store.js';
export * from './states.js';
export * from './group-commit.js';
export * from './serialize.js';
export * from './write-health.js';
