/**
 * Handler durations for `/metrics`: measured from the journal's `handler.started` to the matching
 * `handler.succeeded`/`handler.failed` (same mailbox, message key, rule and attempt), by the times the runtime wrote
 * into the events, and kept as a Prometheus histogram per mailbox and outcome. Only handlers that finish while the
 * HTTP server runs are counted (like any Prometheus counter, it starts from zero with the process).
 *
 * @module
 */
import type { JournalEvent } from '../journal/events.js';

/**
 * Upper bounds (seconds) of the histogram's buckets: from a quick host function to a command near its time limit.
 *
 * @example
 * ```ts
 * new HandlerDurations(DEFAULT_DURATION_BUCKETS);
 * ```
 */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * One histogram series: cumulative counts per bucket (`counts[i]` = observations ≤ `buckets[i]`), sum and count.
 *
 * @example
 * ```ts
 * const series: DurationSeries = { mailboxId: 'support', outcome: 'succeeded', buckets: [0.1, 1],
 *   cumulative: [1, 2], sum: 0.75, count: 2 };
 * ```
 */
export interface DurationSeries {
  readonly mailboxId: string;
  readonly outcome: 'succeeded' | 'failed';
  readonly buckets: readonly number[];
  readonly cumulative: readonly number[];
  /** Seconds. */
  readonly sum: number;
  readonly count: number;
}

interface MutableSeries {
  mailboxId: string;
  outcome: 'succeeded' | 'failed';
  counts: number[];
  sum: number;
  count: number;
}

/** Handlers started but not finished are remembered up to this many; the oldest is forgotten first. */
const MAX_PENDING = 10_000;

/**
 * Folds handler events into duration histograms.
 *
 * @example
 * ```ts
 * const durations = new HandlerDurations();
 * autopilot.events$.subscribe((event) => durations.observe(event));
 * durations.series(); // [{ mailboxId: 'support', outcome: 'succeeded', count: 3, … }]
 * ```
 */
export class HandlerDurations {
  readonly buckets: readonly number[];
  readonly #pending = new Map<string, number>();
  readonly #series = new Map<string, MutableSeries>();

  constructor(buckets: readonly number[] = DEFAULT_DURATION_BUCKETS) {
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  /** Takes one journal event in; events other than handler starts and ends (and interruptions) are ignored. */
  observe(event: JournalEvent): void {
    switch (event.type) {
      case 'handler.started': {
        const id = pendingKey(event.mailboxId, event.key, event.rule, event.attempt);
        this.#pending.delete(id);
        this.#pending.set(id, event.at);
        if (this.#pending.size > MAX_PENDING) this.#pending.delete(this.#pending.keys().next().value!);
        break;
      }
      case 'handler.succeeded':
      case 'handler.failed': {
        const id = pendingKey(event.mailboxId, event.key, event.rule, event.attempt);
        const startedAt = this.#pending.get(id);
        if (startedAt === undefined) return;
        this.#pending.delete(id);
        this.#record(
          event.mailboxId,
          event.type === 'handler.succeeded' ? 'succeeded' : 'failed',
          event.at - startedAt,
        );
        break;
      }
      case 'message.interrupted': {
        // The handler was cut off by a stop: it has no outcome, and its start would otherwise stay pending.
        const prefix = `${event.mailboxId}\u0000${event.key}\u0000`;
        for (const id of [...this.#pending.keys()]) if (id.startsWith(prefix)) this.#pending.delete(id);
        break;
      }
      default:
        break;
    }
  }

  /** The histograms, in order of first observation. */
  series(): DurationSeries[] {
    return [...this.#series.values()].map((s) => {
      let running = 0;
      const cumulative = s.counts.map((n) => {
        running += n;
        return running;
      });
      return {
        mailboxId: s.mailboxId,
        outcome: s.outcome,
        buckets: this.buckets,
        cumulative,
        sum: s.sum,
        count: s.count,
      };
    });
  }

  #record(mailboxId: string, outcome: 'succeeded' | 'failed', ms: number): void {
    const id = `${mailboxId}\u0000${outcome}`;
    let series = this.#series.get(id);
    if (!series) {
      series = { mailboxId, outcome, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(id, series);
    }
    const secondsTaken = Math.max(0, ms) / 1000;
    const index = this.buckets.findIndex((bound) => secondsTaken <= bound);
    if (index >= 0) series.counts[index]! += 1;
    series.sum += secondsTaken;
    series.count += 1;
  }
}

function pendingKey(mailboxId: string, key: string, rule: string, attempt: number): string {
  return `${mailboxId}\u0000${key}\u0000${rule}\u0000${attempt}`;
}
