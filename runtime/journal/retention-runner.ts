/**
 * The background retention pass (issue 16, part 3): once shortly after start, then every hour, it asks the store to
 * remove what `retention.ts` allows (history a checkpoint covers, older than `journal.retain`). The timer runs on
 * the injected clock and is unref'd, so it never keeps a process alive; a pass that fails is logged and the next
 * one tries again (retention is housekeeping: it never stops mail handling).
 *
 * @module
 */
import type { Clock, Logger } from '../../adapters/contract.js';
import { backgroundTimeout } from '../autopilot/clock.js';
import { retentionBound } from './retention.js';
import type { JournalStore, PrunePass } from './store.js';

/**
 * When the first pass runs after start: soon, but after the start's own burst of work (the fold, the first
 * checks of the mailboxes).
 *
 * @example
 * ```ts
 * clock.setTimeout(pass, RETENTION_FIRST_PASS_MS);
 * ```
 */
export const RETENTION_FIRST_PASS_MS = 60_000;

/**
 * The time between passes: hourly. A day's bound (`retain: 90d`) is kept to within an hour.
 *
 * @example
 * ```ts
 * clock.setTimeout(pass, RETENTION_EVERY_MS);
 * ```
 */
export const RETENTION_EVERY_MS = 3_600_000;

/**
 * Options of {@link RetentionRunner}.
 *
 * @example
 * ```ts
 * const options: RetentionRunnerOptions = { store, retainMs: 90 * 86_400_000, logger };
 * ```
 */
export interface RetentionRunnerOptions {
  readonly store: JournalStore;
  /** `journal.retain` in ms. */
  readonly retainMs: number;
  /** Timers and `now()` (the real ones when absent). */
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/**
 * One retention pass now, on `store`: bounded by the older of the two kept snapshots and by `now - retainMs`.
 * Resolves with the pass, or `undefined` when there is nothing it may reach yet (fewer than two snapshots).
 *
 * @example
 * ```ts
 * const pass = await runRetentionPass(store, 90 * 86_400_000, Date.now());
 * if (pass) console.log(`retention removed ${pass.removed} events through position ${pass.throughPosition}`);
 * ```
 */
export async function runRetentionPass(
  store: JournalStore,
  retainMs: number,
  now: number,
): Promise<PrunePass | undefined> {
  const newest = await store.latestSnapshot();
  const older = newest === undefined ? undefined : await store.latestSnapshot(newest.position);
  const request = retentionBound({ older, now, retainMs });
  return request === undefined ? undefined : store.pruneEvents(request);
}

/**
 * Runs {@link runRetentionPass} on a schedule (see the module doc) until {@link RetentionRunner.stop}.
 *
 * @example
 * ```ts
 * const retention = new RetentionRunner({ store, retainMs: config.journalRetainMs!, logger });
 * retention.start();
 * // …
 * await retention.stop(); // waits for a pass in progress
 * ```
 */
export class RetentionRunner {
  readonly #options: RetentionRunnerOptions;
  #cancel: (() => void) | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;

  constructor(options: RetentionRunnerOptions) {
    this.#options = options;
  }

  /** Schedules the first pass. Idempotent while running. */
  start(): void {
    if (this.#cancel !== undefined || this.#stopped) return;
    this.#schedule(RETENTION_FIRST_PASS_MS);
  }

  /** Cancels the next pass and waits for one in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancel?.();
    this.#cancel = undefined;
    await this.#running;
  }

  /**
   * Runs one pass now (what the timer calls); failures are logged, not thrown.
   *
   * @example
   * ```ts
   * const pass = await retention.runNow();
   * ```
   */
  async runNow(): Promise<PrunePass | undefined> {
    const { store, retainMs, logger } = this.#options;
    const at = this.#options.clock?.now?.() ?? Date.now();
    const running = runRetentionPass(store, retainMs, at).then(
      (pass) => {
        if (pass && pass.removed > 0) {
          logger?.info(
            { ...pass },
            `retention removed ${pass.removed} journal events through position ${pass.throughPosition}`,
          );
        }
        return pass;
      },
      (error: unknown) => {
        const { code, message } = error as { code?: string; message?: string };
        logger?.warn(
          { code: code ?? 'RETENTION_FAILED', error: message },
          'journal retention pass failed; retrying later',
        );
        return undefined;
      },
    );
    this.#running = running;
    return running;
  }

  #schedule(ms: number): void {
    // Housekeeping must never keep the process alive: an unref'd timer.
    this.#cancel = backgroundTimeout(
      this.#options.clock,
      () => {
        this.#cancel = undefined;
        void this.runNow().then(() => {
          if (!this.#stopped) this.#schedule(RETENTION_EVERY_MS);
        });
      },
      ms,
    );
  }
}
