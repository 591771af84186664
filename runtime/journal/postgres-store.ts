/**
 * The PostgreSQL journal store (issue 9): the same contract as the SQLite store, shared by several hosts.
 *
 * - **Schema**: created and migrated by the store on first use (`postgres/migrations.ts`, under an advisory lock so
 *   hosts starting together do not race), in the schema the URL names (`?schema=…`, default `mail_autopilot`).
 * - **Appends** are grouped (issue 12, item 4): calls arriving while a commit is in flight go together as the next
 *   one (`postgres/group-commit.ts`), as one call of the `journal_append_group` function: one round trip, one
 *   transaction, the journal's transaction-level advisory lock taken once. Each call is checked in arrival order
 *   (fencing tokens, then expected versions) and its events inserted by one `INSERT … SELECT` over their JSON; a
 *   call that fails its check fails alone. A unique index on (stream, version) backs the version check up.
 * - **Positions** are `max(position) + 1` under that lock, so they are dense and commit in position order: a reader
 *   that saw position n has seen every position below n. A sequence would let a later position commit before an
 *   earlier one and a reader could skip the earlier one forever (docs/scale-out.md explains the trade-off: appends
 *   are serialised per journal; one append costs one commit).
 * - **Notifications**: every append NOTIFYs the schema's journal channel with the new head position;
 *   {@link PostgresJournalStore.onAppended} LISTENs, so other hosts' journals can refresh promptly.
 *
 * @module
 */
import pg from 'pg';
import { assertJournalEvent, type JournalEvent, type StoredEvent } from './events.js';
import {
  type AppendGroupRow,
  appendGroupOutcomes,
  appendGroupQuery,
  type PreparedAppend,
  prepareAppend,
} from './postgres/append-group.js';
import type { AppendFence } from './postgres/fence.js';
import { GroupCommitQueue } from './postgres/group-commit.js';
import { type ChannelListener, listenChannel } from './postgres/listen.js';
import { channels, type PostgresLocation, parsePostgresLocation, quoteSchema } from './postgres/location.js';
import { migrate } from './postgres/migrate.js';
import { prunePassesPostgres, prunePostgres } from './postgres/prune.js';
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

/**
 * Options of {@link PostgresJournalStore}.
 *
 * @example
 * ```ts
 * const options: PostgresJournalStoreOptions = { schema: 'team_a', writer: 'host-1', poolSize: 3 };
 * ```
 */
export interface PostgresJournalStoreOptions {
  /** Schema of the tables; wins over the URL's `?schema=`. Default `mail_autopilot`. */
  readonly schema?: string;
  /** Recorded with every event this store appends (the `writer` column): which host wrote what. */
  readonly writer?: string;
  /** Connections of the store's pool (appends and reads). Default 2 (a journal appends one batch at a time).
   * LISTEN uses one more, on demand. */
  readonly poolSize?: number;
  /**
   * Most events one group commit carries (a single bigger append still goes, alone). Default 10,000: a group's
   * statement stays a few MB, and the lock is not held for long by one host.
   */
  readonly maxGroupEvents?: number;
  /** Called with connection errors the store recovers from (a dropped idle connection, a lost LISTEN). */
  readonly onError?: (error: Error) => void;
}

/**
 * {@link AppendOptions} plus the fencing token a clustered host passes (see `postgres/fence.ts`).
 *
 * @example
 * ```ts
 * await store.append(events, { expectedVersion: { support: 12 }, fence: { owner: 'host-a', epochs: { support: 3 } } });
 * ```
 */
export interface PostgresAppendOptions extends AppendOptions {
  readonly fence?: AppendFence;
}

/** Called with the journal's new head position after any host appended. */
export type AppendedListener = (head: number) => void;

const READ_LIMIT_ALL = null;

/**
 * A {@link JournalStore} in PostgreSQL. Construction does not connect; the first call connects and migrates (and
 * rejects if that fails). Use {@link PostgresJournalStore.open} to find problems at once.
 *
 * @example
 * ```ts
 * const store = await PostgresJournalStore.open('postgres://postgres@127.0.0.1:5432/test?schema=mail_autopilot');
 * const journal = await Journal.open(store);
 * store.onAppended(() => void journal.refresh()); // see other hosts' events promptly
 * ```
 */
export class PostgresJournalStore implements JournalStore {
  readonly location: PostgresLocation;
  readonly #pool: pg.Pool;
  readonly #writer: string | null;
  readonly #onError: (error: Error) => void;
  readonly #ready: Promise<void>;
  readonly #sql: { read: Map<string, string>; version: string };
  readonly #appends: GroupCommitQueue<PreparedAppend, readonly StoredEvent[]>;
  readonly #listeners = new Set<AppendedListener>();
  #listener: ChannelListener | undefined;
  #closed = false;

