/**
 * One mailbox at run time: its actor (when), its service (how), the stream that carries discovered messages to the
 * processor (what), and the journaling of its lifecycle. Nothing that happens inside it can throw out of it: an
 * exception in one mailbox is recorded and never takes down the process or another mailbox.
 *
 * (Over 400 lines: the sink it gives each session is where discovery, back-pressure, `startAt`, the canary and the
 * completeness check meet one session's life; their decisions live in machines/ and runtime/liveness, canary and
 * start-gate.ts, and what remains is the wiring of one session, which reads best in one place.)
 *
 * @module
 */
import { type Observable, Subject } from 'rxjs';
import { type Actor, createActor, type InspectionEvent, type Observer } from 'xstate';
import type {
  Clock,
  DiscoveredMessage,
  DiscoverySink,
  Logger,
  MailService,
  MailSession,
} from '../adapters/contract.js';
import { mailboxMachine } from '../machines/mailbox.machine.js';
import type { MailboxContext, MailboxInput } from '../machines/mailbox.types.js';
import type { CanaryMonitor, CanaryView } from './canary/canary-monitor.js';
import type { StartAt } from './config/start-at.js';
import type { MailboxBaselineEvent } from './journal/events.js';
import type { Journal } from './journal/journal.js';
import { examinedKey } from './journal/mailbox-projection.js';
import { type LifecycleView, lifecycleEvents } from './lifecycle-events.js';
import { CompletenessMonitor, type CompletenessView } from './liveness/completeness-monitor.js';
import { createMailboxActors } from './mailbox-actors.js';
import { reconcileVanished } from './pipeline/reconcile.js';
import { describeError } from './pipeline/step-outcome.js';
import { imapStartBound, keyBaseline, leftOut } from './start-gate.js';

/**
 * A message on its way from discovery to the rules.
 *
 * @example
 * ```ts
 * autopilot.messages$.subscribe(({ mailboxId, message }) => console.log(mailboxId, message.envelope.subject));
 * ```
 */
export interface DiscoveredItem {
  readonly mailboxId: string;
  readonly message: DiscoveredMessage;
}

/**
 * A mailbox's state as an observer sees it (the actor's state and the context fields a person wants).
 *
 * @example
 * ```ts
 * autopilot.states$.subscribe((s) => console.log(s.mailboxId, s.state, s.attempt, s.lastError?.code));
 * ```
 */
export interface MailboxStateView {
  readonly mailboxId: string;
  readonly state: 'connecting' | 'polling' | 'backoff' | 'stopped' | 'unlimitedRetry';
  readonly attempt: number;
  readonly everConnected: boolean;
  readonly lastError: MailboxContext['lastError'];
  readonly nextAttemptAt: number | null;
  readonly connectedAt: number | null;
  readonly lastCheckAt: number | null;
  readonly stopReason: MailboxContext['stopReason'];
  /** The canary (issue 15 point 5); absent when the mailbox has none. */
  readonly canary?: CanaryView;
  /** What the completeness check found (issue 15 point 4); absent when the mailbox has no check. */
  readonly completeness?: CompletenessView;
}

/**
 * A clock as xstate takes it (the contract's {@link Clock}).
 *
 * @example
 * ```ts
 * const clock: RuntimeClock = new SimulatedClock();
 * ```
 */
export type RuntimeClock = Clock;

/**
 * Processes a batch of messages with the session that discovered them (in order); never throws for a message's own
 * problems (they are journaled). A rejection means the journal could not be written: the mailbox stops.
 */
export type MessageProcessor = (messages: readonly DiscoveredMessage[], session: MailSession) => Promise<void>;

/** Logging of the runtime (the contract's {@link Logger}). */
export type RuntimeLogger = Logger;

/**
 * How a {@link MailboxRunner} is built.
 *
 * @example
 * ```ts
 * new MailboxRunner({ mailboxId: 'support', service, journal, process, logger, concurrency: 1 });
 * ```
 */
