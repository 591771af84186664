/**
 * The status of every configured mailbox at one moment, as `/api/status` returns it and the status page renders it:
 * the live state of the mailbox's actor (state, attempt, next attempt, last successful check), the journal's
 * counters and last error, the health verdict, and the latest journal events. Nothing in it comes from the
 * configuration beyond the mailbox's id and service kind (no server, user or secret).
 *
 * @module
 */
import type { AutopilotConfig } from '../config/load.js';
import type { MailboxStatus } from '../journal/mailbox-projection.js';
import type { CompletenessView } from '../liveness/completeness-monitor.js';
import type { MailboxStateView } from '../mailbox-runner.js';
import { evaluateHealth, type HealthInput, type HealthLevel } from './health.js';
import type { RecentEvent, RecentEvents } from './recent-events.js';

/**
 * What the status needs of an autopilot (`Autopilot` fits; tests pass plain objects).
 *
 * @example
 * ```ts
 * const view: AutopilotView = autopilot;
 * ```
 */
export interface AutopilotView {
  readonly config: { readonly mailboxes: readonly Pick<AutopilotConfig['mailboxes'][number], 'id' | 'service'>[] };
  states(): readonly MailboxStateView[];
  readonly journal: { readonly mailboxes: { get(mailboxId: string): MailboxStatus | undefined } } | undefined;
}

/**
 * Counters of one mailbox since its journal began (monotonic).
 *
 * @example
 * ```ts
 * const c: MailboxStatusCounters = { attempts: 3, connections: 1, connectionsLost: 0, discovered: 5, matched: 4,
 *   unmatched: 1, handled: 4, failed: 0, deadLettered: 0 };
 * ```
 */
export interface MailboxStatusCounters {
  readonly attempts: number;
  readonly connections: number;
  readonly connectionsLost: number;
  readonly discovered: number;
  readonly matched: number;
  readonly unmatched: number;
  readonly handled: number;
  /** Failed handler runs and failed actions (each may be retried; dead letters count separately). */
  readonly failed: number;
  readonly deadLettered: number;
}

/**
 * One mailbox on the status page.
 *
 * @example
 * ```ts
 * const card: MailboxStatusEntry = status.mailboxes[0]!;
 * console.log(card.mailboxId, card.state, card.health.level, card.counters.handled);
 * ```
 */
export interface MailboxStatusEntry extends HealthInput {
  readonly service: string;
  readonly attempt: number;
  readonly everConnected: boolean;
  readonly lastError: { readonly code: string; readonly message: string; readonly at: number | null } | null;
  readonly health: { readonly level: HealthLevel; readonly reason: string | null };
  readonly counters: MailboxStatusCounters;
  readonly recent: readonly RecentEvent[];
  /** Under scale-out: the host that owns the mailbox (`null`: nobody); absent without scale-out. */
  readonly owner?: string | null;
  /** The canary (issue 15 point 5): last latency and misses; absent without a canary. */
  readonly canary?: { readonly latencySeconds: number | null; readonly missedTotal: number };
  /** What the completeness check found (issue 15 point 4); absent when this process runs no check for it. */
  readonly completeness?: CompletenessView;
}

/**
 * The whole status (the JSON of `/api/status`).
 *
 * @example
 * ```ts
 * const status = buildStatus(autopilot, { now: Date.now(), staleAfterMs: 900_000, recent });
 * ```
 */
export interface StatusSnapshot {
  /** The server's clock (ms since the epoch): the page computes countdowns against it. */
  readonly now: number;
  readonly staleAfterMs: number;
  readonly health: { readonly status: 'ok' | 'degraded' | 'failing'; readonly reasons: readonly string[] };
  readonly mailboxes: readonly MailboxStatusEntry[];
}

/**
 * How {@link buildStatus} reads the time, the rules and the recent events.
 *
 * @example
 * ```ts
 * const options: StatusOptions = { now: Date.now(), staleAfterMs: 900_000, recent: new RecentEvents(20) };
 * ```
 */
