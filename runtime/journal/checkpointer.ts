/**
 * When to write a checkpoint (issue 16): after `everyEvents` events since the last snapshot, or `everyMs` after it
 * when anything was appended since, and once more on a clean stop (so the next start folds nothing). The write runs
 * after the append that triggered it has resolved (`setImmediate`), one at a time; its synchronous part (exporting
 * the bounded projections and compressing them) is what it takes from the message path, reported by `onWritten`.
 * A failed write is reported and tried again at the next trigger: a missing checkpoint only makes a start slower.
 *
 * @module
 */
import type { Journal } from './journal.js';

/**
 * The checkpoint settings, resolved (config `checkpoint.everyEvents`, `checkpoint.every`; defaults in the schema).
 *
 * @example
 * ```ts
 * const settings: CheckpointSettings = { everyEvents: 10_000, everyMs: 600_000 };
 * ```
 */
export interface CheckpointSettings {
  readonly everyEvents: number;
  readonly everyMs: number;
}

/**
 * What one checkpoint write took.
 *
 * @example
 * ```ts
 * const info: CheckpointWritten = { position: 120_000, bytes: 48_211, blockedMs: 3.1, totalMs: 9.8 };
 * ```
 */
export interface CheckpointWritten {
  readonly position: number;
  readonly bytes: number;
  /** The synchronous part (export + encode): the time the event loop was not serving messages. */
  readonly blockedMs: number;
  /** Until the store had it. */
  readonly totalMs: number;
}

/**
 * Hooks of a {@link Checkpointer}.
 *
 * @example
 * ```ts
 * const hooks: CheckpointHooks = { now: Date.now, onError: (e) => log.warn(String(e)) };
 * ```
 */
export interface CheckpointHooks {
  readonly now: () => number;
  readonly onError: (error: unknown) => void;
  readonly onWritten?: (info: CheckpointWritten) => void;
}

/**
 * Writes the journal's snapshots in the background.
 *
 * @example
 * ```ts
 * const checkpointer = new Checkpointer(journal, { everyEvents: 10_000, everyMs: 600_000 }, { now, onError });
 * checkpointer.start();
 * // …
 * await checkpointer.stop(); // writes a last one when anything happened since
 * ```
 */
export class Checkpointer {
  readonly #journal: Journal;
  readonly #settings: CheckpointSettings;
  readonly #hooks: CheckpointHooks;
  #covered: number;
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #writing: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(journal: Journal, settings: CheckpointSettings, hooks: CheckpointHooks) {
    this.#journal = journal;
    this.#settings = settings;
    this.#hooks = hooks;
    this.#covered = journal.restoredFrom;
  }

  /** The position the last snapshot written (or started from) covers. */
  get covered(): number {
    return this.#covered;
  }

  /** Starts watching appends; a start that folded many events takes its first checkpoint at once. */
  start(): void {
    this.#unsubscribe = this.#journal.subscribe(() => this.#check());
    // Unref'd: a pending checkpoint never keeps the process alive.
    this.#timer = setInterval(() => {
      if (this.#journal.position > this.#covered) this.#schedule();
    }, this.#settings.everyMs).unref();
    this.#check();
  }

  /**
   * Stops, waits for a write in progress and, with `final` (default), writes one more if events came after it.
   * Call before closing the journal.
   */
  async stop(final = true): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    clearInterval(this.#timer);
    await this.#writing;
    if (final && this.#journal.position > this.#covered) await this.#write();
  }

  #check(): void {
    if (this.#journal.position - this.#covered >= this.#settings.everyEvents) this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    if (this.#writing) {
      this.#again = true;
      return;
    }
    this.#writing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.#write())
      .finally(() => {
        this.#writing = undefined;
        if (this.#again) {
          this.#again = false;
          this.#check();
        }
      });
  }

  async #write(): Promise<void> {
    const started = performance.now();
    try {
      const { position, data } = this.#journal.snapshot();
      const blockedMs = performance.now() - started;
      await this.#journal.store.writeSnapshot({ position, at: this.#hooks.now(), data });
      this.#covered = Math.max(this.#covered, position);
      this.#hooks.onWritten?.({ position, bytes: data.byteLength, blockedMs, totalMs: performance.now() - started });
    } catch (error) {
      this.#hooks.onError(error);
    }
  }
}