export interface MailboxRunnerOptions {
  readonly mailboxId: string;
  readonly service: MailService;
  readonly journal: Journal;
  readonly process: MessageProcessor;
  readonly logger: RuntimeLogger;
  readonly concurrency: number;
  readonly clock?: RuntimeClock;
  readonly inspect?: Observer<InspectionEvent>;
  /** Test-only overrides of the machine's input (a shorter schedule); never exposed as a user option. */
  readonly machineInput?: Partial<MailboxInput>;
  /** Reads the time (the injected clock's `now()` when it has one). */
  readonly now: () => number;
  /** Which existing messages discovery leaves out (issue 15 point 3; the mailbox's resolved `startAt`). */
  readonly startAt: StartAt;
  /** The mailbox's canary (issue 15 point 5): its messages are taken away at discovery, never shown to rules. */
  readonly canary?: CanaryMonitor;
  /** The completeness check's schedule (issue 15 point 4), from the mailbox's `completenessCheck`/`missedAfter`. */
  readonly completeness?: { readonly intervalMs: number; readonly missedAfterMs: number };
}

function viewOf(
  snapshot: { value: unknown; context: MailboxContext },
  completeness: CompletenessView | undefined,
): MailboxStateView {
  const { context } = snapshot;
  return {
    ...(completeness ? { completeness } : {}),
    mailboxId: context.mailboxId,
    state: snapshot.value as MailboxStateView['state'],
    attempt: context.attempt,
    everConnected: context.everConnected,
    lastError: context.lastError,
    nextAttemptAt: context.nextAttemptAt,
    connectedAt: context.connectedAt,
    lastCheckAt: context.lastCheckAt,
    stopReason: context.stopReason,
  };
}

/**
 * Runs one mailbox: the actor, back-pressured processing (at most `concurrency` messages at a time; discovery waits
 * for a free slot), lifecycle journaling, and state/message streams.
 *
 * @example
 * ```ts
 * const runner = new MailboxRunner(options);
 * runner.states$.subscribe((s) => console.log(s.state));
 * runner.start();
 * await runner.stop(30_000);
 * ```
 */
export class MailboxRunner {
  readonly mailboxId: string;
  readonly #options: MailboxRunnerOptions;
  readonly #states = new Subject<MailboxStateView>();
  readonly #messages = new Subject<DiscoveredItem>();
  readonly #inFlight = new Set<Promise<void>>();
  /** Keys of the messages in `#inFlight` (a key may be in two batches at once: counted). */
  readonly #inFlightKeys = new Map<string, number>();
  /** Keys `startAt` left out at delivery (POP3/MAPI): the completeness check must not count them as missed. */
  readonly #leftOutKeys = new Set<string>();
  /** Keys of the latest canaries taken away at discovery (the newest 100: a canary is deleted at once). */
  readonly #canaryKeys = new Set<string>();
  readonly #completeness: CompletenessMonitor | undefined;
  readonly #slotWaiters: (() => void)[] = [];
  #actor: Actor<typeof mailboxMachine> | undefined;
  #last: LifecycleView | undefined;
  #accepting = true;
  #journalBroken = false;
  #journalFailure: { readonly code: string; readonly message: string } | undefined;

