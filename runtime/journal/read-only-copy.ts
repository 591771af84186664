/**
 * A journal to decide with but never to write (issue 15: `run --once --dry-run`): the events of the real journal,
 * read once by a reader that takes no writer lock, copied into a store in memory. What the dry run appends on its
 * way (connected, examined ranges) stays in this process; the real journal is not written, not created when it
 * does not exist, and a service running on it meanwhile is not disturbed.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import type { JournalEvent } from './events.js';
import { MemoryJournalStore } from './memory-store.js';
import { isPostgresUrl } from './postgres/location.js';
import type { JournalStore } from './store.js';

/** Strips what a store assigns (position, version), so the copy's store can assign its own. */
function unstored(event: JournalEvent & { position?: number; version?: number }): JournalEvent {
  const { position: _position, version: _version, ...rest } = event;
  return rest as JournalEvent;
}

/**
 * A store in memory holding a copy of `source` (read whole; `source` is left open, it is the caller's).
 *
 * @example
 * ```ts
 * const copy = await copyIntoMemory(hostStore);
 * await copy.append([...]); // hostStore does not see it
 * ```
 */
export async function copyIntoMemory(source: JournalStore): Promise<JournalStore> {
  const copy = new MemoryJournalStore();
  const events = await source.read();
  if (events.length > 0) await copy.append(events.map(unstored));
  return copy;
}

/**
 * The read-only copy of the journal at `location` (a SQLite file or a `postgres://` URL). A SQLite file that does
 * not exist gives an empty journal (and stays absent); an existing one is read without the writer lock.
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
    return await copyIntoMemory(source);
  } finally {
    await source.close();
  }
}
