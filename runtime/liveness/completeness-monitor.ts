/**
 * The completeness check at run time (issue 15 point 4): after every reconnect (a session's first pass) and every
 * `completenessCheck`, it lists what the server holds, lets the pure comparison (machines/completeness.ts) decide
 * what was missed, and carries the verdict out: the missed messages are examined at once through the session's own
 * discovery (`examine`), counted, logged, and shown as `unexamined` until a later check finds them examined.
 *
 * @module
 */
import type { Clock, Logger, MailSession } from '../../adapters/contract.js';
import { compareListing } from '../../machines/completeness.js';
import { backgroundTimeout } from '../autopilot/clock.js';
import type { Journal } from '../journal/journal.js';
import { examinedKey } from '../journal/mailbox-projection.js';

/**
 * What the completeness check found, as the status page and `/metrics` show it.
 *
 * @example
 * ```ts
 * const view: CompletenessView = { unexamined: 0, unexaminedKeys: [], missedTotal: 1, lastCheckAt: 1_700_000_000_000 };
 * ```
 */
export interface CompletenessView {
  /** Messages the latest check found unexamined beyond the bound (the gauge `mail_autopilot_unexamined_messages`). */
  readonly unexamined: number;
  readonly unexaminedKeys: readonly string[];
  /** Messages found missed since the process started, each once (`mail_autopilot_missed_messages_total`). */
  readonly missedTotal: number;
  /** When the latest check completed (`null`: none yet). */
  readonly lastCheckAt: number | null;
}

/**
 * How a {@link CompletenessMonitor} is built.
 *
 * @example
 * ```ts
 * const options: CompletenessOptions = { mailboxId: 'support', journal, inFlight: () => new Set(), logger, now: Date.now,
 *   intervalMs: 600_000, missedAfterMs: 120_000 };
 * ```
 */
export interface CompletenessOptions {
  readonly mailboxId: string;
  readonly journal: Journal;
  /** Keys being processed by this process right now. */
  readonly inFlight: () => ReadonlySet<string>;
  /** Keys `startAt` leaves out (issue 15 point 3): not missed. Absent: none. */
  readonly leftOut?: (key: string) => boolean;
  readonly logger: Logger;
  readonly now: () => number;
  /** The injected clock's timers (runtime/autopilot/clock.ts); the system's without one. */
  readonly clock?: Clock;
  readonly intervalMs: number;
  readonly missedAfterMs: number;
}

/**
 * One mailbox's completeness check. `attach` it to each session once its first pass is over; `stop` it with the
 * mailbox. Timers are unref'd: the check never keeps a process alive.
 *
 * @example
 * ```ts
 * const monitor = new CompletenessMonitor(options);
 * sink.caughtUp = () => monitor.attach(session);
 * console.log(monitor.view.unexamined);
 * ```
 */
export class CompletenessMonitor {
  readonly #options: CompletenessOptions;
  #session: MailSession | null = null;
  #cancel: (() => void) | undefined;
  #firstSeen: ReadonlyMap<string, number> = new Map();
  /** Keys already counted as missed (each is counted once, however many checks see it). */
  readonly #counted = new Set<string>();
  #view: CompletenessView = { unexamined: 0, unexaminedKeys: [], missedTotal: 0, lastCheckAt: null };
  #running: Promise<void> | null = null;
  #stopped = false;

  constructor(options: CompletenessOptions) {
    this.#options = options;
  }

  /** What the latest check found. */
  get view(): CompletenessView {
    return this.#view;
  }

  /** A session's first pass is over (a reconnect): check it now, then on the schedule. */
  attach(session: MailSession): void {
    if (this.#stopped || !session.listPresent) return;
    this.#session = session;
    this.#schedule(0);
  }

  /** Runs one check now (tests, and `attach`); resolves when it is done. Never rejects. */
  check(): Promise<void> {
    this.#running ??= this.#check().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** Ends the schedule. */
  stop(): void {
    this.#stopped = true;
    this.#session = null;
    this.#clear();
  }

  async #check(): Promise<void> {
    const session = this.#session;
    if (!session?.listPresent) return;
    const { mailboxId, journal, missedAfterMs, logger } = this.#options;
    let listing: Awaited<ReturnType<NonNullable<MailSession['listPresent']>>>;
    try {
      listing = await session.listPresent();
    } catch (error) {
      // The session ended (lost, closed): the next session's first pass attaches again.
      if (this.#session === session) this.#session = null;
      const code = (error as { code?: unknown })?.code;
      logger.info({ mailboxId, code: typeof code === 'string' ? code : 'LIST_FAILED' }, 'completeness check skipped');
      return;
    }
    if (this.#stopped || this.#session !== session) return;
    const now = this.#options.now();
    const status = journal.mailboxes.get(mailboxId);
    const verdict = compareListing({
      listed: listing.messages,
      known: (key) => journal.messages.get(mailboxId, key) !== undefined,
      inFlight: this.#options.inFlight(),
      ...(this.#options.leftOut ? { leftOut: this.#options.leftOut } : {}),
      examinedThrough: (folder, uidValidity) => status?.examinedThrough[examinedKey(folder, uidValidity)] ?? 0,
      filtered: listing.filtered === true,
      firstSeen: this.#firstSeen,
      now,
      missedAfterMs,
    });
    this.#firstSeen = verdict.firstSeen;
    const fresh = verdict.missed.filter((m) => !this.#counted.has(m.key));
    for (const m of fresh) this.#counted.add(m.key);
    // Keys no longer unexamined need no memory (they were examined, or left the server).
    for (const key of this.#counted) if (!verdict.firstSeen.has(key)) this.#counted.delete(key);
    this.#view = {
      unexamined: verdict.missed.length,
      unexaminedKeys: verdict.missed.map((m) => m.key),
      missedTotal: this.#view.missedTotal + fresh.length,
      lastCheckAt: now,
    };
    if (verdict.missed.length > 0) {
      logger.warn(
        {
          mailboxId,
          code: 'MESSAGES_MISSED',
          keys: verdict.missed.map((m) => m.key),
          refs: verdict.missed.map((m) => m.ref),
          ...(listing.uidNext === undefined ? {} : { uidNext: listing.uidNext }),
        },
        `completeness check: ${verdict.missed.length} message(s) on the server were never examined; examining them now`,
      );
      session.examine?.(verdict.missed.map((m) => m.ref));
    }
    // Missed ones are looked at again soon (to see them recovered); waiting ones when their bound has passed.
    const interval = this.#options.intervalMs;
    const soon = verdict.missed.length > 0 ? Math.min(interval, missedAfterMs) : interval;
    const next = verdict.recheckAt === null ? soon : Math.min(soon, Math.max(0, verdict.recheckAt - now));
    this.#schedule(next);
  }

  #schedule(ms: number): void {
    this.#clear();
    if (this.#stopped) return;
    this.#cancel = backgroundTimeout(
      this.#options.clock,
      () => {
        this.#cancel = undefined;
        void this.check();
      },
      ms,
    );
  }

  #clear(): void {
    this.#cancel?.();
    this.#cancel = undefined;
  }
}
