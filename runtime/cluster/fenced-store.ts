/**
 * A journal store wrapper that stamps every append with this host's fencing tokens (issue 9). The check happens
 * twice: here, against the host's own view (no token — not owned, released, or the local lease lapsed — means the
 * append is refused before anything is sent), and in the database, against the lease row (the token must be the
 * current owner and epoch). Either refusal is reported, so the mailbox stops being watched at once.
 *
 * @module
 */
import type { JournalEvent, StoredEvent } from '../journal/events.js';
import { JournalFencedError } from '../journal/postgres/fence.js';
import type { PostgresAppendOptions } from '../journal/postgres-store.js';
import {
  type AppendOptions,
  isJournalConflictError,
  type JournalConflictError,
  type JournalSnapshot,
  type JournalStore,
  type PrunePass,
  type PruneRequest,
  type ReadQuery,
} from '../journal/store.js';

/**
 * Where the wrapper gets tokens and reports refusals.
 *
 * @example
 * ```ts
 * const source: FenceSource = {
 *   owner: 'host-a',
 *   tokenFor: (mailboxId) => held.get(mailboxId),
 *   refused: (mailboxId) => release(mailboxId),
 * };
 * ```
 */
export interface FenceSource {
  /** The host id written into the fence. */
  readonly owner: string;
  /** The epoch this host holds for the mailbox, or `undefined` when it may not write it now. */
  tokenFor(mailboxId: string): number | undefined;
  /** Called (asynchronously, after the append settled) when an append for the mailbox was refused. */
  refused(mailboxId: string, error: JournalConflictError): void;
}

/**
 * A {@link JournalStore} that fences appends; reads pass through.
 *
 * @example
 * ```ts
 * const store = new FencedJournalStore(new PostgresJournalStore(url), ownershipFenceSource);
 * const journal = await Journal.open(store);
 * ```
 */
export class FencedJournalStore implements JournalStore {
  readonly inner: JournalStore;
  readonly #source: FenceSource;

  constructor(inner: JournalStore, source: FenceSource) {
    this.inner = inner;
    this.#source = source;
  }

  async append(events: readonly JournalEvent[], options: AppendOptions = {}): Promise<readonly StoredEvent[]> {
    const epochs: Record<string, number> = {};
    for (const event of events) {
      if (Object.hasOwn(epochs, event.mailboxId)) continue;
      const token = this.#source.tokenFor(event.mailboxId);
      if (token === undefined) {
        const error = new JournalFencedError(
          event.mailboxId,
          `host ${this.#source.owner} holds no valid lease on it (not owned, released, or its lease lapsed)`,
        );
        this.#report(event.mailboxId, error);
        throw error;
      }
      epochs[event.mailboxId] = token;
    }
    const fenced: PostgresAppendOptions = { ...options, fence: { owner: this.#source.owner, epochs } };
    try {
      return await this.inner.append(events, fenced);
    } catch (error) {
      if (isJournalConflictError(error)) this.#report(error.mailboxId, error);
      throw error;
    }
  }

  read(query?: ReadQuery): Promise<readonly StoredEvent[]> {
    return this.inner.read(query);
  }

  streamVersion(mailboxId: string): Promise<number> {
    return this.inner.streamVersion(mailboxId);
  }

  /** Snapshots are not fenced: they hold no mailbox's facts, only a fold of what the journal already holds. */
  writeSnapshot(snapshot: JournalSnapshot): Promise<void> {
    return this.inner.writeSnapshot(snapshot);
  }

  /** Retention is not fenced: it removes only history a checkpoint covers, never a mailbox's unfinished facts. */
  pruneEvents(request: PruneRequest): Promise<PrunePass> {
    return this.inner.pruneEvents(request);
  }

  prunePasses(): Promise<readonly PrunePass[]> {
    return this.inner.prunePasses();
  }

  latestSnapshot(beforePosition?: number): Promise<JournalSnapshot | undefined> {
    return this.inner.latestSnapshot(beforePosition);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  #report(mailboxId: string, error: JournalConflictError): void {
    // Not synchronously: the caller (the journal) is still inside this append; the release it triggers appends too.
    setImmediate(() => this.#source.refused(mailboxId, error));
  }
}
