/**
 * A journal to decide with but never to write (issue 15: `run --once --dry-run`): the real journal read through a
 * reader that takes no writer lock — its events, snapshots and retention passes, so the dry run starts where a real
 * run would (read-through-store.ts). What the dry run appends on its way (connected, examined ranges) stays in
 * this process; the real journal is not written, not created when it
 * does not exist, and a service running on it meanwhile is not disturbed.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { MemoryJournalStore } from './memory-store.js';
import { isPostgresUrl } from './postgres/location.js';
import { ReadThroughJournalStore } from './read-through-store.js';
import type { JournalStore } from './store.js';

/**
 * A store that reads `source` (its events, snapshots and retention passes) and keeps its own appends in memory;
 * `source` is left open, it is the caller's.
 *
 * @example
 * ```ts
 * const copy = await copyIntoMemory(hostStore);
 * await copy.append([...]); // hostStore does not see it
 * ```
 */
export function copyIntoMemory(source: JournalStore): Promise<JournalStore> {
  return ReadThroughJournalStore.over(source, { closeSource: false });
}

/**
 * The read-only view of the journal at `location` (a SQLite file or a `postgres://` URL), appends kept in memory. A
 * SQLite file that does not exist gives an empty journal (and stays absent); an existing one is read without the
 * writer lock, and closed with the view.
 *
 * @example
 * ```ts
 * const store = await readOnlyJournalCopy(config.journal);
 * const journal = await Journal.open(store);
 * ```
 */
export async function readOnlyJournalCopy(location: string): Promise<JournalStore> {
  let source: JournalStore;
  if (isPostgresUrl(location)) {
    const { PostgresJournalStore } = await import('./postgres-store.js');
    source = new PostgresJournalStore(location);
  } else {
    if (!existsSync(location)) return new MemoryJournalStore();
    const { SqliteJournalStore } = await import('./sqlite-store.js');
    source = new SqliteJournalStore(location, { lock: false });
  }
  try {
    return await ReadThroughJournalStore.over(source);
  } catch (error) {
    await source.close();
    throw error;
  }
}
