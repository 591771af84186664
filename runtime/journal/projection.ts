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
