/**
 * Pure rules for state and disposition changes of journal entries, shared by every engine's
 * `updateState` (`journal-storage.md` §2.2–§2.3, `sylkrtc-websocket.md` §7.2).
 *
 * Deliberate difference from the original (which overwrites any non-`received` state, so a late
 * `accepted` can undo `delivered`): states only move forward, as §7.2 recommends.
 */
import { DISPOSITION_POSITIVE_DELIVERY, type MessageState } from './types.js';

/** Progress rank along pending → accepted → delivered → displayed; failures rank with `accepted`. */
const RANK: Record<MessageState, number> = {
  pending: 0,
  accepted: 1,
  failed: 2,
  forbidden: 2,
  error: 2,
  delivered: 3,
  displayed: 4,
  received: 5,
};

const FAILURES: ReadonlySet<MessageState> = new Set<MessageState>(['failed', 'forbidden', 'error']);

/**
 * The state after requesting `requested` on an entry whose state is `current`:
 * - `received` never changes (incoming copies); nothing ever becomes `received` by update;
 * - a null (marker) state is set as requested;
 * - otherwise the state changes only forward: `pending → accepted → {failed|forbidden|error} →
 *   delivered → displayed`. A failure does not replace another failure, nor `delivered`/`displayed`;
 *   `delivered`/`displayed` replace a failure (the report proves the message arrived).
 */
export function nextState(current: MessageState | null, requested: MessageState): MessageState | null {
  if (current === 'received') return current;
  if (requested === 'received') return current;
  if (current === null) return requested;
  if (FAILURES.has(current) && FAILURES.has(requested)) return current;
  return RANK[requested] > RANK[current] ? requested : current;
}

/**
 * The disposition list after a report with state `requested` (§2.3): `delivered` removes
 * `positive-delivery`, `displayed` clears the list, anything else leaves it. Null stays null.
 * Returns the same array object when nothing changes.
 */
export function applyDisposition(disposition: string[] | null, requested: MessageState): string[] | null {
  if (disposition === null) return null;
  if (requested === 'displayed') return disposition.length === 0 ? disposition : [];
  if (requested === 'delivered' && disposition.includes(DISPOSITION_POSITIVE_DELIVERY)) {
    return disposition.filter((d) => d !== DISPOSITION_POSITIVE_DELIVERY);
  }
  return disposition;
}