  constructor(options: MailboxRunnerOptions) {
    this.mailboxId = options.mailboxId;
    this.#options = options;
    const schedule = options.completeness;
    this.#completeness = schedule
      ? new CompletenessMonitor({
          mailboxId: options.mailboxId,
          journal: options.journal,
          inFlight: () => new Set(this.#inFlightKeys.keys()),
          // What `startAt` left out (POP3/MAPI at delivery, and the baseline's keys) is not missed mail.
          // Canaries are taken away, never journaled: a listing made before the deletion (POP3's is the cycle's)
          // still names them, and they are not missed mail either.
          leftOut: (key) =>
            this.#leftOutKeys.has(key) ||
            this.#canaryKeys.has(key) ||
            (options.journal.mailboxes.get(options.mailboxId)?.baseline?.keys?.has(key) ?? false),
          logger: options.logger,
          now: options.now,
          clock: options.clock,
          ...schedule,
        })
      : undefined;
  }

  /** The completeness check of this mailbox (absent without one). */
  get completeness(): CompletenessMonitor | undefined {
    return this.#completeness;
  }

  /** Every state change of this mailbox. */
  get states$(): Observable<MailboxStateView> {
    return this.#states.asObservable();
  }

  /** Every message discovered, as it enters processing. */
  get messages$(): Observable<DiscoveredItem> {
    return this.#messages.asObservable();
  }

  /** The current state, or undefined before `start`. */
  get state(): MailboxStateView | undefined {
    const snapshot = this.#actor?.getSnapshot();
    return snapshot ? this.#withCanary(viewOf(snapshot, this.#completeness?.view)) : undefined;
  }

  /** The journal failure that stopped this mailbox, if one did (see `#journalFailed`). */
  get journalFailure(): { readonly code: string; readonly message: string } | undefined {
    return this.#journalFailure;
  }

  /** Messages being processed right now. */
  get busy(): number {
    return this.#inFlight.size;
  }

  /** Starts the actor: the first connection attempt is immediate. */
  start(): void {
    if (this.#actor) return;
    const actors = createMailboxActors(
      this.#options.service,
      (session) => this.sinkFor(session, true),
      () => this.#actor?.send({ type: 'CHECKED' }),
    );
    const machine = mailboxMachine.provide({ actors });
    // Only set what is given: an explicit `clock: undefined` would replace xstate's default clock.
    const actor = createActor(machine, {
      // The time is passed explicitly (no reading of xstate's clock internals).
      input: { ...this.#options.machineInput, mailboxId: this.mailboxId, now: this.#options.now },
      ...(this.#options.clock ? { clock: this.#options.clock } : {}),
      ...(this.#options.inspect ? { inspect: this.#options.inspect } : {}),
    });
    this.#actor = actor;
    actor.subscribe({
      next: (snapshot) => this.#onSnapshot(snapshot),
      error: (error) =>
        this.#options.logger.error({ mailboxId: this.mailboxId, err: String(error) }, 'mailbox actor failed'),
    });
    actor.start();
    this.#options.canary?.start();
  }

  #withCanary(view: MailboxStateView): MailboxStateView {
    const canary = this.#options.canary;
    return canary ? { ...view, canary: canary.view } : view;
  }

  /** Asks the mailbox to try to connect now (from `stopped`, `backoff` or `unlimitedRetry`). */
  retryNow(): void {
    this.#actor?.send({ type: 'RETRY' });
  }

  /**
   * Stops discovery, lets messages in flight finish until `deadlineMs`, then stops the actor (closing the session).
   * Resolves with the number of messages that were still running at the deadline.
   */
  async stop(deadlineMs: number): Promise<number> {
    this.#accepting = false;
    this.#options.canary?.stop();
    this.#completeness?.stop();
    for (const wake of this.#slotWaiters.splice(0)) wake();
    const pending = [...this.#inFlight];
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), deadlineMs);
      timer.unref();
    });
    await Promise.race([Promise.allSettled(pending), deadline]);
    clearTimeout(timer);
    const interrupted = this.#inFlight.size;
    this.#actor?.send({ type: 'STOP' });
    this.#actor?.stop();
    this.#states.complete();
    this.#messages.complete();
    return interrupted;
  }

  #onSnapshot(snapshot: { value: unknown; context: MailboxContext }): void {
    const view: LifecycleView = { value: String(snapshot.value), context: snapshot.context };
    const events = lifecycleEvents(this.#last, view, this.#options.now());
    this.#last = view;
    if (events.length > 0) {
      this.#options.journal.append(events).catch((error: unknown) => {
        if (this.#journalBroken) return; // the stop it caused could not be journaled either; it was logged
        this.#journalFailed(error);
      });
      for (const event of events) this.#log(event);
    }
    this.#states.next(this.#withCanary(viewOf(snapshot, this.#completeness?.view)));
  }

  #log(event: ReturnType<typeof lifecycleEvents>[number]): void {
    const logger = this.#options.logger;
    const error = 'error' in event ? event.error : null;
    const fields = {
      mailboxId: this.mailboxId,
      event: event.type,
      ...(error ? { code: error.code, error: error.message } : {}),
    };
    if (event.type === 'mailbox.stopped' || event.type === 'mailbox.lost') logger.warn(fields, event.type);
    else if (event.type === 'mailbox.backoff') logger.warn({ ...fields, waitMs: event.waitMs }, event.type);
    else logger.info(fields, event.type);
  }

