/**
 * Issue 16: start time and peak RSS of `mail-autopilot run --once` (the built CLI, a whole process) with nothing new
 * to do — an IMAP mailbox with an empty INBOX on the harness Dovecot — on a journal holding a long history, SQLite
 * and PostgreSQL, at two sizes. Goal: flat within 20 % between the sizes, and under 1 s / 150 MB at the larger.
 *
 * The history: `size` handled messages over 10 mailboxes (the configured one and 9 others), three events each
 * (discovered, matched, handled), written with bulk SQL (SQLite: one transaction of prepared inserts; PostgreSQL:
 * `INSERT … SELECT` over `generate_series`, indexes built afterwards). Then one snapshot taken by the real code: a
 * `Journal` with the service's projections folds the same events (served from memory, not read back through SQL)
 * and `journal.snapshot()` encodes them; the store files it. Each figure is the median of 7 runs, made in turns
 * with the other size and an empty journal (the machine is shared: load then hits all alike); the peak RSS is the
 * process's own `process.resourceUsage().maxRSS`, reported at exit. One more run of the larger journal without
 * its snapshot shows what every start cost before (the whole fold).
 *
 * Sizes: `BENCH_HISTORY_SIZES=1000000,5000000` (messages; the issue's figures, ~10 min and ~6 GB of disk in all);
 * the default `100000,500000` keeps `npm run bench` short. `BENCH_HISTORY_STORES=sqlite` or `postgres` for one.
 *
 * `npm run bench -- history` (needs `npm run build`).
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { loadConfig } from '../runtime/config/load.js';
import type { JournalEvent, StoredEvent } from '../runtime/journal/events.js';
import { Journal } from '../runtime/journal/journal.js';
import { PostgresJournalStore } from '../runtime/journal/postgres-store.js';
import { SqliteJournalStore } from '../runtime/journal/sqlite-store.js';
import type { JournalStore, ReadQuery } from '../runtime/journal/store.js';
import { perMailbox } from '../runtime/rules/per-mailbox-limiters.js';
import { AutoReplyLimiter } from '../runtime/rules/reply-limiter.js';
import { RuleSendLimiter } from '../runtime/rules/rule-send-limiter.js';
import { type MailServers, startMailServers } from '../scripts/harness/mail-servers.js';
import { type BenchResult, formatNumber, formatResults, median, progress } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/runtime/cli/bin.js');
const PG_URL = process.env.MAIL_AUTOPILOT_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const SIZES = (process.env.BENCH_HISTORY_SIZES ?? '100000,500000').split(',').map(Number);
const STORES = (process.env.BENCH_HISTORY_STORES ?? 'sqlite,postgres').split(',');
const ROUNDS = 7;
const MAILBOXES = ['bench', ...Array.from({ length: 9 }, (_, i) => `history-${i + 1}`)];
const EVENTS_PER_MESSAGE = 3;
const T0 = 1_700_000_000_000;
const MAX_RSS_HOOK = `data:text/javascript,process.on('exit',()=>process.stderr.write('MAXRSS '+process.resourceUsage().maxRSS+'\\n'))`;

/** Event `i` (0-based) of the history, with its position and stream version. */
function historyEvent(i: number): StoredEvent {
  const n = Math.floor(i / EVENTS_PER_MESSAGE);
  const step = i % EVENTS_PER_MESSAGE;
  const mailboxId = MAILBOXES[n % MAILBOXES.length]!;
  const k = Math.floor(n / MAILBOXES.length);
  const base = { mailboxId, key: `imap:INBOX:1:${k + 1}`, messageId: `<h${n}@bench.test>`, at: T0 + n };
  const event: JournalEvent =
    step === 0
      ? { type: 'message.discovered', ...base, subject: `Order ${n}`, from: 'customer@example.test' }
      : step === 1
        ? { type: 'message.matched', ...base, rules: ['orders'] }
        : { type: 'message.handled', ...base };
  return { ...event, position: i + 1, version: k * EVENTS_PER_MESSAGE + step + 1 } as StoredEvent;
}

