/**
 * The embedded journal store: one SQLite file (better-sqlite3 12) in WAL mode, next to the config by default.
 *
 * Durability: every `append` is one `BEGIN IMMEDIATE … COMMIT` transaction, and SQLite has written it to the WAL
 * file before `append` resolves, so killing the process (SIGKILL) at any later moment cannot lose it: the bytes are
 * in the operating system's page cache and the next open replays the WAL. `synchronous` decides the rest:
 *
 * - `'FULL'` (the default) also fsyncs the WAL on every commit, so an append survives a power cut or kernel crash.
 *   The journal records effects outside the process (a reply sent, a message moved); losing an `action.done` would
 *   repeat that effect, so the default pays the fsync. Measured on this machine kind (one-insert WAL transactions
 *   in better-sqlite3): ~2,400 commits/s with FULL against ~23,000/s with NORMAL, i.e. ~0.4 ms of fsync per append,
 *   small next to the SMTP send, IMAP move or process spawn each append records.
 * - `'NORMAL'` skips that fsync (WAL + NORMAL is still safe against process crashes and never corrupts the file;
 *   after a power cut the last commits may be missing). For benches and bulk imports.
 *
 * Concurrency: appends take SQLite's write lock first (`IMMEDIATE`), then check expected versions and insert, so
 * two store instances (or processes) on one file serialise and an expected-version check cannot race; a unique
 * index on (stream, version) backs that up.
 *
 * One writer (issue 13.3): a store opened for writing (the default) holds the journal's writer lock
 * (`<file>.lock`, see `writer-lock.ts`) until `close()` or process exit, so a second service on the same file fails
 * at once with `JOURNAL_LOCKED` instead of wedging the first one with conflicts. Readers (`lock: false`: the CLI's
 * `status`, `events`, `dead-letters`) take no lock and read alongside a running service (WAL). `dead-letters retry`
 * appends its operator event through such a reader: SQLite's own write lock (`BEGIN IMMEDIATE`, held for the one
 * insert) serialises it with the service, and the service's `Journal` takes an operator event in and retries.
 *
 * Files (issue 13.7): a journal this store creates is mode 0600 whatever the umask; SQLite gives its -wal and -shm
 * files the mode of the database file, and the lock file is 0600 too.
 *
 * @module
 */
import { closeSync, fchmodSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { assertJournalEvent, type JournalEvent, type StoredEvent } from './events.js';
import { giveSqliteSpaceBack, pruneSqlite } from './sqlite-prune.js';
import {
  type AppendOptions,
  assertBeforePosition,
  assertExpectedVersions,
  assertPruneRequest,
  assertSnapshot,
  JournalConflictError,
  type JournalSnapshot,
  type JournalStore,
  normalizeReadQuery,
  type PrunePass,
  type PruneRequest,
  type ReadQuery,
  SNAPSHOTS_KEPT,
} from './store.js';
import { acquireJournalLock, type JournalLock } from './writer-lock.js';

/**
 * Options of {@link SqliteJournalStore}.
 *
 * @example
 * ```ts
 * const options: SqliteJournalStoreOptions = { synchronous: 'NORMAL', busyTimeoutMs: 10_000 };
 * ```
 */
export interface SqliteJournalStoreOptions {
  /** `'FULL'` (default): durable across power loss. `'NORMAL'`: durable across process crashes only. */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** How long an append waits for another connection's write lock before failing with SQLITE_BUSY. Default 5 s. */
  readonly busyTimeoutMs?: number;
  /**
   * Hold the journal's writer lock (default `true`): a second store opened with the lock on the same file throws
   * `JournalLockedError` (`JOURNAL_LOCKED`). `false` for readers beside a running service; such a store may still
   * append (SQLite serialises the write), which the CLI does only for operator events (`dead-letters retry`).
   */
  readonly lock?: boolean;
}

/** Creates the journal file with mode 0600 before SQLite does (it would use 0644 minus the umask). */
function createPrivateFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw error;
  }
  try {
    fchmodSync(fd, 0o600); // openSync's mode is narrowed by the umask, never widened; make it exact
  } finally {
    closeSync(fd);
  }
}

