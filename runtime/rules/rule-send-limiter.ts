/**
 * The storm guard (issue 13 point 10): besides the per-correspondent limit, at most `perHour` automatic mails
 * (reply, forward, send) per rule of a mailbox within any hour, so a burst of forged Reply-Tos cannot turn the
 * autopilot into a mail cannon. A journal projection: it counts the `action.started` intents of automatic mails,
 * so the count survives restarts and a crash before the outcome still counts.
 *
 * @module
 */
import type { StoredEvent } from '../journal/events.js';
import { type SnapshotCapable, timeListsFromState } from '../journal/projection.js';

const HOUR_MS = 3_600_000;
const MAIL_KINDS: ReadonlySet<string> = new Set(['reply', 'forward', 'send']);

/**
 * Counts automatic mails per (mailbox, rule) in a sliding hour.
 *
 * @example
 * ```ts
 * const guard = new RuleSendLimiter({ perHour: (mailboxId) => 100 });
 * const journal = await Journal.open(store, { projections: [guard] });
 * if (!guard.allows('support', 'optin', Date.now())) skip('RULE_RATE_LIMITED');
 * ```
 */
export class RuleSendLimiter implements SnapshotCapable {
  readonly snapshotKey = 'ruleSends';
  readonly #perHour: (mailboxId: string) => number;
  /** Start times per `mailbox\0rule`, ascending (journal order). */
  readonly #starts = new Map<string, number[]>();

  constructor(options: { readonly perHour: (mailboxId: string) => number }) {
    this.#perHour = options.perHour;
  }

  apply(event: StoredEvent): void {
    if (event.type !== 'action.started' || !MAIL_KINDS.has(event.kind)) return;
    const id = `${event.mailboxId}\0${event.rule}`;
    const times = this.#starts.get(id) ?? [];
    times.push(event.at);
    this.#prune(times, event.at);
    this.#starts.set(id, times);
  }

  /**
   * How many automatic mails `rule` of `mailboxId` started within the hour before `now`.
   *
   * @example
   * ```ts
   * guard.count('support', 'optin', Date.now()); // 3
   * ```
   */
  count(mailboxId: string, rule: string, now: number): number {
    const times = this.#starts.get(`${mailboxId}\0${rule}`);
    if (times === undefined) return 0;
    this.#prune(times, now);
    return times.length;
  }

  /**
   * Whether one more automatic mail of the rule may go out now.
   *
   * @example
   * ```ts
   * if (guard.allows('support', 'optin', Date.now())) await send();
   * ```
   */
  allows(mailboxId: string, rule: string, now: number): boolean {
    return this.count(mailboxId, rule, now) < this.#perHour(mailboxId);
  }

  /** The limit of a mailbox's rules (for messages). */
  limitOf(mailboxId: string): number {
    return this.#perHour(mailboxId);
  }

  /** The start times per mailbox and rule, for a snapshot. */
  exportState(): unknown {
    return [...this.#starts];
  }

  prepareState(state: unknown): () => void {
    const starts = timeListsFromState(state);
    return () => {
      this.#starts.clear();
      for (const [key, times] of starts) this.#starts.set(key, times);
    };
  }

  #prune(times: number[], now: number): void {
    let drop = 0;
    while (drop < times.length && times[drop]! <= now - HOUR_MS) drop++;
    if (drop > 0) times.splice(0, drop);
  }
}