/**
 * A read-only store that serves the generated history (and files no snapshot): the real `Journal` folds it, as a
 * start would fold the store, without reading millions of rows back through SQL.
 */
function generatedStore(total: number): JournalStore {
  return {
    append: async () => {
      throw new Error('read-only');
    },
    read: async (query: ReadQuery = {}) => {
      const from = query.fromPosition ?? 1;
      const until = Math.min(total, from - 1 + (query.limit ?? total));
      return Array.from({ length: Math.max(0, until - from + 1) }, (_, j) => historyEvent(from - 1 + j));
    },
    streamVersion: async () => 0,
    writeSnapshot: async () => undefined,
    latestSnapshot: async () => undefined,
    pruneEvents: async () => {
      throw new Error('read-only');
    },
    prunePasses: async () => [],
    close: async () => undefined,
  };
}

/** The snapshot bytes of the history, by the service's own projections and encoder. */
async function historySnapshot(configFile: string, total: number): Promise<{ position: number; data: Uint8Array }> {
  const config = loadConfig(configFile);
  // The projections the service opens its journal with (runtime/autopilot.ts), so the snapshot's keys match.
  const limiters = new Map(
    config.mailboxes.map((m) => [
      m.id,
      new AutoReplyLimiter({ max: m.autoReply.perCorrespondent, windowMs: m.autoReply.window }),
    ]),
  );
  const perRule = new Map(config.mailboxes.map((m) => [m.id, m.autoReply.perRulePerHour]));
  const projections = [perMailbox(limiters), new RuleSendLimiter({ perHour: (id) => perRule.get(id) ?? 0 })];
  const journal = await Journal.open(generatedStore(total), { projections, pageSize: 50_000 });
  return journal.snapshot();
}

function fillSqlite(file: string, total: number): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insert = db.prepare(
    'INSERT INTO journal_events (position, stream, version, type, msg_key, at, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const chunk = 200_000;
  const tx = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const e = historyEvent(i) as StoredEvent & { key: string };
      insert.run(e.position, e.mailboxId, e.version, e.type, e.key, e.at, JSON.stringify(e));
    }
  });
  for (let from = 0; from < total; from += chunk) tx(from, Math.min(total, from + chunk));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

async function fillPostgres(schema: string, total: number): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const s = `"${schema}"`;
    const messages = total / EVENTS_PER_MESSAGE;
    const boxes = `ARRAY[${MAILBOXES.map((m) => `'${m}'`).join(',')}]`;
    await client.query(`DROP INDEX ${s}.journal_events_stream_version; DROP INDEX ${s}.journal_events_key;`);
    // The same events as historyEvent(), built by the server.
    await client.query(`
      INSERT INTO ${s}.journal_events (position, stream, version, type, msg_key, at, data)
      SELECT p, box, ver, type, key, at,
             CASE step
               WHEN 0 THEN json_build_object('type', type, 'mailboxId', box, 'key', key, 'messageId', mid, 'at', at,
                           'subject', 'Order ' || n, 'from', 'customer@example.test', 'position', p, 'version', ver)
               WHEN 1 THEN json_build_object('type', type, 'mailboxId', box, 'key', key, 'messageId', mid, 'at', at,
                           'rules', json_build_array('orders'), 'position', p, 'version', ver)
               ELSE json_build_object('type', type, 'mailboxId', box, 'key', key, 'messageId', mid, 'at', at,
                           'position', p, 'version', ver)
             END
      FROM (
        SELECT n, step, n * 3 + step + 1 AS p,
               (${boxes})[n % ${MAILBOXES.length} + 1] AS box,
               (n / ${MAILBOXES.length}) * 3 + step + 1 AS ver,
               (ARRAY['message.discovered', 'message.matched', 'message.handled'])[step + 1] AS type,
               'imap:INBOX:1:' || (n / ${MAILBOXES.length} + 1) AS key,
               '<h' || n || '@bench.test>' AS mid,
               ${T0}::bigint + n AS at
        FROM generate_series(0, ${messages - 1}) AS n, generate_series(0, 2) AS step
      ) g`);
    await client.query(`CREATE UNIQUE INDEX journal_events_stream_version ON ${s}.journal_events (stream, version)`);
    await client.query(
      `CREATE INDEX journal_events_key ON ${s}.journal_events (msg_key, stream) WHERE msg_key IS NOT NULL`,
    );
    await client.query(`ANALYZE ${s}.journal_events`);
  } finally {
    await client.end();
  }
}

