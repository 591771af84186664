/**
 * An in-memory {@link JournalStore} for unit tests and throwaway runs: same semantics as the SQLite store
 * (it passes the same contract test), no durability at all.
 *
 * @module
 */
import { assertJournalEvent, type JournalEvent, type StoredEvent } from './events.js';
import { prunablePositions } from './retention.js';
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

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) {
    if (typeof inner === 'object' && inner !== null) deepFreeze(inner);
  }
  return Object.freeze(value);
}

/**
 * A journal store that lives in the process's memory. Stored events are frozen copies, so callers cannot change
 * history by mutating what they appended or read.
 *
 * @example
 * ```ts
 * const store = new MemoryJournalStore();
 * await store.append([{ type: 'mailbox.attempt', mailboxId: 'support', at: 0, attempt: 1 }]);
 * (await store.read()).length; // 1
 * ```
 */
export class MemoryJournalStore implements JournalStore {
  /** Index i holds position i + 1 (`undefined` once retention removed it): positions are dense here. */
  readonly #events: (StoredEvent | undefined)[] = [];
  readonly #prunes: PrunePass[] = [];
  readonly #versions = new Map<string, number>();
  /** Newest position first, at most SNAPSHOTS_KEPT; copies, so a caller's buffer cannot change them. */
  #snapshots: JournalSnapshot[] = [];
  #closed = false;

  async append(events: readonly JournalEvent[], options: AppendOptions = {}): Promise<readonly StoredEvent[]> {
    this.#assertOpen();
    events.forEach(assertJournalEvent);
    assertExpectedVersions(options.expectedVersion);
    for (const [mailboxId, expected] of Object.entries(options.expectedVersion ?? {})) {
      const actual = this.#versions.get(mailboxId) ?? 0;
      if (actual !== expected) throw new JournalConflictError(mailboxId, expected, actual);
    }
    const stored: StoredEvent[] = [];
    for (const event of events) {
      const version = (this.#versions.get(event.mailboxId) ?? 0) + 1;
      this.#versions.set(event.mailboxId, version);
      // A deep, frozen copy: neither the appender nor a reader can change history afterwards.
      const copy = deepFreeze({ ...structuredClone(event), position: this.#events.length + 1, version });
      this.#events.push(copy as StoredEvent);
      stored.push(copy as StoredEvent);
    }
    return stored;
  }

  async read(query?: ReadQuery): Promise<readonly StoredEvent[]> {
    this.#assertOpen();
    const { fromPosition, limit, mailboxId, key } = normalizeReadQuery(query);
    const out: StoredEvent[] = [];
    for (let i = fromPosition - 1; i < this.#events.length && out.length < limit; i++) {
      const event = this.#events[i];
      if (event === undefined) continue;
      if (mailboxId !== undefined && event.mailboxId !== mailboxId) continue;
      if (key !== undefined && (event as { key?: string }).key !== key) continue;
      out.push(event);
    }
    return out;
  }

  async streamVersion(mailboxId: string): Promise<number> {
    this.#assertOpen();
    return this.#versions.get(mailboxId) ?? 0;
  }

  async writeSnapshot(snapshot: JournalSnapshot): Promise<void> {
    this.#assertOpen();
    assertSnapshot(snapshot, this.#events.length);
    const copy = { position: snapshot.position, at: snapshot.at, data: new Uint8Array(snapshot.data) };
    this.#snapshots = [copy, ...this.#snapshots.filter((s) => s.position !== snapshot.position)]
      .sort((a, b) => b.position - a.position)
      .slice(0, SNAPSHOTS_KEPT);
  }

  async latestSnapshot(beforePosition?: number): Promise<JournalSnapshot | undefined> {
    this.#assertOpen();
    assertBeforePosition(beforePosition);
    const found = this.#snapshots.find((s) => beforePosition === undefined || s.position < beforePosition);
    return found === undefined ? undefined : { ...found, data: new Uint8Array(found.data) };
  }

  async pruneEvents(request: PruneRequest): Promise<PrunePass> {
    this.#assertOpen();
    assertPruneRequest(request);
    const doomed = prunablePositions(this.#events, request);
    for (const position of doomed) this.#events[position - 1] = undefined;
    const pass = {
      at: request.at,
      throughPosition: request.throughPosition,
      before: request.before,
      removed: doomed.length,
    };
    if (pass.removed > 0) this.#prunes.push(pass);
    return pass;
  }

  async prunePasses(): Promise<readonly PrunePass[]> {
    this.#assertOpen();
    return this.#prunes.map((pass) => ({ ...pass }));
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('journal store is closed');
  }
}
