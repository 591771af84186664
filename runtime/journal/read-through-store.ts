/**
 * The journal of a dry run (`run --once --dry-run`, issue 15 point 2): the real store read as it is — its events,
 * snapshots and retention passes, so a dry run starts from the same checkpoint and sees the same handled set as a
 * real run (a copy of the events alone lost both: after retention, pruned handled mail looked new) — with everything
 * the dry run writes kept in memory and dropped at the end. Nothing reaches the real store.
 *
 * @module
 */
import { assertJournalEvent, type JournalEvent, type StoredEvent } from './events.js';
import {
  type AppendOptions,
  JournalConflictError,
  type JournalSnapshot,
  type JournalStore,
  normalizeReadQuery,
  type PrunePass,
  type PruneRequest,
  type ReadQuery,
} from './store.js';

/**
 * A store that reads through to `source` and appends to memory only.
 *
 * @example
 * ```ts
 * const store = await ReadThroughJournalStore.over(new SqliteJournalStore(file, { lock: false }));
 * const journal = await Journal.open(store); // the real projections; appends stay in memory
 * ```
 */
export class ReadThroughJournalStore implements JournalStore {
  readonly #source: JournalStore;
  readonly #closeSource: boolean;
  /** The source's last position, found at the first append (the events a start read tell most of it). */
  #head: number | undefined;
  /** The highest source position any read returned. */
  #seen = 0;
  readonly #overlay: StoredEvent[] = [];
  readonly #versions = new Map<string, number>();
  #snapshot: JournalSnapshot | undefined;

  private constructor(source: JournalStore, closeSource: boolean) {
    this.#source = source;
    this.#closeSource = closeSource;
  }

  /**
   * Opens the overlay over `source`, which it closes on `close()` unless `closeSource: false` (a host's store).
   *
   * @example
   * ```ts
   * const store = await ReadThroughJournalStore.over(source);
   * ```
   */
  static async over(
    source: JournalStore,
    options: { readonly closeSource?: boolean } = {},
  ): Promise<ReadThroughJournalStore> {
    return new ReadThroughJournalStore(source, options.closeSource !== false);
  }

  /**
   * Where appends continue: after the source's last event. `Journal.open` has read the source up to its end by
   * then, so this reads only what came after (normally nothing) instead of the journal a second time.
   */
  async #sourceHead(): Promise<number> {
    if (this.#head !== undefined) return this.#head;
    const from = Math.max(this.#seen, (await this.#source.latestSnapshot())?.position ?? 0);
    const rest = await this.#source.read({ fromPosition: from + 1 });
    this.#head = rest.at(-1)?.position ?? from;
    return this.#head;
  }

  async append(events: readonly JournalEvent[], options: AppendOptions = {}): Promise<readonly StoredEvent[]> {
    events.forEach(assertJournalEvent);
    for (const [mailboxId, expected] of Object.entries(options.expectedVersion ?? {})) {
      const actual = await this.streamVersion(mailboxId);
      if (actual !== expected) throw new JournalConflictError(mailboxId, expected, actual);
    }
    const head = await this.#sourceHead();
    const stored: StoredEvent[] = [];
    for (const event of events) {
      const version = (await this.streamVersion(event.mailboxId)) + 1;
      this.#versions.set(event.mailboxId, version);
      const copy = { ...structuredClone(event), position: head + this.#overlay.length + 1, version };
      this.#overlay.push(copy as StoredEvent);
      stored.push(copy as StoredEvent);
    }
    return stored;
  }

  async read(query?: ReadQuery): Promise<readonly StoredEvent[]> {
    const { fromPosition, limit, mailboxId, key } = normalizeReadQuery(query);
    const head = this.#head;
    const fromSource = head === undefined || fromPosition <= head ? await this.#source.read(query) : [];
    // A service writing beside the dry run may append meanwhile: what it adds after the head is not this view's.
    const out: StoredEvent[] = head === undefined ? [...fromSource] : fromSource.filter((e) => e.position <= head);
    const last = out.at(-1)?.position ?? 0;
    if (head === undefined && last > this.#seen) this.#seen = last;
    for (const event of this.#overlay) {
      if (out.length >= limit) break;
      if (event.position < fromPosition) continue;
      if (mailboxId !== undefined && event.mailboxId !== mailboxId) continue;
      if (key !== undefined && (event as { key?: string }).key !== key) continue;
      out.push(event);
    }
    return out.slice(0, limit);
  }

  async streamVersion(mailboxId: string): Promise<number> {
    return this.#versions.get(mailboxId) ?? (await this.#source.streamVersion(mailboxId));
  }

  /** Kept in memory (the dry run's own checkpoint); the real store's snapshots stay as they are. */
  async writeSnapshot(snapshot: JournalSnapshot): Promise<void> {
    this.#snapshot = { ...snapshot, data: new Uint8Array(snapshot.data) };
  }

  async latestSnapshot(beforePosition?: number): Promise<JournalSnapshot | undefined> {
    const own = this.#snapshot;
    if (own && (beforePosition === undefined || own.position < beforePosition)) return own;
    return this.#source.latestSnapshot(beforePosition);
  }

  /** Removes nothing: a dry run changes no journal. */
  async pruneEvents(request: PruneRequest): Promise<PrunePass> {
    return { at: request.at, throughPosition: request.throughPosition, before: request.before, removed: 0 };
  }

  async prunePasses(): Promise<readonly PrunePass[]> {
    return this.#source.prunePasses();
  }

  async close(): Promise<void> {
    if (this.#closeSource) await this.#source.close();
  }
}