  constructor(url: string, options: PostgresJournalStoreOptions = {}) {
    this.location = parsePostgresLocation(url, options.schema);
    this.#writer = options.writer ?? null;
    this.#onError = options.onError ?? (() => undefined);
    this.#pool = new pg.Pool({
      connectionString: this.location.connectionString,
      max: options.poolSize ?? 2,
      application_name: 'mail-autopilot journal',
    });
    // An idle pooled connection that the server drops emits 'error' on the pool; unhandled it would end the process.
    this.#pool.on('error', (error) => this.#onError(error));
    const s = quoteSchema(this.location.schema);
    this.#sql = {
      read: new Map(),
      version: `SELECT coalesce(max(version), 0) AS v FROM ${s}.journal_events WHERE stream = $1`,
    };
    this.#appends = new GroupCommitQueue((calls) => this.#commitGroup(calls), options.maxGroupEvents ?? 10_000);
    this.#ready = this.#migrate();
    // Surfaced by the first call; not an unhandled rejection when nobody calls.
    this.#ready.catch(() => undefined);
  }

  /**
   * Creates the store and waits until it is connected and migrated.
   *
   * @example
   * ```ts
   * const store = await PostgresJournalStore.open(process.env.JOURNAL_URL!, { writer: hostname() });
   * ```
   */
  static async open(url: string, options?: PostgresJournalStoreOptions): Promise<PostgresJournalStore> {
    const store = new PostgresJournalStore(url, options);
    try {
      await store.#ready;
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /** The pool, for cluster code that shares the connection settings (status reads). */
  get pool(): pg.Pool {
    return this.#pool;
  }

  async append(events: readonly JournalEvent[], options: PostgresAppendOptions = {}): Promise<readonly StoredEvent[]> {
    this.#assertOpen();
    events.forEach(assertJournalEvent);
    assertExpectedVersions(options.expectedVersion);
    if (events.length === 0 && options.expectedVersion === undefined) return [];
    await this.#ready;
    return this.#appends.submit(prepareAppend(events, options.expectedVersion, options.fence), events.length);
  }

  /** Group commits so far and the calls they carried (the bench reports the average group). */
  get groupStats(): { readonly groups: number; readonly calls: number } {
    return this.#appends.stats;
  }

  async read(query?: ReadQuery): Promise<readonly StoredEvent[]> {
    this.#assertOpen();
    const { fromPosition, limit, mailboxId, key } = normalizeReadQuery(query);
    await this.#ready;
    const values: (string | number | null)[] = [fromPosition];
    if (mailboxId !== undefined) values.push(mailboxId);
    if (key !== undefined) values.push(key);
    values.push(limit === Number.POSITIVE_INFINITY ? READ_LIMIT_ALL : limit);
    const { name, text } = this.#readStatement(mailboxId !== undefined, key !== undefined);
    const { rows } = await this.#pool.query<[string, number, Record<string, unknown>]>({
      name,
      text,
      values,
      rowMode: 'array',
    });
    const out = new Array<StoredEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const [position, version, event] = rows[i]!;
      // The driver parsed the json column into a fresh object: setting two fields is cheaper than a spread.
      event.position = Number(position);
      event.version = version;
      out[i] = event as unknown as StoredEvent;
    }
    return out;
  }

  async streamVersion(mailboxId: string): Promise<number> {
    this.#assertOpen();
    await this.#ready;
    const { rows } = await this.#pool.query<{ v: number }>({
      name: `journal_version_${this.location.schema}`,
      text: this.#sql.version,
      values: [mailboxId],
    });
    return Number(rows[0]?.v ?? 0);
  }

  async writeSnapshot(snapshot: JournalSnapshot): Promise<void> {
    this.#assertOpen();
    assertSnapshot(snapshot, Number.MAX_SAFE_INTEGER); // shape first; the head is checked by the statement
    await this.#ready;
    const s = quoteSchema(this.location.schema);
    // One statement: insert only when the position exists (positions are dense, so head = max), then prune.
    const { rows } = await this.#pool.query<{ head: string; written: boolean }>({
      text: `WITH head AS (SELECT coalesce(max(position), 0) AS head FROM ${s}.journal_events),
        put AS (
          INSERT INTO ${s}.journal_snapshots (position, at, data)
          SELECT $1, $2, $3 FROM head WHERE $1 <= head.head
          ON CONFLICT (position) DO UPDATE SET at = excluded.at, data = excluded.data
          RETURNING position)
        SELECT (SELECT head FROM head) AS head, EXISTS (SELECT 1 FROM put) AS written`,
      values: [snapshot.position, snapshot.at, Buffer.from(snapshot.data)],
    });
    const head = Number(rows[0]!.head);
    if (!rows[0]!.written) assertSnapshot(snapshot, head);
    await this.#pool.query(
      `DELETE FROM ${s}.journal_snapshots WHERE position NOT IN
         (SELECT position FROM ${s}.journal_snapshots ORDER BY position DESC LIMIT $1)`,
      [SNAPSHOTS_KEPT],
    );
  }

  async pruneEvents(request: PruneRequest): Promise<PrunePass> {
    this.#assertOpen();
    assertPruneRequest(request);
    await this.#ready;
    return prunePostgres(this.#pool, this.location.schema, request);
  }

  async prunePasses(): Promise<readonly PrunePass[]> {
    this.#assertOpen();
    await this.#ready;
    return prunePassesPostgres(this.#pool, this.location.schema);
  }

  async latestSnapshot(beforePosition?: number): Promise<JournalSnapshot | undefined> {
    this.#assertOpen();
    assertBeforePosition(beforePosition);
    await this.#ready;
    const { rows } = await this.#pool.query<{ position: string; at: string; data: Buffer }>(
      `SELECT position, at, data FROM ${quoteSchema(this.location.schema)}.journal_snapshots
       WHERE position < $1 ORDER BY position DESC LIMIT 1`,
      [beforePosition ?? Number.MAX_SAFE_INTEGER],
    );
    const row = rows[0];
    return row === undefined
      ? undefined
      : { position: Number(row.position), at: Number(row.at), data: new Uint8Array(row.data) };
  }

  /**
   * Calls `listener` with the new head position whenever any host appends to this journal (PostgreSQL
   * LISTEN/NOTIFY on a dedicated connection, opened with the first listener and re-opened when it drops).
   * Notifications can be coalesced or, across a reconnect, lost: treat them as a hint to `refresh()`, not as data.
   * Returns the unsubscribe function.
   *
   * @example
   * ```ts
   * const stop = store.onAppended((head) => { if (head > journal.position) void journal.refresh(); });
   * ```
   */
  onAppended(listener: AppendedListener): () => void {
    this.#assertOpen();
    this.#listeners.add(listener);
    this.#listener ??= listenChannel({
      connectionString: this.location.connectionString,
      channel: channels(this.location.schema).journal,
      applicationName: 'mail-autopilot journal listener',
      ready: this.#ready,
      onNotification: (payload) => {
        const head = Number(payload);
        for (const listener of this.#listeners) listener(head);
      },
      onLost: (error) => this.#onError(error),
    });
    return () => {
      this.#listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    await this.#listener?.close();
    await this.#ready.catch(() => undefined);
    await this.#pool.end().catch(() => undefined);
  }

  async #migrate(): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await migrate(client, this.location.schema);
    } finally {
      client.release();
    }
  }

  #readStatement(byMailbox: boolean, byKey: boolean): { name: string; text: string } {
    const id = `${byMailbox ? 'm' : ''}${byKey ? 'k' : ''}`;
    let text = this.#sql.read.get(id);
    if (!text) {
      const where = ['position >= $1'];
      let n = 1;
      if (byMailbox) where.push(`stream = $${++n}`);
      if (byKey) where.push(`msg_key = $${++n}`);
      text =
        `SELECT position, version, data FROM ${quoteSchema(this.location.schema)}.journal_events ` +
        `WHERE ${where.join(' AND ')} ORDER BY position LIMIT $${++n}`;
      this.#sql.read.set(id, text);
    }
    return { name: `journal_read_${id}_${this.location.schema}`, text };
  }

  async #commitGroup(calls: readonly PreparedAppend[]): Promise<readonly (readonly StoredEvent[] | Error)[]> {
    const query = appendGroupQuery(quoteSchema(this.location.schema), calls, this.#writer);
    try {
      const { rows } = await this.#pool.query<AppendGroupRow>({
        name: `journal_group_${this.location.schema}`,
        ...query,
      });
      return appendGroupOutcomes(calls, rows);
    } catch (error) {
      const pgError = error as { code?: string; constraint?: string };
      if (calls.length === 1 && pgError.code === '23505' && pgError.constraint === 'journal_events_stream_version') {
        // Cannot happen while every writer goes through the append functions (they hold the lock); a foreign
        // writer still surfaces as a conflict rather than a raw driver error.
        throw new JournalConflictError(calls[0]!.firstStream, -1, -1);
      }
      throw error;
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('journal store is closed');
  }
}
