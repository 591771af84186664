/**
 * The journal store interface: an append-only event log with a global order and one stream per mailbox.
 * SQLite (embedded default), memory (tests) and, later, PostgreSQL (issue 9) implement it, and all of them pass
 * the same contract test (`test/runtime/journal/journal-store.contract.ts`).
 *
 * @module
 */
import type { JournalEvent, StoredEvent } from './events.js';

/**
 * Options of {@link JournalStore.append}.
 *
 * @example
 * ```ts
 * // Succeeds only if the 'support' stream still has exactly 12 events; otherwise JournalConflictError.
 * await store.append(events, { expectedVersion: { support: 12 } });
 * ```
 */
export interface AppendOptions {
  /**
   * Per stream (mailbox id): the version the stream must have before this append (0 = no events yet). Streams not
   * named are not checked. The check and the write are one atomic step, so of two writers that read the same
   * version and append with it, exactly one succeeds.
   */
  readonly expectedVersion?: Readonly<Record<string, number>>;
}

/**
 * A query of {@link JournalStore.read}. Results are always in position order.
 *
 * @example
 * ```ts
 * const page = await store.read({ fromPosition: 1001, mailboxId: 'support', limit: 1000 });
 * ```
 */
export interface ReadQuery {
  /** First position to return (inclusive). Default 1, the first event. */
  readonly fromPosition?: number;
  /** Only this mailbox's stream. */
  readonly mailboxId?: string;
  /** Only events of the message with this service key (combine with `mailboxId`: keys are unique per mailbox). */
  readonly key?: string;
  /** At most this many events. Default: all. */
  readonly limit?: number;
}

/**
 * An append-only event store. Every method returns a promise so that network-backed stores fit; a resolved
 * `append` means the events are durable as far as the store promises (see each store's docs).
 *
 * @example
 * ```ts
 * const stored = await store.append([{ type: 'mailbox.attempt', mailboxId: 'support', at: Date.now(), attempt: 1 }]);
 * console.log(stored[0].position, await store.streamVersion('support'));
 * ```
 */
export interface JournalStore {
  /**
   * Appends the events atomically (all or none), in order. Each gets the next global position and the next
   * version of its mailbox's stream. Rejects with {@link JournalConflictError} when an expected version does not
   * hold, with a `TypeError` for a malformed event; nothing is written then.
   */
  append(events: readonly JournalEvent[], options?: AppendOptions): Promise<readonly StoredEvent[]>;
  /** Reads events in position order. */
  read(query?: ReadQuery): Promise<readonly StoredEvent[]>;
  /**
   * The version of a mailbox's stream: the version of its newest event, i.e. how many it was ever given (0 when
   * none; retention removes old events but never the newest, so this never goes back).
   */
  streamVersion(mailboxId: string): Promise<number>;
  /**
   * Stores a checkpoint of the projections (issue 16): opaque bytes (see `snapshot.ts` for the format) covering
   * every event up to `position`. Rejects with a `RangeError` when `position` is not an integer in 0 … head (a
   * snapshot cannot cover events that do not exist). A snapshot at a position already stored replaces it. The store
   * keeps the {@link SNAPSHOTS_KEPT} newest positions and removes older ones in the same write.
   */
  writeSnapshot(snapshot: JournalSnapshot): Promise<void>;
  /**
   * The stored snapshot with the highest position (below `beforePosition` when given: the previous one, for a
   * reader whose newest snapshot turned out damaged), or `undefined` when there is none.
   */
  latestSnapshot(beforePosition?: number): Promise<JournalSnapshot | undefined>;
  /**
   * Retention (issue 16): removes the events {@link PruneRequest} selects, in batches of `batchSize` (each its own
   * short transaction, oldest first, so an appender waits at most one batch), records the pass (when it removed
   * anything) and gives it back. It removes, at positions up to `throughPosition` and with `at` before `before`:
   * lifecycle events (`mailbox.*`), and every event of a message whose newest event is one of
   * {@link FINISHED_MESSAGE_TYPES} and is itself in that range. It never removes the newest event of a stream, so
   * positions and stream versions (highest stored, see {@link streamVersion}) keep counting from where they were.
   * SQLite then gives the space back (incremental vacuum); PostgreSQL leaves it to autovacuum.
   */
  pruneEvents(request: PruneRequest): Promise<PrunePass>;
  /** The recorded prune passes that removed something, oldest first (one row per pass: see docs/journal.md). */
  prunePasses(): Promise<readonly PrunePass[]>;
  /** Releases the store's resources; further calls reject. Idempotent. */
  close(): Promise<void>;
}

