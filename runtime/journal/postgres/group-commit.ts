/**
 * Group commit of journal appends within one store (issue 12, item 4). Appends of the whole cluster are serialised
 * by one lock (dense positions, docs/scale-out.md), so what a commit costs bounds the cluster's throughput. Calls
 * of one process that arrive while a commit is in flight wait for it and then go together, in arrival order, as
 * the next one: the lock is taken and the WAL flushed once per group instead of once per call. Each call keeps its
 * own outcome (the commit function reports one per call), so a call that conflicts or is fenced fails alone.
 *
 * This module only batches; what a group's commit does is the caller's (`append-group.ts` for PostgreSQL).
 *
 * @module
 */

/**
 * One `append()` call waiting for its group.
 *
 * @example
 * ```ts
 * const call: QueuedCall<string, number> = { item: '…', size: 3, resolve: console.log, reject: console.error };
 * ```
 */
export interface QueuedCall<Item, Result> {
  readonly item: Item;
  /** What the call adds to its group (its events): a group is closed before it grows past the limit. */
  readonly size: number;
  readonly resolve: (result: Result) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Commits one group: returns one outcome per item, in order (an `Error` for a call that failed alone), or throws
 * when the whole group failed.
 *
 * @example
 * ```ts
 * const commit: CommitGroup<number, number> = async (items) => items.map((n) => n * 2);
 * ```
 */
export type CommitGroup<Item, Result> = (items: readonly Item[]) => Promise<readonly (Result | Error)[]>;

/**
 * A queue that commits calls in groups, one group in flight at a time.
 *
 * - A group is taken after the calls of the current turn of the event loop (`setImmediate`), when nothing is in
 *   flight as after each commit: callers whose appends resolved together append again together and share the
 *   next commit, instead of the first one or two racing ahead alone.
 * - Calls arriving meanwhile form the next group, up to `maxGroupSize` (events); a call bigger than that goes alone.
 * - When a whole group fails (not one call's check: the statement itself), every call of it is retried alone, so
 *   only the call that causes it fails.
 *
 * @example
 * ```ts
 * const queue = new GroupCommitQueue<string, number>(async (texts) => texts.map((t) => t.length), 10_000);
 * const [a, b] = await Promise.all([queue.submit('one', 1), queue.submit('three', 1)]); // one group: [3, 5]
 * ```
 */
export class GroupCommitQueue<Item, Result> {
  readonly #commit: CommitGroup<Item, Result>;
  readonly #maxGroupSize: number;
  readonly #waiting: QueuedCall<Item, Result>[] = [];
  /** A group is being committed, or the first one is about to be (scheduled). */
  #inFlight = false;
  /** Groups committed so far and calls in them (diagnostics; the bench prints the average group). */
  #groups = 0;
  #calls = 0;

  constructor(commit: CommitGroup<Item, Result>, maxGroupSize: number) {
    if (!(maxGroupSize >= 1)) throw new RangeError(`maxGroupSize must be >= 1, got ${maxGroupSize}`);
    this.#commit = commit;
    this.#maxGroupSize = maxGroupSize;
  }

  /** Groups committed and the calls they carried. */
  get stats(): { readonly groups: number; readonly calls: number } {
    return { groups: this.#groups, calls: this.#calls };
  }

  /** Queues one call; resolves with its own outcome once its group committed. */
  submit(item: Item, size: number): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.#waiting.push({ item, size, resolve, reject });
      if (this.#inFlight) return;
      this.#inFlight = true;
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    try {
      for (;;) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.#waiting.length === 0) break;
        const group = this.#takeGroup();
        this.#groups++;
        this.#calls += group.length;
        await this.#run(group, true);
      }
    } finally {
      this.#inFlight = false;
    }
  }

  #takeGroup(): QueuedCall<Item, Result>[] {
    let size = this.#waiting[0]!.size;
    let count = 1;
    while (count < this.#waiting.length && size + this.#waiting[count]!.size <= this.#maxGroupSize) {
      size += this.#waiting[count]!.size;
      count++;
    }
    return this.#waiting.splice(0, count);
  }

  async #run(group: readonly QueuedCall<Item, Result>[], splitOnFailure: boolean): Promise<void> {
    let outcomes: readonly (Result | Error)[];
    try {
      outcomes = await this.#commit(group.map((call) => call.item));
    } catch (error) {
      if (!splitOnFailure || group.length === 1) {
        for (const call of group) call.reject(error);
        return;
      }
      // Nothing of the group was written (one transaction): find the culprit by committing each call alone.
      for (const call of group) await this.#run([call], false);
      return;
    }
    for (let i = 0; i < group.length; i++) {
      const outcome = outcomes[i];
      if (outcome instanceof Error) group[i]!.reject(outcome);
      else if (outcome === undefined) group[i]!.reject(new Error('journal group commit returned no outcome'));
      else group[i]!.resolve(outcome);
    }
  }
}