function isFilePath(path: string): boolean {
  return path !== '' && path !== ':memory:' && !path.startsWith('file:');
}

/** Bumped when the table layout changes; an unknown newer layout is refused instead of misread. */
const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS journal_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS journal_events (
  position INTEGER PRIMARY KEY,
  stream   TEXT    NOT NULL,
  version  INTEGER NOT NULL,
  type     TEXT    NOT NULL,
  msg_key  TEXT,
  at       INTEGER NOT NULL,
  data     TEXT    NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS journal_events_stream_version ON journal_events (stream, version);
CREATE INDEX IF NOT EXISTS journal_events_key ON journal_events (msg_key, stream) WHERE msg_key IS NOT NULL;
-- Checkpoints of the projections (issue 16). Additive: a program that predates it ignores the table, so the
-- schema version stays 1.
CREATE TABLE IF NOT EXISTS journal_snapshots (
  position INTEGER PRIMARY KEY,
  at       INTEGER NOT NULL,
  data     BLOB    NOT NULL
);
-- Retention passes that removed something (issue 16): \`events --message\` tells what retention removed and when.
CREATE TABLE IF NOT EXISTS journal_prunes (
  at               INTEGER NOT NULL,
  through_position INTEGER NOT NULL,
  before_at        INTEGER NOT NULL,
  removed          INTEGER NOT NULL
);
`;

/**
 * A {@link JournalStore} in a SQLite file. Opening creates the file and its tables when missing.
 *
 * @example
 * ```ts
 * const store = new SqliteJournalStore('./autopilot.db');
 * const journal = await Journal.open(store);
 * // …
 * await journal.close(); // closes the store
 * ```
 */
export class SqliteJournalStore implements JournalStore {
  /** The file this store writes (or `:memory:`). */
  readonly path: string;
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[number, string, number, string, string | null, number, string]>;
  readonly #version: Database.Statement<[string]>;
  readonly #head: Database.Statement<[]>;
  readonly #appendTx: (events: readonly JournalEvent[], expected: Readonly<Record<string, number>>) => StoredEvent[];
  readonly #reads = new Map<string, Database.Statement>();
  readonly #snapshotTx: (snapshot: JournalSnapshot) => void;
  readonly #latestSnapshot: Database.Statement<[number]>;
  readonly #lock: JournalLock | undefined;
  #closed = false;

  constructor(path: string, options: SqliteJournalStoreOptions = {}) {
    this.path = path;
    const onDisk = isFilePath(path);
    // The lock comes first: a second writer must not so much as open the file.
    this.#lock = onDisk && options.lock !== false ? acquireJournalLock(path) : undefined;
    try {
      if (onDisk) createPrivateFile(path);
      this.#db = new Database(path, { timeout: options.busyTimeoutMs ?? 5_000 });
    } catch (error) {
      this.#lock?.release();
      throw error;
    }
    try {
      // Before any table exists (a new file) this makes freed pages returnable (retention's incremental vacuum); an
      // older file gets it from the one-time VACUUM the first prune runs (see `#giveSpaceBack`). Only on a new file:
      // the pragma writes page 1 each time it is set, and a reader (`status`, a dry run) must write nothing.
      const tables = this.#db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'").pluck().get();
      if (tables === 0) this.#db.pragma('auto_vacuum = INCREMENTAL');
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
      this.#db.exec(SCHEMA);
      this.#checkSchemaVersion();
    } catch (error) {
      this.#db.close();
      this.#lock?.release();
      throw error;
    }
    this.#insert = this.#db.prepare(
      'INSERT INTO journal_events (position, stream, version, type, msg_key, at, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.#head = this.#db.prepare('SELECT coalesce(max(position), 0) FROM journal_events').pluck();
    this.#version = this.#db.prepare('SELECT coalesce(max(version), 0) FROM journal_events WHERE stream = ?').pluck();
    const tx = this.#db.transaction((events: readonly JournalEvent[], expected: Readonly<Record<string, number>>) =>
      this.#appendInTransaction(events, expected),
    );
    // IMMEDIATE takes the write lock before the version check, so no other connection can append in between.
    this.#appendTx = (events, expected) => tx.immediate(events, expected);
    const putSnapshot = this.#db.prepare(
      'INSERT OR REPLACE INTO journal_snapshots (position, at, data) VALUES (?, ?, ?)',
    );
    const pruneSnapshots = this.#db.prepare(
      'DELETE FROM journal_snapshots WHERE position NOT IN (SELECT position FROM journal_snapshots ORDER BY position DESC LIMIT ?)',
    );
    const snapshotTx = this.#db.transaction((snapshot: JournalSnapshot) => {
      assertSnapshot(snapshot, this.#head.get() as number);
      putSnapshot.run(
        snapshot.position,
        snapshot.at,
        Buffer.from(snapshot.data.buffer, snapshot.data.byteOffset, snapshot.data.byteLength),
      );
      pruneSnapshots.run(SNAPSHOTS_KEPT);
    });
    this.#snapshotTx = (snapshot) => snapshotTx.immediate(snapshot);
    this.#latestSnapshot = this.#db.prepare(
      'SELECT position, at, data FROM journal_snapshots WHERE position < ? ORDER BY position DESC LIMIT 1',
    );
  }

  async writeSnapshot(snapshot: JournalSnapshot): Promise<void> {
    this.#assertOpen();
    assertSnapshot(snapshot, Number.MAX_SAFE_INTEGER); // shape first; the head is checked under the write lock
    this.#snapshotTx(snapshot);
  }

  async latestSnapshot(beforePosition?: number): Promise<JournalSnapshot | undefined> {
    this.#assertOpen();
    assertBeforePosition(beforePosition);
    const row = this.#latestSnapshot.get(beforePosition ?? Number.MAX_SAFE_INTEGER) as
      | { position: number; at: number; data: Buffer }
      | undefined;
    return row === undefined ? undefined : { position: row.position, at: row.at, data: new Uint8Array(row.data) };
  }

  async pruneEvents(request: PruneRequest): Promise<PrunePass> {
    this.#assertOpen();
    assertPruneRequest(request);
    const removed = await pruneSqlite(this.#db, request);
    const pass = { at: request.at, throughPosition: request.throughPosition, before: request.before, removed };
    if (removed > 0) {
      this.#db
        .prepare('INSERT INTO journal_prunes (at, through_position, before_at, removed) VALUES (?, ?, ?, ?)')
        .run(pass.at, pass.throughPosition, pass.before, pass.removed);
      await giveSqliteSpaceBack(this.#db);
    }
    return pass;
  }

  async prunePasses(): Promise<readonly PrunePass[]> {
    this.#assertOpen();
    return this.#db
      .prepare(
        'SELECT at, through_position AS throughPosition, before_at AS before, removed FROM journal_prunes ORDER BY rowid',
      )
      .all() as PrunePass[];
  }

  async append(events: readonly JournalEvent[], options: AppendOptions = {}): Promise<readonly StoredEvent[]> {
    this.#assertOpen();
    events.forEach(assertJournalEvent);
    assertExpectedVersions(options.expectedVersion);
    if (events.length === 0 && options.expectedVersion === undefined) return [];
    try {
      return this.#appendTx(events, options.expectedVersion ?? {});
    } catch (error) {
      // Cannot happen while every writer goes through IMMEDIATE transactions; kept so a foreign writer still
      // surfaces as a conflict rather than a raw SQLite error.
      if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        const stream = events[0]?.mailboxId ?? '';
        throw new JournalConflictError(stream, -1, this.#version.get(stream) as number);
      }
      throw error;
    }
  }

  async read(query?: ReadQuery): Promise<readonly StoredEvent[]> {
    this.#assertOpen();
    const { fromPosition, limit, mailboxId, key } = normalizeReadQuery(query);
    const statement = this.#readStatement(mailboxId !== undefined, key !== undefined);
    const params: (string | number)[] = [fromPosition];
    if (mailboxId !== undefined) params.push(mailboxId);
    if (key !== undefined) params.push(key);
    params.push(limit === Number.POSITIVE_INFINITY ? -1 : limit);
    // One plucked string per row (the JSON holds position and version too): arrays or objects per row made a
    // rebuild of 1,000,000 events about a second slower.
    const rows = statement.all(...params) as string[];
    const out = new Array<StoredEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = JSON.parse(rows[i]!) as StoredEvent;
    return out;
  }

  async streamVersion(mailboxId: string): Promise<number> {
    this.#assertOpen();
    return this.#version.get(mailboxId) as number;
  }

  /**
   * The durability settings in force on this store's connection, as SQLite reports them.
   *
   * @example
   * ```ts
   * store.settings(); // { journalMode: 'wal', synchronous: 'FULL' }
   * ```
   */
  settings(): { journalMode: string; synchronous: string } {
    this.#assertOpen();
    const level = this.#db.pragma('synchronous', { simple: true }) as number;
    return {
      journalMode: String(this.#db.pragma('journal_mode', { simple: true })),
      synchronous: ['OFF', 'NORMAL', 'FULL', 'EXTRA'][level] ?? String(level),
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#db.close();
    } finally {
      this.#lock?.release();
    }
  }

  #appendInTransaction(events: readonly JournalEvent[], expected: Readonly<Record<string, number>>): StoredEvent[] {
    for (const [mailboxId, version] of Object.entries(expected)) {
      const actual = this.#version.get(mailboxId) as number;
      if (actual !== version) throw new JournalConflictError(mailboxId, version, actual);
    }
    const versions = new Map<string, number>();
    const stored = new Array<StoredEvent>(events.length);
    // Positions are given explicitly (under the write lock, so the head cannot move) to store them inside the JSON.
    let position = this.#head.get() as number;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const version = (versions.get(event.mailboxId) ?? (this.#version.get(event.mailboxId) as number)) + 1;
      versions.set(event.mailboxId, version);
      position++;
      const record = { ...event, position, version } as StoredEvent;
      const key = (event as { key?: string }).key ?? null;
      this.#insert.run(position, event.mailboxId, version, event.type, key, event.at, JSON.stringify(record));
      // The stored copy is the caller's event with its numbers, not a parse of the JSON (issue 12: half the cost of
      // an append was that round trip); events are plain JSON data, so the two are equal.
      stored[i] = record;
    }
    return stored;
  }

  #readStatement(byMailbox: boolean, byKey: boolean): Database.Statement {
    const id = `${byMailbox ? 'm' : ''}${byKey ? 'k' : ''}`;
    let statement = this.#reads.get(id);
    if (!statement) {
      const where = ['position >= ?'];
      if (byMailbox) where.push('stream = ?');
      if (byKey) where.push('msg_key = ?');
      statement = this.#db
        .prepare(`SELECT data FROM journal_events WHERE ${where.join(' AND ')} ORDER BY position LIMIT ?`)
        .pluck(true);
      this.#reads.set(id, statement);
    }
    return statement;
  }

  #checkSchemaVersion(): void {
    const row = this.#db.prepare("SELECT value FROM journal_meta WHERE name = 'schema_version'").pluck().get() as
      | string
      | undefined;
    if (row === undefined) {
      this.#db
        .prepare("INSERT OR IGNORE INTO journal_meta (name, value) VALUES ('schema_version', ?)")
        .run(String(SCHEMA_VERSION));
    } else if (Number(row) > SCHEMA_VERSION) {
      throw new Error(
        `journal ${this.path} has schema version ${row}, newer than this program understands (${SCHEMA_VERSION})`,
      );
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('journal store is closed');
  }
}