/**
 * What one retention pass may remove (see {@link JournalStore.pruneEvents}); `retention.ts` computes it.
 *
 * @example
 * ```ts
 * await store.pruneEvents({ throughPosition: 1_000, before: Date.now() - 90 * 86_400_000, at: Date.now(), batchSize: 5_000 });
 * ```
 */
export interface PruneRequest {
  /** Highest position that may go: one a checkpoint covers, so a start never needs what is removed. */
  readonly throughPosition: number;
  /** Only events with `at` before this (epoch ms): the retention bound. */
  readonly before: number;
  /** When the pass runs (epoch ms), recorded with it. */
  readonly at: number;
  /** Most events one delete statement removes. */
  readonly batchSize: number;
}

/**
 * A recorded retention pass: when it ran, the bounds it applied and how many events it removed.
 *
 * @example
 * ```ts
 * const last = (await store.prunePasses()).at(-1); // { at, throughPosition, before, removed } | undefined
 * ```
 */
export interface PrunePass {
  readonly at: number;
  readonly throughPosition: number;
  readonly before: number;
  readonly removed: number;
}

/**
 * The events after which a message is finished, so its history may be removed by retention: handled, or matched
 * no rule. A dead-lettered, retried or in-flight message is never finished.
 *
 * @example
 * ```ts
 * FINISHED_MESSAGE_TYPES.includes('message.handled'); // true
 * ```
 */
export const FINISHED_MESSAGE_TYPES: readonly string[] = ['message.handled', 'message.unmatched'];

/**
 * Validates a {@link PruneRequest} (shared by the stores so they reject the same things).
 *
 * @example
 * ```ts
 * assertPruneRequest({ throughPosition: 10, before: 0, at: 0, batchSize: 100 }); // ok
 * ```
 */
export function assertPruneRequest(request: PruneRequest): void {
  const { throughPosition, before, at, batchSize } = request;
  if (!Number.isInteger(throughPosition) || throughPosition < 0) {
    throw new RangeError(`throughPosition must be an integer >= 0, got ${throughPosition}`);
  }
  if (!Number.isFinite(before) || !Number.isFinite(at)) throw new RangeError('before and at must be epoch ms');
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be an integer >= 1, got ${batchSize}`);
  }
}

/**
 * A checkpoint as the store keeps it: the bytes of the encoded projections, the journal position they cover
 * (every event up to and including it is folded in) and when it was taken (epoch ms, the writer's clock).
 *
 * @example
 * ```ts
 * await store.writeSnapshot({ position: journal.position, at: Date.now(), data: encodeSnapshot(journal.state()) });
 * const latest = await store.latestSnapshot(); // { position, at, data } | undefined
 * ```
 */
export interface JournalSnapshot {
  readonly position: number;
  readonly at: number;
  readonly data: Uint8Array;
}

/**
 * How many snapshots (newest positions) a store keeps: the newest, and one before it in case the newest is
 * unreadable (a reader then falls back to it instead of folding the whole journal).
 *
 * @example
 * ```ts
 * const previous = await store.latestSnapshot(newest.position); // still there: SNAPSHOTS_KEPT >= 2
 * ```
 */
export const SNAPSHOTS_KEPT = 2;

/**
 * Validates a {@link JournalSnapshot} against the store's head position (shared by the stores so they reject the
 * same things).
 *
 * @example
 * ```ts
 * assertSnapshot({ position: 3, at: 0, data: new Uint8Array() }, 10); // ok
 * ```
 */
export function assertSnapshot(snapshot: JournalSnapshot, head: number): void {
  const { position, at, data } = snapshot;
  if (!Number.isInteger(position) || position < 0 || position > head) {
    throw new RangeError(`snapshot position must be an integer in 0 … ${head} (the journal's head), got ${position}`);
  }
  if (!Number.isFinite(at)) throw new RangeError(`snapshot time must be a number, got ${at}`);
  if (!(data instanceof Uint8Array)) throw new TypeError('snapshot data must be a Uint8Array');
}

