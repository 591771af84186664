/**
 * Journal bench (issue 4, item 8, and issue 9, item 5): appends per second and the rebuild of the projections from
 * 1,000,000 events, SQLite (the embedded default) against PostgreSQL (the shared journal of several hosts).
 *
 * (a) One event per append, one writer, with an expected version (what `Journal.append` does for every step of a
 *     message): appends/s. SQLite with `synchronous=FULL` (the default), PostgreSQL with its defaults
 *     (`synchronous_commit=on`): both wait for the disk on every commit.
 * (b) The same with 100 events per append: events/s.
 * (c) PostgreSQL with 4 writers at once (4 store instances, 4 streams, as 4 hosts would): appends/s in all. Appends
 *     are serialised by the journal's advisory lock (dense positions, docs/scale-out.md), so this shows what that
 *     costs against one writer.
 * (d) Rebuild: `Journal.open` over 1,000,000 events (200,000 messages × 5 events over 100 mailboxes): ms.
 *
 * Figures: `plain` is SQLite, `adapter` is PostgreSQL, `ratio` PostgreSQL / SQLite (for (c): 4 writers / 1 writer).
 * PostgreSQL is the server at 127.0.0.1:5432 (`MAIL_AUTOPILOT_BENCH_PG` overrides), in a throwaway schema.
 *
 * Run: `npm run bench -- journal` or `npx tsx bench/journal.ts [events]` (default 1,000,000).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { JournalEvent } from '../runtime/journal/events.js';
import { Journal } from '../runtime/journal/journal.js';
import { PostgresJournalStore } from '../runtime/journal/postgres-store.js';
import { SqliteJournalStore } from '../runtime/journal/sqlite-store.js';
import type { JournalStore } from '../runtime/journal/store.js';
import { type BenchResult, formatNumber, formatResults, perSecond } from './lib.js';

const PG_URL = process.env.MAIL_AUTOPILOT_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const REBUILD_EVENTS = Number(process.env.BENCH_JOURNAL_EVENTS ?? process.argv[2] ?? 1_000_000);
const WINDOW_MS = 3_000;
const T0 = 1_700_000_000_000;

function attempt(mailboxId: string, n: number): JournalEvent {
  return { type: 'mailbox.attempt', mailboxId, at: T0 + n, attempt: n };
}

/** The five events of one handled message (discovered → matched → handler started/succeeded → handled). */
function messageEvents(mailboxId: string, n: number): JournalEvent[] {
  const base = { mailboxId, key: `imap:INBOX:1:${n}`, messageId: `<m${n}@bench.test>`, at: T0 + n };
  return [
    { type: 'message.discovered', ...base, subject: `Order ${n}`, from: 'customer@example.test' },
    { type: 'message.matched', ...base, rules: ['orders'] },
    { type: 'handler.started', ...base, rule: 'orders', attempt: 1 },
    { type: 'handler.succeeded', ...base, rule: 'orders', attempt: 1 },
    { type: 'message.handled', ...base },
  ];
}

/** Appends/s of one writer, one event (or `batch` events) per append, for WINDOW_MS after a warm-up. */
async function appendRate(store: JournalStore, stream: string, batch: number): Promise<number> {
  let version = await store.streamVersion(stream);
  const once = async (n: number) => {
    const events = Array.from({ length: batch }, (_, i) => attempt(stream, n * batch + i));
    await store.append(events, { expectedVersion: { [stream]: version } });
    version += batch;
  };
  for (let i = 0; i < 50; i++) await once(i);
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < WINDOW_MS) await once(1_000 + count++);
  return perSecond(count, performance.now() - start);
}

/**
 * Fills a store with `total` events (5 per message, 100 mailboxes, every message handled), in batches.
 *
 * @example
 * ```ts
 * await fill(new SqliteJournalStore(file, { synchronous: 'NORMAL' }), 1_000_000);
 * ```
 */
export async function fill(store: JournalStore, total: number): Promise<void> {
  const perBatch = 10_000;
  for (let done = 0; done < total; done += perBatch) {
    const events: JournalEvent[] = [];
    for (let n = done / 5; events.length < Math.min(perBatch, total - done); n++) {
      events.push(...messageEvents(`mailbox-${n % 100}`, n));
    }
    await store.append(events.slice(0, Math.min(perBatch, total - done)));
  }
}

