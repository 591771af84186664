/**
 * Retention in the SQLite journal (issue 16, part 3): the rule of `retention.ts` as SQL, run in short batches, and
 * the space it frees given back to the file system.
 *
 * Locking: each batch is its own `BEGIN IMMEDIATE` transaction (select, then delete by position), so a concurrent
 * append waits at most for one batch; between batches the event loop runs (a `setImmediate`), so the service's
 * own appends interleave with a long prune.
 *
 * Space: a new journal file is created with `auto_vacuum = INCREMENTAL` (see `sqlite-store.ts`); after a prune,
 * `PRAGMA incremental_vacuum` returns the freed pages in chunks and a WAL checkpoint (TRUNCATE) moves the shorter
 * file into place. A file created before retention existed has `auto_vacuum = NONE`; its first prune converts it by
 * one full `VACUUM` (it rewrites the file and holds the write lock meanwhile: once, and documented in
 * docs/journal.md).
 *
 * @module
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import { FINISHED_MESSAGE_TYPES, type PruneRequest } from './store.js';

/** Pages one `incremental_vacuum` step returns (4 MiB at 4 KiB pages): short steps, the loop runs between them. */
const VACUUM_PAGES = 1_000;

const SELECT_BATCH = `
SELECT e.position FROM journal_events e
WHERE e.position > @cursor AND e.position <= @through AND e.at < @before
  AND e.position NOT IN (SELECT value FROM json_each(@newest))
  AND (substr(e.type, 1, 8) = 'mailbox.' OR (e.msg_key IS NOT NULL AND EXISTS (
    SELECT 1 FROM (
      SELECT l.type, l.position, l.at FROM journal_events l
      WHERE l.msg_key = e.msg_key AND l.stream = e.stream ORDER BY l.position DESC LIMIT 1
    ) n
    WHERE n.type IN (SELECT value FROM json_each(@finished)) AND n.position <= @through AND n.at < @before)))
ORDER BY e.position LIMIT @batch`;

/**
 * Removes what `request` selects, batch by batch, and returns how many events went.
 *
 * @example
 * ```ts
 * const removed = await pruneSqlite(db, { throughPosition: 500, before: Date.now() - 86_400_000, at: Date.now(), batchSize: 5_000 });
 * ```
 */
export async function pruneSqlite(db: Database.Database, request: PruneRequest): Promise<number> {
  // Taken once: a stream's newest event can only stop being the newest while the pass runs, never become it.
  const newest = db.prepare('SELECT max(position) FROM journal_events GROUP BY stream').pluck().all() as number[];
  const select = db.prepare(SELECT_BATCH).pluck();
  const remove = db.prepare('DELETE FROM journal_events WHERE position = ?');
  const batch = db.transaction((cursor: number): number[] => {
    const positions = select.all({
      cursor,
      through: request.throughPosition,
      before: request.before,
      newest: JSON.stringify(newest),
      finished: JSON.stringify(FINISHED_MESSAGE_TYPES),
      batch: request.batchSize,
    }) as number[];
    for (const position of positions) remove.run(position);
    return positions;
  });
  let removed = 0;
  let cursor = 0;
  for (;;) {
    const positions = batch.immediate(cursor);
    removed += positions.length;
    if (positions.length < request.batchSize) return removed;
    cursor = positions[positions.length - 1]!;
    await nextTurn();
  }
}

/**
 * Returns the pages a prune freed to the file system (see the module doc), then truncates the WAL.
 *
 * @example
 * ```ts
 * if (removed > 0) await giveSqliteSpaceBack(db);
 * ```
 */
export async function giveSqliteSpaceBack(db: Database.Database): Promise<void> {
  if (db.pragma('auto_vacuum', { simple: true }) !== 2) {
    db.pragma('auto_vacuum = INCREMENTAL');
    db.exec('VACUUM');
  } else {
    while ((db.pragma('freelist_count', { simple: true }) as number) > 0) {
      db.pragma(`incremental_vacuum(${VACUUM_PAGES})`);
      await nextTurn();
    }
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
}