/**
 * Validates the argument of {@link JournalStore.latestSnapshot}.
 *
 * @example
 * ```ts
 * assertBeforePosition(undefined); // ok: the newest
 * ```
 */
export function assertBeforePosition(beforePosition: number | undefined): void {
  if (beforePosition !== undefined && (!Number.isInteger(beforePosition) || beforePosition < 0)) {
    throw new RangeError(`beforePosition must be an integer >= 0, got ${beforePosition}`);
  }
}

/**
 * An append was refused because a stream's version was not the expected one: another writer appended to the same
 * mailbox's stream first (two processes handling one mailbox, or a stale reader).
 *
 * @example
 * ```ts
 * try { await journal.append(events); }
 * catch (error) { if (error instanceof JournalConflictError) log.error(`${error.mailboxId} is handled elsewhere`); }
 * ```
 */
export class JournalConflictError extends Error {
  override readonly name = 'JournalConflictError';
  readonly code = 'JOURNAL_CONFLICT';
  readonly mailboxId: string;
  readonly expectedVersion: number;
  readonly actualVersion: number;

  constructor(mailboxId: string, expectedVersion: number, actualVersion: number) {
    super(
      `journal stream ${JSON.stringify(mailboxId)} is at version ${actualVersion}, expected ${expectedVersion}: ` +
        'another writer appended to this mailbox',
    );
    this.mailboxId = mailboxId;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}

/**
 * Whether a value is a {@link JournalConflictError} (also across package copies, by shape).
 *
 * @example
 * ```ts
 * if (isJournalConflictError(error)) process.exitCode = 2;
 * ```
 */
export function isJournalConflictError(value: unknown): value is JournalConflictError {
  return (
    value instanceof JournalConflictError ||
    (typeof value === 'object' && value !== null && (value as { name?: unknown }).name === 'JournalConflictError')
  );
}

/**
 * Validates a {@link ReadQuery}'s numbers (shared by the stores so they reject the same things).
 *
 * @example
 * ```ts
 * const { fromPosition, limit } = normalizeReadQuery({ limit: 10 }); // { fromPosition: 1, limit: 10 }
 * ```
 */
export function normalizeReadQuery(query: ReadQuery = {}): {
  fromPosition: number;
  limit: number;
  mailboxId: string | undefined;
  key: string | undefined;
} {
  const fromPosition = query.fromPosition ?? 1;
  const limit = query.limit ?? Number.POSITIVE_INFINITY;
  if (!Number.isInteger(fromPosition) || fromPosition < 1) {
    throw new RangeError(`fromPosition must be an integer >= 1, got ${fromPosition}`);
  }
  if (limit !== Number.POSITIVE_INFINITY && (!Number.isInteger(limit) || limit < 0)) {
    throw new RangeError(`limit must be an integer >= 0, got ${limit}`);
  }
  return { fromPosition, limit, mailboxId: query.mailboxId, key: query.key };
}

/**
 * Validates {@link AppendOptions.expectedVersion} values.
 *
 * @example
 * ```ts
 * assertExpectedVersions({ support: 3 }); // ok
 * ```
 */
export function assertExpectedVersions(expected: Readonly<Record<string, number>> | undefined): void {
  if (expected === undefined) return;
  for (const [mailboxId, version] of Object.entries(expected)) {
    if (!Number.isInteger(version) || version < 0) {
      throw new RangeError(`expectedVersion for ${JSON.stringify(mailboxId)} must be an integer >= 0, got ${version}`);
    }
  }
}