async function rebuildMs(open: () => JournalStore | Promise<JournalStore>, expected: number): Promise<number> {
  const store = await open();
  const start = performance.now();
  const journal = await Journal.open(store);
  const ms = performance.now() - start;
  const position = journal.position;
  await journal.close();
  if (position !== expected) throw new Error(`rebuild read ${position} events, expected ${expected}`);
  return ms;
}

/**
 * Runs `task` with the URL of a throwaway PostgreSQL schema, dropped afterwards.
 *
 * @example
 * ```ts
 * const ms = await withPgSchema(async (url) => rebuildMs(() => PostgresJournalStore.open(url), 0));
 * ```
 */
export async function withPgSchema<T>(task: (url: string) => Promise<T>): Promise<T> {
  const schema = `bench_journal_${randomBytes(4).toString('hex')}`;
  const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
  try {
    return await task(url);
  } finally {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
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
  const dir = mkdtempSync(join(tmpdir(), 'bench-journal-'));
  const results: BenchResult[] = [];
  const row = (id: string, title: string, unit: string, sqlite: number, postgres: number, note: string) => {
    results.push({
      bench: 'journal',
      id,
      title,
      unit,
      plain: sqlite,
      adapter: postgres,
      ratio: postgres / sqlite,
      note,
    });
    console.log(
      `journal ${id}: ${title}: SQLite ${formatNumber(sqlite)} ${unit}, PostgreSQL ${formatNumber(postgres)} ${unit}`,
    );
  };
  try {
    // (a) and (b): one writer.
    const sqlite = new SqliteJournalStore(join(dir, 'appends.db'));
    const sqliteOne = await appendRate(sqlite, 'support', 1);
    const sqliteBatch = (await appendRate(sqlite, 'sales', 100)) * 100;
    await sqlite.close();
    const [pgOne, pgBatch, pgFour] = await withPgSchema(async (url) => {
      const store = await PostgresJournalStore.open(url);
      const one = await appendRate(store, 'support', 1);
      const batch = (await appendRate(store, 'sales', 100)) * 100;
      await store.close();
      const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresJournalStore.open(url)));
      const rates = await Promise.all(stores.map((s, i) => appendRate(s, `host-${i}`, 1)));
      await Promise.all(stores.map((s) => s.close()));
      return [one, batch, rates.reduce((a, b) => a + b, 0)];
    });
    row('a', 'appends/s, 1 event each, 1 writer', 'appends/s', sqliteOne, pgOne, `${WINDOW_MS / 1000} s window each`);
    row(
      'b',
      'events/s, 100 events per append, 1 writer',
      'events/s',
      sqliteBatch,
      pgBatch,
      `${WINDOW_MS / 1000} s window each`,
    );
    results.push({
      bench: 'journal',
      id: 'c',
      title: 'PostgreSQL appends/s, 4 writers at once (plain: 1 writer)',
      unit: 'appends/s',
      plain: pgOne,
      adapter: pgFour,
      ratio: pgFour / pgOne,
      note: 'appends are serialised by the journal advisory lock',
    });
    console.log(
      `journal c: PostgreSQL, 4 writers: ${formatNumber(pgFour)} appends/s in all (1 writer: ${formatNumber(pgOne)})`,
    );

    // (d) rebuild from REBUILD_EVENTS events.
    const file = join(dir, 'rebuild.db');
    const filling = new SqliteJournalStore(file, { synchronous: 'NORMAL' });
    let start = performance.now();
    await fill(filling, REBUILD_EVENTS);
    await filling.close();
    console.log(
      `journal: SQLite filled with ${formatNumber(REBUILD_EVENTS)} events in ${formatNumber(performance.now() - start)} ms`,
    );
    const sqliteRebuild = await rebuildMs(() => new SqliteJournalStore(file), REBUILD_EVENTS);
    const pgRebuild = await withPgSchema(async (url) => {
      const store = await PostgresJournalStore.open(url);
      start = performance.now();
      await fill(store, REBUILD_EVENTS);
      await store.close();
      console.log(
        `journal: PostgreSQL filled with ${formatNumber(REBUILD_EVENTS)} events in ${formatNumber(performance.now() - start)} ms`,
      );
      return rebuildMs(() => PostgresJournalStore.open(url), REBUILD_EVENTS);
    });
    row(
      'd',
      `rebuild of the projections from ${formatNumber(REBUILD_EVENTS)} events`,
      'ms',
      sqliteRebuild,
      pgRebuild,
      `Journal.open, pages of 10,000; ${REBUILD_EVENTS / 5} messages over 100 mailboxes`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(formatResults(await run()));
}
