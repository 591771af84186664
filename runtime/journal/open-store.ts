/**
 * Opens the journal store a location names, loading only that store's driver: better-sqlite3 for a file,
 * pg for a `postgres://` URL (issue 12 point 5: a process with a SQLite journal never loads pg, and the reverse).
 *
 * @module
 */
import { isPostgresUrl } from './postgres/location.js';
import type { PostgresJournalStoreOptions } from './postgres-store.js';
import type { SqliteJournalStoreOptions } from './sqlite-store.js';
import type { JournalStore } from './store.js';

/**
 * Options of {@link openJournalStore}: each store's own, used only when the location is of its kind.
 *
 * @example
 * ```ts
 * const options: OpenJournalStoreOptions = { postgres: { writer: 'host-a' }, sqlite: { synchronous: 'FULL' } };
 * ```
 */
export interface OpenJournalStoreOptions {
  readonly sqlite?: SqliteJournalStoreOptions;
  readonly postgres?: PostgresJournalStoreOptions;
}

/**
 * The store of `location` (a SQLite file path or a `postgres://` URL), its module imported on first use.
 *
 * @example
 * ```ts
 * const store = await openJournalStore(config.journal, { postgres: { writer: ownership?.hostId } });
 * const journal = await Journal.open(store);
 * ```
 */
export async function openJournalStore(location: string, options: OpenJournalStoreOptions = {}): Promise<JournalStore> {
  if (isPostgresUrl(location)) {
    const { PostgresJournalStore } = await import('./postgres-store.js');
    return new PostgresJournalStore(location, options.postgres);
  }
  const { SqliteJournalStore } = await import('./sqlite-store.js');
  return new SqliteJournalStore(location, options.sqlite);
}
