/**
 * The per-correspondent limit on automatic replies (issue 4, loop protection): at most `max` automatic messages to
 * one address within a sliding window. It is a journal projection: it counts the recipients of `action.done`
 * events, so the count survives restarts (the journal rebuilds it on open).
 *
 * @module
 */
import type { ActionKind, StoredEvent } from '../journal/events.js';
import { type SnapshotCapable, timeListsFromState } from '../journal/projection.js';
import { baseAddress } from './addresses.js';

/**
 * Options of {@link AutoReplyLimiter}.
 *
 * @example
 * ```ts
 * const options: AutoReplyLimiterOptions = { max: 3, windowMs: 24 * 3_600_000, kinds: ['reply'] };
 * ```
 */
export interface AutoReplyLimiterOptions {
  /** Automatic messages allowed per address within the window. Default 5. */
  readonly max?: number;
  /** The sliding window in ms. Default 24 h. */
  readonly windowMs?: number;
  /**
   * Which actions count. Default `['reply']`: replies go to whoever wrote, the loop risk; `forward`/`send` go to
   * configured addresses, where a limit would throttle an intended flow (add them if that is wanted).
   */
  readonly kinds?: readonly ActionKind[];
}

const DAY_MS = 86_400_000;
/** Sweep addresses with nothing left in the window every this many recorded sends (bounds the map). */
const SWEEP_EVERY = 10_000;

/**
 * Counts automatic messages per correspondent. Feed it the journal (`Journal.open(store, { projections: [limiter]
 * })`) and ask `allows(address, now)` before replying.
 *
 * @example
 * ```ts
 * const limiter = new AutoReplyLimiter({ max: 3 });
 * const journal = await Journal.open(store, { projections: [limiter] });
 * if (!limiter.allows('ada@example.test', Date.now())) skip('RATE_LIMITED');
 * ```
 */
export class AutoReplyLimiter implements SnapshotCapable {
  /** Its name in a snapshot; the window is part of it, because the window decides what the state kept. */
  readonly snapshotKey: string;
  readonly max: number;
  readonly windowMs: number;
  readonly #kinds: ReadonlySet<ActionKind>;
  /** Send times per base address, in journal order (pruned from the front, so roughly ascending). */
  readonly #sent = new Map<string, number[]>();
  #recorded = 0;
  #latest = Number.NEGATIVE_INFINITY;

  constructor(options: AutoReplyLimiterOptions = {}) {
    this.max = options.max ?? 5;
    this.windowMs = options.windowMs ?? DAY_MS;
    this.#kinds = new Set(options.kinds ?? ['reply']);
    this.snapshotKey = `autoReply:${this.windowMs}:${[...this.#kinds].sort().join(',')}`;
    if (!Number.isInteger(this.max) || this.max < 0) throw new RangeError(`max must be an integer >= 0`);
    if (!(this.windowMs > 0)) throw new RangeError(`windowMs must be > 0`);
  }

  apply(event: StoredEvent): void {
    if (event.type !== 'action.done' || !this.#kinds.has(event.kind) || !event.recipients) return;
    for (const recipient of event.recipients) this.record(recipient, event.at);
  }

  /**
   * Records an automatic message to `address` at `at` (ms). `apply` calls it for journal events.
   *
   * @example
   * ```ts
   * limiter.record('ada@example.test', Date.now());
   * ```
   */
  record(address: string, at: number): void {
    const key = baseAddress(address);
    let times = this.#sent.get(key);
    if (times === undefined) {
      times = [];
      this.#sent.set(key, times);
    }
    times.push(at);
    this.#prune(times, at);
    if (at > this.#latest) this.#latest = at;
    if (++this.#recorded % SWEEP_EVERY === 0) this.#sweep();
  }

  /**
   * How many automatic messages went to `address` within the window ending at `now`.
   *
   * @example
   * ```ts
   * limiter.count('ada@example.test', Date.now()); // 2
   * ```
   */
  count(address: string, now: number): number {
    const times = this.#sent.get(baseAddress(address));
    if (times === undefined) return 0;
    let n = 0;
    for (const t of times) if (t > now - this.windowMs) n++;
    return n;
  }

  /**
   * Whether one more automatic message to `address` at `now` stays within the limit.
   *
   * @example
   * ```ts
   * if (limiter.allows(to, Date.now())) await reply();
   * ```
   */
  allows(address: string, now: number): boolean {
    return this.count(address, now) < this.max;
  }

  /** The send times per address, for a snapshot. */
  exportState(): unknown {
    return { sent: [...this.#sent], recorded: this.#recorded, latest: this.#latest };
  }

  prepareState(state: unknown): () => void {
    const s = state as { sent?: unknown; recorded?: unknown; latest?: unknown } | null;
    const sent = timeListsFromState(s?.sent);
    // JSON has no -Infinity: a limiter that never recorded exports it as null.
    const latest = s?.latest === null ? Number.NEGATIVE_INFINITY : s?.latest;
    if (typeof s?.recorded !== 'number' || typeof latest !== 'number') throw new TypeError('auto-reply limiter state');
    return () => {
      this.#sent.clear();
      for (const [key, times] of sent) this.#sent.set(key, times);
      this.#recorded = s.recorded as number;
      this.#latest = latest;
    };
  }

  #prune(times: number[], now: number): void {
    let drop = 0;
    while (drop < times.length && times[drop]! <= now - this.windowMs) drop++;
    if (drop > 0) times.splice(0, drop);
  }

  #sweep(): void {
    for (const [key, times] of this.#sent) {
      this.#prune(times, this.#latest);
      if (times.length === 0) this.#sent.delete(key);
    }
  }
}