  /** Runs a batch in a slot; a journal failure stops the mailbox (never a silent wedge). */
  #run(messages: readonly DiscoveredMessage[], session: MailSession): Promise<void> {
    const keys = messages.map((m) => m.identity.key);
    for (const key of keys) this.#inFlightKeys.set(key, (this.#inFlightKeys.get(key) ?? 0) + 1);
    const work = this.#options
      .process(messages, session)
      .catch((error: unknown) => this.#journalFailed(error))
      .finally(() => {
        for (const key of keys) {
          const left = (this.#inFlightKeys.get(key) ?? 1) - 1;
          if (left > 0) this.#inFlightKeys.set(key, left);
          else this.#inFlightKeys.delete(key);
        }
        this.#inFlight.delete(work);
        this.#slotWaiters.shift()?.();
      });
    this.#inFlight.add(work);
    return work;
  }

  /**
   * The journal refused a write (another writer, a fenced lease, a broken store): without its truth the mailbox
   * must not go on. It stops loudly — logged, `stopped` with the error as `lastError`, so `status` and `/healthz`
   * (503) show it — instead of failing message after message while it looks alive (issue 13 point 3).
   */
  #journalFailed(error: unknown): void {
    const { code, reason: message } = describeError(error, 'JOURNAL_FAILED');
    if (this.#journalBroken) return;
    this.#journalBroken = true;
    this.#journalFailure = { code, message };
    this.#options.logger.error(
      { mailboxId: this.mailboxId, code, error: message },
      'journal write failed: the mailbox stops (run `mail-autopilot status`; restart when the cause is fixed)',
    );
    this.#accepting = false;
    for (const wake of this.#slotWaiters.splice(0)) wake();
    this.#actor?.send({ type: 'STOP', error: { code, message, retryable: false } });
  }

  /**
   * `startAt` for services bounded as messages arrive (POP3, MAPI; IMAP is bounded in its SEARCH through
   * `startBound`): what to leave out, and for `startAt: new` without a baseline, the keys of this session's first
   * pass, journaled as the baseline when it is over.
   */
  #deliveryGate() {
    const { startAt, journal, mailboxId, service } = this.#options;
    const status = () => journal.mailboxes.get(mailboxId);
    const gated = service.kind !== 'imap' && startAt.kind !== 'all';
    let collecting = gated && startAt.kind === 'new' && !status()?.baseline;
    const old: string[] = [];
    let recorded: Promise<void> = Promise.resolve();
    return {
      keep: (message: DiscoveredMessage): boolean => {
        if (!gated || !leftOut(startAt, status(), message, collecting)) return true;
        if (collecting) old.push(message.identity.key);
        this.#leftOutKeys.add(message.identity.key);
        return false;
      },
      caughtUp: () => {
        if (!collecting) return;
        collecting = false;
        recorded = this.#journalBaseline(keyBaseline(mailboxId, old, this.#options.now()));
      },
      settled: () => recorded,
    };
  }

