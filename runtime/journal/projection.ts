/**
 * The shape of a projection: state derived only from journal events, folded in position order.
 *
 * @module
 */
import type { StoredEvent } from './events.js';

/**
 * A projection folds journal events into state. `apply` must depend on nothing but the events it has been given
 * (no clock, no I/O), so replaying the journal from position 1 rebuilds exactly the same state. Implementations
 * mutate their own state in place instead of returning new objects: a rebuild folds millions of events and must not
 * allocate per event.
 *
 * @example
 * ```ts
 * class HandledCount implements Projection {
 *   count = 0;
 *   apply(event: StoredEvent): void { if (event.type === 'message.handled') this.count++; }
 * }
 * const journal = await Journal.open(store, { projections: [new HandledCount()] });
 * ```
 */
export interface Projection {
  apply(event: StoredEvent): void;
}

/**
 * A projection that can be saved in a snapshot (issue 16). `exportState` gives plain JSON; `prepareState` checks a
 * saved state and returns the function that installs it (so a journal restoring several projections changes none
 * when one refuses: it throws instead of returning). The journal restores only projections whose `snapshotKey` the
 * snapshot has; one that cannot be saved at all makes the journal fold from the start.
 *
 * @example
 * ```ts
 * class HandledCount implements SnapshotCapable {
 *   readonly snapshotKey = 'handledCount';
 *   count = 0;
 *   apply(event: StoredEvent): void { if (event.type === 'message.handled') this.count++; }
 *   exportState(): unknown { return this.count; }
 *   prepareState(state: unknown): () => void {
 *     if (typeof state !== 'number') throw new TypeError('not a count');
 *     return () => { this.count = state; };
 *   }
 * }
 * ```
 */
export interface SnapshotCapable extends Projection {
  readonly snapshotKey: string;
  exportState(): unknown;
  prepareState(state: unknown): () => void;
}

/**
 * Checks the snapshot form of a map of ascending time lists (`[[key, [t1, t2, …]], …]`), which the limiters keep,
 * and returns it as a fresh map.
 *
 * @example
 * ```ts
 * const sent = timeListsFromState([['ada@example.test', [1700000000000]]]);
 * ```
 */
export function timeListsFromState(state: unknown): Map<string, number[]> {
  if (!Array.isArray(state)) throw new TypeError('time lists: not a list');
  const out = new Map<string, number[]>();
  for (const entry of state) {
    const [key, times] = entry as [unknown, unknown];
    if (typeof key !== 'string' || !Array.isArray(times) || !times.every((t) => typeof t === 'number')) {
      throw new TypeError('time lists: an entry is not [key, numbers]');
    }
    out.set(key, [...times]);
  }
  return out;
}