async function dropSnapshots(kind: string, journal: string, schema: string): Promise<void> {
  if (kind === 'sqlite') {
    const db = new Database(journal);
    db.prepare('DELETE FROM journal_snapshots').run();
    db.close();
    return;
  }
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DELETE FROM "${schema}".journal_snapshots`).finally(() => client.end());
}

function writeConfig(dir: string, servers: MailServers, journal: string): string {
  const account = servers.user('bench');
  const file = join(dir, 'autopilot.yaml');
  writeFileSync(
    file,
    [
      `journal: ${JSON.stringify(journal)}`,
      'mailboxes:',
      '  - id: bench',
      `    server: imaps://127.0.0.1:${servers.ports.imaps}`,
      `    user: ${account.user}`,
      `    password: ${JSON.stringify(account.password)}`,
      `    tlsCa: ${servers.caFile}`,
      '    rules:',
      '      - name: orders',
      '        subject: { contains: "Order" }',
      '        actions: [markRead]',
    ].join('\n'),
  );
  return file;
}

interface RunFigures {
  readonly ms: number;
  readonly rssMb: number;
}

function runOnce(config: string, dir: string): Promise<RunFigures> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', MAX_RSS_HOOK, CLI, 'run', '--once', '--config', config], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, HOME: dir },
    });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => {
      const ms = performance.now() - started;
      const rss = /MAXRSS (\d+)/.exec(stderr);
      if (code !== 0 || !rss) reject(new Error(`run --once exited ${code}: ${stderr.slice(-800)}`));
      else resolve({ ms, rssMb: Number(rss[1]) / 1024 });
    });
  });
}

/** A journal of one store and size, ready for `run --once`. */
interface Prepared {
  readonly size: number;
  readonly config: string;
  readonly dir: string;
  readonly journal: string;
  readonly schema: string;
  readonly bytes: number;
  readonly snapshotBytes: number;
  readonly cleanup: () => Promise<void>;
}