  async #journalBaseline(baseline: MailboxBaselineEvent): Promise<void> {
    await this.#options.journal.append([baseline]).catch((error: unknown) => this.#journalFailed(error));
    this.#options.logger.info(
      { mailboxId: this.mailboxId, event: baseline.type, existing: baseline.existing },
      `mailbox ${this.mailboxId}: startAt new: ${baseline.existing} existing messages are left out (baseline journaled)`,
    );
  }

  #rememberCanary(key: string): void {
    this.#canaryKeys.add(key);
    if (this.#canaryKeys.size > 100) this.#canaryKeys.delete(this.#canaryKeys.values().next().value!);
  }

  async #acquireSlot(): Promise<boolean> {
    while (this.#accepting && this.#inFlight.size >= this.#options.concurrency) {
      await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
    }
    return this.#accepting;
  }

  /**
   * The sink given to one session's `watch`: back-pressure through `next`, completion through `drain`. Public for
   * `runOnce`, which drives a session without the actor. `live` (the actor's sessions) attaches the completeness
   * check once the first pass is over: after every reconnect.
   */
  sinkFor(session: MailSession, live = false): DiscoverySink {
    const seen = new Set<string>();
    let firstPass = true;
    let reconciling: Promise<void> = Promise.resolve();
    const gate = this.#deliveryGate();
    return {
      caughtUp: () => {
        if (!firstPass) return;
        firstPass = false;
        gate.caughtUp();
        // Messages moved or deleted just before a crash are gone: settle them instead of waiting for them forever.
        if (live) this.#completeness?.attach(session);
        reconciling = reconcileVanished(this.#options.journal, this.mailboxId, seen, this.#options.now()).then(
          (settled) => {
            if (settled.length > 0) {
              this.#options.logger.warn(
                { mailboxId: this.mailboxId, keys: settled },
                'settled moves/deletes done before a crash',
              );
            }
          },
          (error: unknown) =>
            this.#options.logger.error({ mailboxId: this.mailboxId, err: String(error) }, 'reconcile failed'),
        );
      },
      next: async (message) => {
        const removal = this.#options.canary?.divert(message, session);
        if (removal) {
          this.#rememberCanary(message.identity.key);
          return removal;
        }
        if (firstPass) seen.add(message.identity.key);
        if (!gate.keep(message)) return;
        if (!(await this.#acquireSlot())) return;
        this.#messages.next({ mailboxId: this.mailboxId, message });
        const work = this.#run([message], session);
        if (this.#options.concurrency === 1) await work;
      },
      nextBatch: async (all) => {
        const canary = this.#options.canary;
        const removals: Promise<void>[] = [];
        // Canaries are taken away before anything else sees them: never a rule, never the journal, never startAt.
        const kept = all.filter((message) => {
          const removal = canary?.divert(message, session);
          if (removal) {
            removals.push(removal);
            this.#rememberCanary(message.identity.key);
          }
          return !removal;
        });
        await Promise.all(removals);
        if (firstPass) for (const message of kept) seen.add(message.identity.key);
        const messages = kept.filter((message) => gate.keep(message));
        if (messages.length === 0 || !(await this.#acquireSlot())) return;
        for (const message of messages) this.#messages.next({ mailboxId: this.mailboxId, message });
        // A batch is back-pressure of its own: discovery waits for the whole of it (its concurrency is inside).
        await this.#run(messages, session);
      },
      examinedThrough: (folder, uidValidity) =>
        this.#options.journal.mailboxes.get(this.mailboxId)?.examinedThrough[examinedKey(folder, uidValidity)] ?? 0,
      examined: async (range) => {
        await this.#options.journal
          .append([{ type: 'mailbox.examined', mailboxId: this.mailboxId, at: this.#options.now(), ...range }])
          .catch((error: unknown) => this.#journalFailed(error));
      },
      listed: async (keys) => {
        // Handled messages gone from the server never come back (POP3 UIDLs are not reused): drop them from the
        // compact handled set, by a journal fact so a start from a snapshot or from the beginning agrees.
        const gone = this.#options.journal.messages.gone(this.mailboxId, new Set(keys));
        if (gone.length === 0) return;
        await this.#options.journal
          .append([{ type: 'mailbox.forgotten', mailboxId: this.mailboxId, at: this.#options.now(), keys: gone }])
          .catch((error: unknown) => this.#journalFailed(error));
      },
      startBound: async (watermark) => {
        const { mailboxId, journal } = this.#options;
        const status = journal.mailboxes.get(mailboxId);
        const { bound, baseline } = imapStartBound(
          this.#options.startAt,
          status,
          mailboxId,
          watermark,
          this.#options.now(),
        );
        if (baseline) await this.#journalBaseline(baseline);
        return bound;
      },
      drain: async () => {
        await Promise.allSettled([...this.#inFlight]);
        await reconciling;
        await gate.settled();
      },
      notice: (code, text) => this.#options.logger.warn({ mailboxId: this.mailboxId, code }, text),
      progress: (done, total) => {
        if (total >= 100 && (done === total || done % 500 === 0)) {
          this.#options.logger.info({ mailboxId: this.mailboxId, done, total }, 'first pass');
        }
      },
    };
  }
}
