/**
 * Retention bench (issue 16, part 3): the journal's size before and after retention removes 90 % of its history,
 * and how long the prune takes.
 *
 * The journal holds `events` events (default 1,000,000 for SQLite, 200,000 for PostgreSQL: 5 per handled message
 * over 100 mailboxes, the journal bench's history), then one pass removes every event up to 90 % of the positions
 * (as if a checkpoint covered them and they were older than `journal.retain`).
 *
 * - SQLite: bytes of the file (`-wal` included) before, and after the pass (incremental vacuum + WAL truncate).
 * - PostgreSQL: `pg_total_relation_size` of `journal_events` before, after the pass, and after a plain `VACUUM`
 *   (what autovacuum does: the space is reusable by later appends, the files hardly shrink; `VACUUM FULL` would
 *   shrink them under an exclusive lock, which the product never takes).
 *
 * Figures: `plain` is the size before, `adapter` after, `ratio` after / before (goal: ≤ 0.2 for SQLite).
 *
 * Run: `npm run bench -- retention` or `npx tsx bench/retention.ts [sqliteEvents] [postgresEvents]`.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { parsePostgresLocation, quoteSchema } from '../runtime/journal/postgres/location.js';
import { PostgresJournalStore } from '../runtime/journal/postgres-store.js';
import { PRUNE_BATCH } from '../runtime/journal/retention.js';
import { SqliteJournalStore } from '../runtime/journal/sqlite-store.js';
import type { JournalStore } from '../runtime/journal/store.js';
import { fill, withPgSchema } from './journal.js';
import { atMost, type BenchResult, formatNumber, formatResults } from './lib.js';

const SQLITE_EVENTS = Number(process.env.BENCH_RETENTION_SQLITE ?? process.argv[2] ?? 1_000_000);
const PG_EVENTS = Number(process.env.BENCH_RETENTION_PG ?? process.argv[3] ?? 200_000);
const MB = 1024 * 1024;

function fileBytes(file: string): number {
  const size = (f: string) => {
    try {
      return statSync(f).size;
    } catch {
      return 0;
    }
  };
  return size(file) + size(`${file}-wal`);
}

/** Removes 90 % of the history (positions), returns the pass's ms. */
async function pruneNinetyPercent(store: JournalStore, total: number): Promise<number> {
  const start = performance.now();
  const pass = await store.pruneEvents({
    throughPosition: Math.floor(total * 0.9),
    before: Number.MAX_SAFE_INTEGER,
    at: Date.now(),
    batchSize: PRUNE_BATCH,
  });
  const ms = performance.now() - start;
  if (pass.removed !== Math.floor(total * 0.9)) throw new Error(`pruned ${pass.removed} of ${total * 0.9}`);
  return ms;
}

async function sqliteFigures(dir: string): Promise<{ before: number; after: number; ms: number }> {
  const file = join(dir, 'retention.db');
  const filling = new SqliteJournalStore(file, { synchronous: 'NORMAL' });
  await fill(filling, SQLITE_EVENTS);
  await filling.close();
  const before = fileBytes(file);
  const store = new SqliteJournalStore(file, { synchronous: 'NORMAL' });
  const ms = await pruneNinetyPercent(store, SQLITE_EVENTS);
  await store.close();
  return { before, after: fileBytes(file), ms };
}

async function postgresFigures(): Promise<{ before: number; after: number; vacuumed: number; ms: number }> {
  return withPgSchema(async (url) => {
    const store = await PostgresJournalStore.open(url);
    await fill(store, PG_EVENTS);
    const table = `${quoteSchema(parsePostgresLocation(url).schema)}.journal_events`;
    const client = new pg.Client({ connectionString: parsePostgresLocation(url).connectionString });
    await client.connect();
    try {
      const size = async () => Number((await client.query(`SELECT pg_total_relation_size('${table}') AS s`)).rows[0].s);
      const before = await size();
      const ms = await pruneNinetyPercent(store, PG_EVENTS);
      const after = await size();
      await client.query(`VACUUM ${table}`);
      return { before, after, vacuumed: await size(), ms };
    } finally {
      await client.end();
      await store.close();
    }
  });
}

/**
 * Measures and returns the figures (see the module comment).
 *
 * @example
 * ```ts
 * console.log(formatResults(await run()));
 * ```
 */
export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-retention-'));
  try {
    const lite = await sqliteFigures(dir);
    console.log(
      `retention a: SQLite, ${formatNumber(SQLITE_EVENTS)} events: ${(lite.before / MB).toFixed(1)} MB before, ` +
        `${(lite.after / MB).toFixed(1)} MB after pruning 90 % (${formatNumber(lite.ms)} ms)`,
    );
    const pgf = await postgresFigures();
    console.log(
      `retention b: PostgreSQL, ${formatNumber(PG_EVENTS)} events: ${(pgf.before / MB).toFixed(1)} MB before, ` +
        `${(pgf.after / MB).toFixed(1)} MB after pruning 90 % (${formatNumber(pgf.ms)} ms), ` +
        `${(pgf.vacuumed / MB).toFixed(1)} MB after VACUUM`,
    );
    const ratio = lite.after / lite.before;
    return [
      {
        bench: 'retention',
        id: 'a',
        title: `SQLite journal file, ${formatNumber(SQLITE_EVENTS)} events, before / after retention of 90 %`,
        unit: 'MB',
        plain: lite.before / MB,
        adapter: lite.after / MB,
        ratio,
        goal: atMost(ratio, 0.2),
        note: `prune ${formatNumber(lite.ms)} ms in batches of ${formatNumber(PRUNE_BATCH)}, incremental vacuum`,
      },
      {
        bench: 'retention',
        id: 'b',
        title: `PostgreSQL journal_events, ${formatNumber(PG_EVENTS)} events, before / after retention of 90 %`,
        unit: 'MB',
        plain: pgf.before / MB,
        adapter: pgf.vacuumed / MB,
        ratio: pgf.vacuumed / pgf.before,
        note: `prune ${formatNumber(pgf.ms)} ms; after: once VACUUMed (space reusable, files barely shrink); before VACUUM ${(pgf.after / MB).toFixed(1)} MB`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(formatResults(await run()));
}