/** Writes the history of `size` messages (0: an empty journal) and its snapshot. */
async function prepare(kind: string, size: number, servers: MailServers): Promise<Prepared> {
  const dir = mkdtempSync(join(tmpdir(), `bench-history-${kind}-`));
  const total = size * EVENTS_PER_MESSAGE;
  const schema = `bench_history_${randomBytes(4).toString('hex')}`;
  const journal = kind === 'sqlite' ? join(dir, 'journal.db') : `${PG_URL}?schema=${schema}`;
  const config = writeConfig(dir, servers, journal);
  const cleanup = async () => {
    rmSync(dir, { recursive: true, force: true });
    if (kind === 'postgres') {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
    }
  };
  try {
    progress('history', `${kind}: writing ${formatNumber(size)} messages (${formatNumber(total)} events)`);
    const store: JournalStore =
      kind === 'sqlite' ? new SqliteJournalStore(journal, { lock: false }) : await PostgresJournalStore.open(journal);
    await store.close();
    if (total === 0) return { size, config, dir, journal, schema, bytes: 0, snapshotBytes: 0, cleanup };
    if (kind === 'sqlite') fillSqlite(journal, total);
    else await fillPostgres(schema, total);
    progress('history', `${kind}: one snapshot of ${formatNumber(size)} messages by the real fold`);
    const snapshot = await historySnapshot(config, total);
    const reopened =
      kind === 'sqlite' ? new SqliteJournalStore(journal, { lock: false }) : await PostgresJournalStore.open(journal);
    await reopened.writeSnapshot({ position: snapshot.position, at: Date.now(), data: snapshot.data });
    await reopened.close();
    const bytes = kind === 'sqlite' ? statSync(journal).size : 0;
    return { size, config, dir, journal, schema, bytes, snapshotBytes: snapshot.data.byteLength, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** `run --once` on each prepared journal in turns (so load on the shared machine hits all alike): medians. */
async function measureInTurns(kind: string, journals: readonly Prepared[]): Promise<RunFigures[]> {
  const runs: RunFigures[][] = journals.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    progress('history', `${kind}: run --once round ${round + 1}/${ROUNDS}`);
    for (const [i, journal] of journals.entries()) runs[i]!.push(await runOnce(journal.config, journal.dir));
  }
  return runs.map((r) => ({ ms: median(r.map((x) => x.ms)), rssMb: median(r.map((x) => x.rssMb)) }));
}

/**
 * Runs the history bench and returns its figures.
 *
 * @example
 * ```ts
 * const rows = await run();
 * ```
 */
export async function run(): Promise<BenchResult[]> {
  if (!existsSync(CLI)) throw new Error('bench history: run `npm run build` first (it runs the built CLI)');
  const [small, large] = SIZES as [number, number];
  const servers = await startMailServers({ users: ['bench'], smtp: false });
  const results: BenchResult[] = [];
  try {
    for (const kind of STORES) {
      const prepared: Prepared[] = [];
      try {
        for (const size of [0, small, large]) prepared.push(await prepare(kind, size, servers));
        const [empty, a, b] = await measureInTurns(kind, prepared);
        const [, pa, pb] = prepared;
        // For comparison, one start of the large journal without any snapshot: the whole history folded.
        progress('history', `${kind} ${formatNumber(large)}: run --once without a snapshot`);
        await dropSnapshots(kind, pb!.journal, pb!.schema);
        const fold = await runOnce(pb!.config, pb!.dir);
        const sizes = `${formatNumber(large)} vs ${formatNumber(small)} messages`;
        const file = (p: Prepared) =>
          `snapshot ${formatNumber(p.snapshotBytes / 1024)} KB${p.bytes ? `, journal file ${formatNumber(p.bytes / 2 ** 20)} MB` : ''}`;
        const base = `an empty journal: ${formatNumber(empty!.ms)} ms, ${formatNumber(empty!.rssMb)} MB`;
        results.push(
          {
            bench: 'history',
            id: `${kind}-time`,
            title: `run --once with nothing to do, ${kind}: ${sizes}`,
            unit: 'ms',
            plain: a!.ms,
            adapter: b!.ms,
            ratio: b!.ms / a!.ms,
            goal: { text: '≤ 1.20× and < 1000 ms', met: b!.ms / a!.ms <= 1.2 && b!.ms < 1000 },
            note: `whole process incl. IMAPS login, median of ${ROUNDS} in turns; ${base}; small: ${file(pa!)}; large: ${file(pb!)}`,
          },
          {
            bench: 'history',
            id: `${kind}-rss`,
            title: `run --once peak RSS, ${kind}: ${sizes}`,
            unit: 'MB',
            plain: a!.rssMb,
            adapter: b!.rssMb,
            ratio: b!.rssMb / a!.rssMb,
            goal: { text: '≤ 1.20× and < 150 MB', met: b!.rssMb / a!.rssMb <= 1.2 && b!.rssMb < 150 },
            note: `process.resourceUsage().maxRSS at exit, median of ${ROUNDS}`,
          },
          {
            bench: 'history',
            id: `${kind}-fold`,
            title: `run --once, ${kind}, ${formatNumber(large)} messages: whole fold (no snapshot) vs from the snapshot`,
            unit: 'ms',
            plain: b!.ms,
            adapter: fold.ms,
            ratio: fold.ms / b!.ms,
            note: `one run without a snapshot: peak RSS ${formatNumber(fold.rssMb)} MB (from the snapshot: ${formatNumber(b!.rssMb)} MB)`,
          },
        );
      } finally {
        for (const p of prepared) await p.cleanup();
      }
    }
  } finally {
    await servers.stop();
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(formatResults(await run()));
}