export interface StatusOptions {
  readonly now: number;
  readonly staleAfterMs: number;
  readonly recent?: RecentEvents;
  /** Mailbox id → owning host, under scale-out. */
  readonly owners?: ReadonlyMap<string, string | null>;
}

const NO_COUNTERS: MailboxStatusCounters = {
  attempts: 0,
  connections: 0,
  connectionsLost: 0,
  discovered: 0,
  matched: 0,
  unmatched: 0,
  handled: 0,
  failed: 0,
  deadLettered: 0,
};

function countersOf(journaled: MailboxStatus | undefined): MailboxStatusCounters {
  if (!journaled) return NO_COUNTERS;
  const c = journaled.counters;
  return {
    attempts: c.attempts,
    connections: c.connections,
    connectionsLost: c.connectionsLost,
    discovered: c.discovered,
    matched: c.matched,
    unmatched: c.unmatched,
    handled: c.handled,
    failed: c.handlerFailed + c.actionsFailed,
    deadLettered: c.deadLettered,
  };
}

/**
 * The entry of one mailbox without its health verdict: the live view wins over the journal (which may be older or,
 * under scale-out, another host's).
 */
function entryOf(
  mailbox: { id: string; service: string },
  live: MailboxStateView | undefined,
  journaled: MailboxStatus | undefined,
  options: StatusOptions,
): Omit<MailboxStatusEntry, 'health'> {
  const error = live ? live.lastError : journaled?.lastError;
  return {
    mailboxId: mailbox.id,
    service: mailbox.service,
    running: live !== undefined,
    state: live?.state ?? journaled?.state ?? 'unknown',
    attempt: live?.attempt ?? journaled?.attempt ?? 0,
    everConnected: live?.everConnected ?? journaled?.lastConnectedAt != null,
    lastError: error ? { code: error.code, message: error.message, at: error.at ?? null } : null,
    nextAttemptAt: live ? live.nextAttemptAt : (journaled?.nextAttemptAt ?? null),
    connectedAt: live ? live.connectedAt : (journaled?.connectedAt ?? null),
    lastCheckAt: live ? live.lastCheckAt : null,
    stopReason: live ? live.stopReason : (journaled?.stopReason ?? null),
    counters: countersOf(journaled),
    recent: options.recent?.list(mailbox.id) ?? [],
    ...(live?.canary
      ? {
          canary: { latencySeconds: live.canary.latencySeconds, missedTotal: live.canary.missedTotal },
          canaryMissed: live.canary.missed,
        }
      : {}),
    ...(options.owners ? { owner: options.owners.get(mailbox.id) ?? null } : {}),
    ...(live?.completeness ? { completeness: live.completeness, unexamined: live.completeness.unexamined } : {}),
  };
}

/**
 * Builds the status of every configured mailbox (in configuration order) with the health rules of `health.ts`.
 *
 * @example
 * ```ts
 * const status = buildStatus(autopilot, { now: Date.now(), staleAfterMs: config.http.staleAfter, recent });
 * response.end(JSON.stringify(status));
 * ```
 */
export function buildStatus(autopilot: AutopilotView, options: StatusOptions): StatusSnapshot {
  const live = new Map(autopilot.states().map((state) => [state.mailboxId, state]));
  const entries = autopilot.config.mailboxes.map((mailbox) =>
    entryOf(mailbox, live.get(mailbox.id), autopilot.journal?.mailboxes.get(mailbox.id), options),
  );
  const report = evaluateHealth(entries, options);
  return {
    now: options.now,
    staleAfterMs: options.staleAfterMs,
    health: { status: report.status, reasons: report.reasons },
    mailboxes: entries.map((entry, i) => {
      const verdict = report.mailboxes[i]!;
      return { ...entry, health: { level: verdict.level, reason: verdict.reason } };
    }),
  };
}
