/**
 * Per-mailbox status and counters, folded from the journal: what the CLI, /metrics and the status page show.
 *
 * @module
 */
import type { JournalErrorInfo, StoredEvent } from './events.js';
import type { Projection } from './projection.js';

/**
 * The mailbox states of SPEC S12 as last journaled, or `unknown` before any lifecycle event. After a restart this is
 * the state the previous run recorded last; the runtime appends fresh lifecycle events as its actors start.
 *
 * @example
 * ```ts
 * const state: JournaledMailboxState = 'backoff';
 * ```
 */
export type JournaledMailboxState = 'unknown' | 'connecting' | 'polling' | 'backoff' | 'stopped' | 'unlimitedRetry';

/**
 * Event counts of one mailbox since its journal began. Monotonic, so they suit Prometheus counters.
 *
 * @example
 * ```ts
 * const { handled, deadLettered } = journal.mailboxes.get('support')!.counters;
 * ```
 */
export interface MailboxCounters {
  attempts: number;
  connections: number;
  connectionsLost: number;
  discovered: number;
  matched: number;
  unmatched: number;
  handlerRuns: number;
  handlerSucceeded: number;
  handlerFailed: number;
  actionsDone: number;
  actionsSkipped: number;
  actionsFailed: number;
  handled: number;
  deadLettered: number;
  retryRequested: number;
  reidentified: number;
  interrupted: number;
}

/**
 * One mailbox's journaled status. The object is live (updated in place by later events).
 *
 * @example
 * ```ts
 * const s = journal.mailboxes.get('support');
 * if (s?.state === 'stopped') console.error(`${s.mailboxId}: ${s.lastError?.code} ${s.lastError?.message}`);
 * ```
 */
export interface MailboxStatus {
  readonly mailboxId: string;
  readonly state: JournaledMailboxState;
  /** Attempt number in the current run of attempts (from `mailbox.attempt`). */
  readonly attempt: number;
  readonly lastError: (JournalErrorInfo & { readonly at: number }) | null;
  /** When the current connection was established; `null` when not connected. */
  readonly connectedAt: number | null;
  /** When the mailbox last connected at all (kept after the connection is gone). */
  readonly lastConnectedAt: number | null;
  readonly nextAttemptAt: number | null;
  readonly stopReason: 'gaveUp' | 'requested' | null;
  /** The stream's version: the number of events of this mailbox. */
  readonly version: number;
  readonly updatedAt: number;
  readonly counters: Readonly<MailboxCounters>;
  /**
   * Per folder and UIDVALIDITY (`folder\0uidValidity`): the highest UID the server's search examined (issue 12:
   * messages no rule can match are recorded as ranges, not one by one).
   */
  readonly examinedThrough: Readonly<Record<string, number>>;
  /** `startAt: new`: the watermark of the first start, or `null` (issue 15 point 3; the first one recorded wins). */
  readonly baseline: MailboxBaseline | null;
  /** What the first pass of the mailbox was announced to do (`mailbox.firstPass`), or `null`. */
  readonly firstPass: {
    readonly startAt: string;
    readonly examine: number;
    readonly wouldSend: number;
    readonly leftOut: number;
  } | null;
}

/**
 * The journaled baseline of a `startAt: new` mailbox: IMAP's folder, UIDVALIDITY and UIDNEXT, or the keys present.
 *
 * @example
 * ```ts
 * const old = (b: MailboxBaseline, uid: number) => b.uidNext !== null && uid < b.uidNext;
 * ```
 */
export interface MailboxBaseline {
  readonly at: number;
  readonly folder: string | null;
  readonly uidValidity: string | null;
  readonly uidNext: number | null;
  readonly keys: ReadonlySet<string> | null;
  /** Messages there at the first start, never examined. */
  readonly existing: number;
}

interface MutableStatus {
  mailboxId: string;
  state: JournaledMailboxState;
  attempt: number;
  lastError: (JournalErrorInfo & { at: number }) | null;
  connectedAt: number | null;
  lastConnectedAt: number | null;
  nextAttemptAt: number | null;
  stopReason: 'gaveUp' | 'requested' | null;
  version: number;
  updatedAt: number;
  counters: MailboxCounters;
  examinedThrough: Record<string, number>;
  baseline: MailboxBaseline | null;
  firstPass: MailboxStatus['firstPass'];
}

