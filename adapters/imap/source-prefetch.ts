/**
 * Read-ahead of message sources for the runtime's sequential processing: when a handler asks for the source of one
 * message, the sources of the next messages about to be handled come in the same `UID FETCH`, instead of one command
 * and round trip per message (bench a2 of issue 3). Only small messages are read ahead, within a byte budget, and
 * only once a body was asked for: rules that look at headers only still never download a body.
 *
 * @module
 */

/** Messages larger than this are never read ahead (they stream through `download()` as before). */
export const PREFETCH_MAX_MESSAGE_BYTES = 1024 * 1024;
/** Bytes one read-ahead FETCH may bring. */
export const PREFETCH_BATCH_BYTES = 4 * 1024 * 1024;
/** Messages one read-ahead FETCH may bring. */
export const PREFETCH_BATCH_MESSAGES = 64;
/** Bytes kept for messages not asked for yet; the oldest are dropped beyond it. */
export const PREFETCH_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * The read-ahead state of one session: the messages delivered to the runtime next (in order), and sources already
 * fetched for them.
 *
 * @example
 * ```ts
 * const prefetch = new SourcePrefetch();
 * prefetch.upcoming([{ uid: 7, size: 2048 }, { uid: 8, size: 4096 }]);
 * prefetch.plan(7, 2048); // [7, 8]
 * ```
 */
export class SourcePrefetch {
  #upcoming: { uid: number; size: number }[] = [];
  readonly #cache = new Map<number, Buffer>();
  #bytes = 0;

  /** The messages of a discovery batch that will be delivered, in order (replaces the previous batch's). */
  upcoming(messages: readonly { uid: number; size: number }[]): void {
    this.#upcoming = [...messages];
  }

  /** A source fetched ahead for `uid`, once (it is removed). */
  take(uid: number): Buffer | undefined {
    const source = this.#cache.get(uid);
    if (source === undefined) return undefined;
    this.#cache.delete(uid);
    this.#bytes -= source.length;
    return source;
  }

  /**
   * The UIDs to fetch together with `uid`: it, then the small messages delivered after it, within the budget. Just
   * `[uid]` when nothing can come along.
   */
  plan(uid: number, size: number): number[] {
    if (size > PREFETCH_MAX_MESSAGE_BYTES) return [uid];
    const at = this.#upcoming.findIndex((m) => m.uid === uid);
    const uids = [uid];
    let bytes = size;
    for (const next of at < 0 ? [] : this.#upcoming.slice(at + 1)) {
      if (uids.length >= PREFETCH_BATCH_MESSAGES) break;
      if (next.size > PREFETCH_MAX_MESSAGE_BYTES || this.#cache.has(next.uid)) continue;
      if (bytes + next.size > PREFETCH_BATCH_BYTES) break;
      uids.push(next.uid);
      bytes += next.size;
    }
    return uids;
  }

  /** Keeps a source fetched ahead, dropping the oldest beyond the cache budget. */
  store(uid: number, source: Buffer): void {
    if (this.#cache.has(uid)) return;
    this.#cache.set(uid, source);
    this.#bytes += source.length;
    for (const [oldUid, old] of this.#cache) {
      if (this.#bytes <= PREFETCH_CACHE_BYTES) break;
      this.#cache.delete(oldUid);
      this.#bytes -= old.length;
    }
  }

  /** Forgets everything (the session closed, or the folder changed). */
  clear(): void {
    this.#upcoming = [];
    this.#cache.clear();
    this.#bytes = 0;
  }
}
