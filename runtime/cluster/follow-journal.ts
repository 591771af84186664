/**
 * Keeps a host's journal current with other hosts' appends (issue 9): the PostgreSQL store's LISTEN/NOTIFY tells
 * the new head, and the journal refreshes — status, and the handled set a takeover needs, follow promptly.
 *
 * @module
 */
import type { Journal } from '../journal/journal.js';
import { FencedJournalStore } from './fenced-store.js';
import { unrefTimer } from './ownership-options.js';

/**
 * Refreshes `journal` when its store reports appends beyond its position, at most every 100 ms (bursts coalesce).
 * A store without `onAppended` (not PostgreSQL) is left alone. Returns the function that stops it.
 *
 * @example
 * ```ts
 * const stop = followJournal(journal, () => leaving);
 * stop();
 * ```
 */
export function followJournal(journal: Journal, stopped: () => boolean): (() => void) | undefined {
  const store = journal.store instanceof FencedJournalStore ? journal.store.inner : journal.store;
  const onAppended = (store as { onAppended?: (listener: (head: number) => void) => () => void }).onAppended;
  if (typeof onAppended !== 'function') return undefined;
  let scheduled = false;
  return onAppended.call(store, (head) => {
    if (scheduled || head <= journal.position || stopped()) return;
    scheduled = true;
    unrefTimer(() => {
      scheduled = false;
      if (!stopped()) journal.refresh().catch(() => undefined);
    }, 100);
  });
}
