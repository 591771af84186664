/**
 * Retention in the PostgreSQL journal (issue 16, part 3): the rule of `retention.ts` as SQL, deleted in batches.
 *
 * Locking: each batch is one autocommitted `DELETE` of the qualifying rows in a window of `batchSize` positions. It takes row locks on
 * old rows only and never the journal's advisory append lock, so appends (which insert new rows above the head)
 * proceed while a prune runs. PostgreSQL does not shrink the table file: the dead rows' space is reused by later
 * appends once autovacuum has run (`VACUUM FULL` would give it back to the file system, under an exclusive lock; the
 * product never runs it, see docs/journal.md).
 *
 * @module
 */
import type pg from 'pg';
import { FINISHED_MESSAGE_TYPES, type PrunePass, type PruneRequest } from '../store.js';
import { quoteSchema } from './location.js';

/**
 * Removes what `request` selects in `schema`, batch by batch, records the pass when it removed something, and
 * returns it.
 *
 * @example
 * ```ts
 * const pass = await prunePostgres(pool, 'mail_autopilot', { throughPosition: 500, before, at: Date.now(), batchSize: 5_000 });
 * ```
 */
export async function prunePostgres(pool: pg.Pool, schema: string, request: PruneRequest): Promise<PrunePass> {
  const s = quoteSchema(schema);
  const newest = await pool.query<{ p: string }>(`SELECT max(position) AS p FROM ${s}.journal_events GROUP BY stream`);
  const keep = newest.rows.map((row) => row.p);
  const text = `
WITH doomed AS MATERIALIZED (
  SELECT e.position FROM ${s}.journal_events e
  WHERE e.position > $1 AND e.position <= least($2, $1 + $6) AND e.at < $3 AND NOT (e.position = ANY($4::bigint[]))
    AND (left(e.type, 8) = 'mailbox.' OR (e.msg_key IS NOT NULL AND EXISTS (
      SELECT 1 FROM (
        SELECT l.type, l.position, l.at FROM ${s}.journal_events l
        WHERE l.msg_key = e.msg_key AND l.stream = e.stream ORDER BY l.position DESC LIMIT 1
      ) n
      WHERE n.type = ANY($5::text[]) AND n.position <= $2 AND n.at < $3)))
), gone AS (
  -- An array, not IN (subquery): the planner then deletes by the primary key instead of scanning the table.
  DELETE FROM ${s}.journal_events WHERE position = ANY(ARRAY(SELECT position FROM doomed)) RETURNING position
)
SELECT count(*)::int AS n FROM gone`;
  let removed = 0;
  // Batches are windows of `batchSize` positions, not "the first n that qualify": with a LIMIT the planner may still
  // test every row of the range per statement (seen: 45,000 subplan runs for 5,000 rows), a window bounds each one.
  const first = await pool.query<{ p: string | null }>(`SELECT min(position) AS p FROM ${s}.journal_events`);
  let cursor = Math.max(0, Number(first.rows[0]?.p ?? 0) - 1);
  while (cursor < request.throughPosition) {
    const { rows } = await pool.query<{ n: number }>(text, [
      cursor,
      request.throughPosition,
      request.before,
      keep,
      FINISHED_MESSAGE_TYPES,
      request.batchSize,
    ]);
    removed += rows[0]!.n;
    cursor += request.batchSize;
  }
  const pass = { at: request.at, throughPosition: request.throughPosition, before: request.before, removed };
  if (removed > 0) {
    await pool.query(
      `INSERT INTO ${s}.journal_prunes (at, through_position, before_at, removed) VALUES ($1, $2, $3, $4)`,
      [pass.at, pass.throughPosition, pass.before, pass.removed],
    );
  }
  return pass;
}

/**
 * The recorded prune passes of `schema`, oldest first.
 *
 * @example
 * ```ts
 * const passes = await prunePassesPostgres(pool, 'mail_autopilot');
 * ```
 */
export async function prunePassesPostgres(pool: pg.Pool, schema: string): Promise<PrunePass[]> {
  const { rows } = await pool.query<{ at: string; t: string; b: string; removed: string }>(
    `SELECT at, through_position AS t, before_at AS b, removed FROM ${quoteSchema(schema)}.journal_prunes ORDER BY id`,
  );
  return rows.map((row) => ({
    at: Number(row.at),
    throughPosition: Number(row.t),
    before: Number(row.b),
    removed: Number(row.removed),
  }));
}
