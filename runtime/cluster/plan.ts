/**
 * The pure decision of one rebalancing step of a host: which mailboxes to try to acquire and which to give back,
 * from the host's view of the live hosts and of its own leases. The coordinator runs it whenever that view changes
 * and carries the decision out against the database, which has the last word (an acquisition succeeds only for a
 * mailbox that is free or whose owner's lease expired).
 *
 * @module
 */
import { assignMailboxes } from './assignment.js';

/**
 * What one host knows when it plans.
 *
 * @example
 * ```ts
 * const input: PlanInput = { me: 'a', mailboxIds: ['m1', 'm2'], liveHosts: ['a', 'b'], held: new Set(['m1']),
 *   busy: new Set(), mayAcquire: true };
 * ```
 */
export interface PlanInput {
  readonly me: string;
  /** The mailboxes of this host's configuration (every host must have the same list). */
  readonly mailboxIds: readonly string[];
  /** Hosts whose lease is valid, this host included when its own lease is valid. */
  readonly liveHosts: readonly string[];
  /** Mailboxes whose lease this host holds. */
  readonly held: ReadonlySet<string>;
  /** Mailboxes being handed over or started right now: left alone until that finishes. */
  readonly busy: ReadonlySet<string>;
  /** False while this host's own lease is not valid or it is still waiting for its peers after joining. */
  readonly mayAcquire: boolean;
}

/**
 * The decision.
 *
 * @example
 * ```ts
 * const { acquire, release } = planOwnership(input);
 * ```
 */
export interface Plan {
  /** Mailboxes assigned to this host that it does not hold yet. */
  readonly acquire: readonly string[];
  /** Mailboxes this host holds that are assigned to another live host. */
  readonly release: readonly string[];
  /** The whole assignment (mailbox → host) of this view. */
  readonly assignment: ReadonlyMap<string, string>;
}

/**
 * Plans one step. A host that is not live in its own view acquires nothing and gives nothing back by plan (its
 * mailboxes are either still its own, or the coordinator learns they were lost and stops them at once).
 *
 * @example
 * ```ts
 * planOwnership({ me: 'a', mailboxIds: ['m1'], liveHosts: ['a'], held: new Set(), busy: new Set(), mayAcquire: true });
 * // { acquire: ['m1'], release: [], assignment: Map { 'm1' => 'a' } }
 * ```
 */
export function planOwnership(input: PlanInput): Plan {
  const assignment = assignMailboxes(input.mailboxIds, input.liveHosts);
  const live = input.liveHosts.includes(input.me);
  const acquire: string[] = [];
  const release: string[] = [];
  if (live) {
    for (const [mailbox, host] of assignment) {
      if (host === input.me && input.mayAcquire && !input.held.has(mailbox) && !input.busy.has(mailbox)) {
        acquire.push(mailbox);
      }
    }
    for (const mailbox of input.held) {
      if (input.busy.has(mailbox)) continue;
      const host = assignment.get(mailbox);
      // A held mailbox that left the configuration has no assignee: keep it rather than leave it unwatched.
      if (host !== undefined && host !== input.me) release.push(mailbox);
    }
  }
  return { acquire: acquire.sort(), release: release.sort(), assignment };
}