function newCounters(): MailboxCounters {
  return {
    attempts: 0,
    connections: 0,
    connectionsLost: 0,
    discovered: 0,
    matched: 0,
    unmatched: 0,
    handlerRuns: 0,
    handlerSucceeded: 0,
    handlerFailed: 0,
    actionsDone: 0,
    actionsSkipped: 0,
    actionsFailed: 0,
    handled: 0,
    deadLettered: 0,
    retryRequested: 0,
    reidentified: 0,
    interrupted: 0,
  };
}

/**
 * The key of {@link MailboxStatus.examinedThrough}: one folder under one UIDVALIDITY.
 *
 * @example
 * ```ts
 * journal.mailboxes.get('support')?.examinedThrough[examinedKey('INBOX', '7')]; // 10000
 * ```
 */
export function examinedKey(folder: string, uidValidity: string): string {
  return `${folder}\0${uidValidity}`;
}

function withTime(error: JournalErrorInfo | null, at: number): (JournalErrorInfo & { at: number }) | null {
  return error === null ? null : { ...error, at };
}

/**
 * The mailbox projection: state, last error, connection times and counters per mailbox.
 *
 * @example
 * ```ts
 * const mailboxes = new MailboxProjection();
 * mailboxes.apply({ type: 'mailbox.connected', mailboxId: 'support', at: 5, position: 1, version: 1 });
 * mailboxes.get('support')?.state; // 'polling'
 * ```
 */
export class MailboxProjection implements Projection {
  readonly #statuses = new Map<string, MutableStatus>();

  apply(e: StoredEvent): void {
    let s = this.#statuses.get(e.mailboxId);
    if (s === undefined) {
      s = {
        mailboxId: e.mailboxId,
        state: 'unknown',
        attempt: 0,
        lastError: null,
        connectedAt: null,
        lastConnectedAt: null,
        nextAttemptAt: null,
        stopReason: null,
        version: 0,
        updatedAt: e.at,
        counters: newCounters(),
        examinedThrough: {},
        baseline: null,
        firstPass: null,
      };
      this.#statuses.set(e.mailboxId, s);
    }
    s.version = e.version;
    s.updatedAt = e.at;
    const c = s.counters;
    switch (e.type) {
      case 'mailbox.attempt':
        c.attempts++;
        s.state = 'connecting';
        s.attempt = e.attempt;
        s.nextAttemptAt = null;
        s.stopReason = null;
        break;
      case 'mailbox.connected':
        c.connections++;
        s.state = 'polling';
        s.connectedAt = e.at;
        s.lastConnectedAt = e.at;
        s.nextAttemptAt = null;
        break;
      case 'mailbox.lost':
        c.connectionsLost++;
        // The machine goes from polling to backoff on a loss; `mailbox.backoff` brings the next attempt's time.
        s.state = 'backoff';
        s.connectedAt = null;
        s.lastError = withTime(e.error, e.at);
        break;
      case 'mailbox.backoff':
        s.state = 'backoff';
        s.connectedAt = null;
        s.nextAttemptAt = e.nextAttemptAt;
        if (e.error !== null) s.lastError = withTime(e.error, e.at);
        break;
      case 'mailbox.stopped':
        s.state = 'stopped';
        s.connectedAt = null;
        s.nextAttemptAt = null;
        s.stopReason = e.reason;
        if (e.error !== null) s.lastError = withTime(e.error, e.at);
        break;
      case 'mailbox.unlimitedRetry':
        s.state = 'unlimitedRetry';
        s.connectedAt = null;
        s.nextAttemptAt = e.nextAttemptAt;
        if (e.error !== null) s.lastError = withTime(e.error, e.at);
        break;
      case 'mailbox.examined': {
        // Only UIDs above what was examined before count: a full pass after a reconnect reports its range again.
        const key = examinedKey(e.folder, e.uidValidity);
        const before = s.examinedThrough[key] ?? 0;
        if (e.fromUid > before) {
          c.discovered += e.candidates - e.hits;
          c.unmatched += e.candidates - e.hits;
        }
        if (e.throughUid > before) s.examinedThrough[key] = e.throughUid;
        break;
      }
      case 'mailbox.baseline':
        // Journaled once; should a second one ever be written (a race of two starts), the first stays: a restart
        // must never move the baseline forward.
        s.baseline ??= {
          at: e.at,
          folder: e.folder,
          uidValidity: e.uidValidity,
          uidNext: e.uidNext,
          keys: e.keys === null ? null : new Set(e.keys),
          existing: e.existing,
        };
        break;
      case 'mailbox.firstPass':
        s.firstPass ??= { startAt: e.startAt, examine: e.examine, wouldSend: e.wouldSend, leftOut: e.leftOut ?? 0 };
        break;
      case 'message.discovered':
        c.discovered++;
        break;
      case 'message.matched':
        c.matched++;
        break;
      case 'message.unmatched':
        c.unmatched++;
        break;
      case 'handler.started':
        c.handlerRuns++;
        break;
      case 'handler.succeeded':
        c.handlerSucceeded++;
        break;
      case 'handler.failed':
        c.handlerFailed++;
        break;
      case 'action.done':
        c.actionsDone++;
        break;
      case 'action.skipped':
        c.actionsSkipped++;
        break;
      case 'action.failed':
        c.actionsFailed++;
        break;
      case 'message.handled':
        c.handled++;
        break;
      case 'message.deadLettered':
        c.deadLettered++;
        break;
      case 'message.retryRequested':
        c.retryRequested++;
        break;
      case 'message.reidentified':
        c.reidentified++;
        break;
      case 'message.interrupted':
        c.interrupted++;
        break;
      case 'action.started':
      case 'mailbox.forgotten':
        break;
    }
  }

