/**
 * The canary's decisions (issue 15 point 5), pure: what a sent, arrived or overdue canary does to the mailbox's
 * canary state. No timers, no I/O: the monitor (canary-monitor.ts) carries them out.
 *
 * @module
 */

/**
 * What the canary of one mailbox knows: the one canary in flight, the latency of the last one that arrived, how many
 * were missed, and whether the mailbox is degraded by a miss (until a canary arrives within its bound again).
 *
 * @example
 * ```ts
 * const state: CanaryState = { pending: { id: 'a1', sentAt: 0 }, latencySeconds: null, missedTotal: 0, missed: null };
 * ```
 */
export interface CanaryState {
  readonly pending: { readonly id: string; readonly sentAt: number } | null;
  readonly latencySeconds: number | null;
  readonly missedTotal: number;
  /** The last miss, while no canary arrived in time since: degrades health. */
  readonly missed: { readonly id: string; readonly at: number; readonly reason: string } | null;
}

/**
 * The state before the first canary.
 *
 * @example
 * ```ts
 * let state = INITIAL_CANARY_STATE;
 * ```
 */
export const INITIAL_CANARY_STATE: CanaryState = { pending: null, latencySeconds: null, missedTotal: 0, missed: null };

/**
 * A canary was sent at `at`. A canary still pending is replaced (it was already counted missed by its deadline, or
 * `every` is shorter than `within`, where the newer one is what matters).
 *
 * @example
 * ```ts
 * const next = canarySent(INITIAL_CANARY_STATE, 'a1', 1_000);
 * ```
 */
export function canarySent(state: CanaryState, id: string, at: number): CanaryState {
  return { ...state, pending: { id, sentAt: at } };
}

/**
 * A canary of this mailbox was discovered at `at`. The pending one, discovered by `deadline`, records its latency and
 * ends a degraded state; any other (a late one, one of an earlier run) changes nothing but is still removed.
 *
 * @example
 * ```ts
 * canaryArrived(canarySent(INITIAL_CANARY_STATE, 'a1', 0), 'a1', 1_500, 2_000).latencySeconds; // 1.5
 * ```
 */
export function canaryArrived(state: CanaryState, id: string, at: number, deadline: number): CanaryState {
  if (state.pending?.id !== id || at > deadline) return state;
  return { ...state, pending: null, latencySeconds: Math.max(0, at - state.pending.sentAt) / 1000, missed: null };
}

/**
 * The canary `id` is overdue (its `within` passed) or could not be sent: counted once, and the mailbox is degraded.
 * Nothing happens when it arrived meanwhile.
 *
 * @example
 * ```ts
 * canaryMissed(canarySent(INITIAL_CANARY_STATE, 'a1', 0), 'a1', 2_000, 'not discovered within 2 s').missedTotal; // 1
 * ```
 */
export function canaryMissed(state: CanaryState, id: string, at: number, reason: string): CanaryState {
  if (state.pending?.id !== id) return state;
  return { ...state, pending: null, missedTotal: state.missedTotal + 1, missed: { id, at, reason } };
}
