/**
 * The health rules of `/healthz` (issue 6, item 5), as pure functions of the mailboxes' states and a clock.
 *
 * - `stopped` fails: the mailbox makes no more attempts (S9 gave up, or the host stopped it).
 * - `polling` without a successful check for longer than `staleAfter` fails: the mailbox claims to be connected but
 *   nothing proves it is alive (the silent-death case: a hung socket, a watch loop that stopped reporting).
 * - `backoff` and `unlimitedRetry` are degraded, not failing: reconnecting by S8/S11 is the autopilot's normal answer
 *   to a server restart, and a failing health check would page someone for an outage the mailbox handles itself.
 *   A mailbox that never connects ends in `stopped` by S9 and fails then. Both are visible in the JSON and in
 *   `/metrics` (`mail_autopilot_mailbox_state`) for alerts that want them.
 * - `connecting` is ok (an attempt is running; each adapter bounds it with one connect deadline).
 * - Mailboxes this process does not run (owned by another host under scale-out, or not started) are `notRunning`
 *   and do not count.
 *
 * @module
 */

/**
 * The health of one mailbox. `notRunning` does not count towards the overall status.
 *
 * @example
 * ```ts
 * const level: HealthLevel = 'degraded';
 * ```
 */
export type HealthLevel = 'ok' | 'degraded' | 'failing' | 'notRunning';

/**
 * What the health rules look at for one mailbox (a subset of the status page's mailbox entry).
 *
 * @example
 * ```ts
 * const input: HealthInput = { mailboxId: 'support', state: 'polling', running: true, lastCheckAt: 1_000,
 *   connectedAt: 0, nextAttemptAt: null, stopReason: null, lastError: null };
 * ```
 */
export interface HealthInput {
  readonly mailboxId: string;
  /** The state of SPEC S12, or `unknown`. */
  readonly state: string;
  /** Whether this process runs the mailbox's actor (false: another host owns it, or the autopilot did not start). */
  readonly running: boolean;
  readonly lastCheckAt: number | null;
  readonly connectedAt: number | null;
  readonly nextAttemptAt: number | null;
  readonly stopReason: 'gaveUp' | 'requested' | null;
  readonly lastError: { readonly code: string; readonly message: string } | null;
  /** The canary's last miss while no canary arrived in time since (issue 15 point 5); absent without a canary. */
  readonly canaryMissed?: { readonly id: string; readonly at: number; readonly reason: string } | null;
  /** Messages the completeness check found on the server but never examined (issue 15 point 4); absent: no check. */
  readonly unexamined?: number;
}

/**
 * One mailbox's verdict: its level and, unless it is ok, why.
 *
 * @example
 * ```ts
 * const health: MailboxHealth = { mailboxId: 'support', state: 'stopped', level: 'failing',
 *   reason: 'mailbox support is stopped: it gave up after the reconnect schedule (SPEC S9); last error AUTH_FAILED: login rejected' };
 * ```
 */
export interface MailboxHealth {
  readonly mailboxId: string;
  readonly state: string;
  readonly level: HealthLevel;
  readonly reason: string | null;
}

/**
 * The verdict over all mailboxes: `failing` (HTTP 503) when any mailbox fails, else `degraded` when any is degraded,
 * else `ok` (both HTTP 200).
 *
 * @example
 * ```ts
 * const report = evaluateHealth(mailboxes, { now: Date.now(), staleAfterMs: 900_000 });
 * response.writeHead(report.httpStatus);
 * ```
 */
export interface HealthReport {
  readonly status: 'ok' | 'degraded' | 'failing';
  readonly httpStatus: 200 | 503;
  readonly mailboxes: readonly MailboxHealth[];
  /** The reasons of every failing and degraded mailbox, failing ones first. */
  readonly reasons: readonly string[];
}

function seconds(ms: number): string {
  return `${Math.max(0, Math.round(ms / 1000))} s`;
}

function errorSuffix(error: HealthInput['lastError']): string {
  return error ? `; last error ${error.code}: ${error.message}` : '';
}

/**
 * Applies the health rules to one mailbox at time `now`.
 *
 * @example
 * ```ts
 * mailboxHealth({ ...input, state: 'polling', lastCheckAt: 0 }, { now: 901_000, staleAfterMs: 900_000 }).level; // 'failing'
 * ```
 */
export function mailboxHealth(input: HealthInput, options: { now: number; staleAfterMs: number }): MailboxHealth {
  const { mailboxId, state } = input;
  const verdict = (level: HealthLevel, reason: string | null): MailboxHealth => ({ mailboxId, state, level, reason });
  if (!input.running) return verdict('notRunning', null);
  switch (state) {
    case 'stopped': {
      const why =
        input.stopReason === 'gaveUp'
          ? 'it gave up after the reconnect schedule (SPEC S9)'
          : 'it was stopped by the host and makes no more attempts';
      return verdict('failing', `mailbox ${mailboxId} is stopped: ${why}${errorSuffix(input.lastError)}`);
    }
    case 'polling': {
      // `connectedAt` counts as the first check: a fresh connection is alive until staleAfter passes without one.
      const last = input.lastCheckAt ?? input.connectedAt;
      const age = last === null ? Number.POSITIVE_INFINITY : options.now - last;
      if (age > options.staleAfterMs) {
        const since = last === null ? 'ever' : `for ${seconds(age)}`;
        return verdict(
          'failing',
          `mailbox ${mailboxId} claims to be connected (polling) but completed no successful check ${since} (staleAfter ${seconds(options.staleAfterMs)})`,
        );
      }
      if (input.canaryMissed) {
        return verdict(
          'degraded',
          `mailbox ${mailboxId} missed its canary ${input.canaryMissed.id}: ${input.canaryMissed.reason} (mail may not be arriving)`,
        );
      }
      if ((input.unexamined ?? 0) > 0) {
        return verdict(
          'degraded',
          `mailbox ${mailboxId} has ${input.unexamined} message(s) on the server that were never examined (the completeness check is examining them now)`,
        );
      }
      return verdict('ok', null);
    }
    case 'backoff':
    case 'unlimitedRetry': {
      const next =
        input.nextAttemptAt === null ? '' : `; next attempt in ${seconds(input.nextAttemptAt - options.now)}`;
      const what =
        state === 'backoff'
          ? 'is reconnecting by the schedule of SPEC S8'
          : 'retries every 60 minutes without limit (SPEC S11)';
      return verdict('degraded', `mailbox ${mailboxId} ${what}${next}${errorSuffix(input.lastError)}`);
    }
    default:
      return verdict('ok', null);
  }
}

/**
 * Applies the health rules to every mailbox and sums them up.
 *
 * @example
 * ```ts
 * const report = evaluateHealth([input], { now: Date.now(), staleAfterMs: 15 * 60_000 });
 * if (report.status === 'failing') console.error(report.reasons.join('\n'));
 * ```
 */
export function evaluateHealth(
  mailboxes: readonly HealthInput[],
  options: { now: number; staleAfterMs: number },
): HealthReport {
  const verdicts = mailboxes.map((mailbox) => mailboxHealth(mailbox, options));
  const failing = verdicts.filter((v) => v.level === 'failing');
  const degraded = verdicts.filter((v) => v.level === 'degraded');
  const status = failing.length > 0 ? 'failing' : degraded.length > 0 ? 'degraded' : 'ok';
  return {
    status,
    httpStatus: status === 'failing' ? 503 : 200,
    mailboxes: verdicts,
    reasons: [...failing, ...degraded].map((v) => v.reason ?? ''),
  };
}