  /**
   * A mailbox's status, or `undefined` when the journal has no event of it.
   *
   * @example
   * ```ts
   * journal.mailboxes.get('support')?.lastError?.code; // 'AUTH_FAILED'
   * ```
   */
  get(mailboxId: string): MailboxStatus | undefined {
    return this.#statuses.get(mailboxId);
  }

  /**
   * The projection as plain JSON, for a snapshot (every status in order of first appearance).
   *
   * @example
   * ```ts
   * const copy = MailboxProjection.fromState(JSON.parse(JSON.stringify(mailboxes.exportState())));
   * ```
   */
  exportState(): readonly MailboxStatus[] {
    // JSON has no Set: a baseline's keys travel as a list (fromState makes the Set again).
    return [...this.#statuses.values()].map((status) =>
      status.baseline?.keys
        ? ({ ...status, baseline: { ...status.baseline, keys: [...status.baseline.keys] } } as unknown as MailboxStatus)
        : status,
    );
  }

  /**
   * A projection from {@link MailboxProjection.exportState}'s output; throws a `TypeError` on a shape it cannot use.
   *
   * @example
   * ```ts
   * const mailboxes = MailboxProjection.fromState(state);
   * ```
   */
  static fromState(state: readonly MailboxStatus[]): MailboxProjection {
    if (!Array.isArray(state)) throw new TypeError('mailbox projection state: not a list');
    const projection = new MailboxProjection();
    for (const saved of state) {
      if (typeof saved?.mailboxId !== 'string' || typeof saved.counters !== 'object' || saved.counters === null) {
        throw new TypeError('mailbox projection state: a status without mailboxId or counters');
      }
      // The shape is fixed by the snapshot's version (snapshot.ts): a program that changes this fold bumps it.
      const status = structuredClone(saved) as MutableStatus;
      const keys = status.baseline?.keys as unknown;
      if (status.baseline && keys !== null && keys !== undefined) {
        if (!Array.isArray(keys)) throw new TypeError('mailbox projection state: baseline keys are not a list');
        status.baseline = { ...status.baseline, keys: new Set(keys as string[]) };
      }
      projection.#statuses.set(status.mailboxId, status);
    }
    return projection;
  }

  /**
   * Every mailbox the journal knows, in order of first appearance.
   *
   * @example
   * ```ts
   * for (const s of journal.mailboxes.all()) console.log(s.mailboxId, s.state, s.counters.handled);
   * ```
   */
  all(): readonly MailboxStatus[] {
    return [...this.#statuses.values()];
  }
}
