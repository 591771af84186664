/**
 * Time as the runtime reads it: the injected clock (xstate's `SimulatedClock` in tests) or the system's.
 *
 * @module
 */
import type { Clock } from '../../adapters/contract.js';

/**
 * `now()` of the clock, or `Date.now`.
 *
 * @example
 * ```ts
 * const now = clockNow(new SimulatedClock());
 * ```
 */
export function clockNow(clock: Clock | undefined): () => number {
  return clock?.now ? () => clock.now!() : () => Date.now();
}

/**
 * A sleep on the clock's timers that an abort signal ends early.
 *
 * @example
 * ```ts
 * await sleeper(clock)(5_000, signal);
 * ```
 */
export function sleeper(clock: Clock | undefined) {
  return (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const set = clock ? clock.setTimeout.bind(clock) : setTimeout;
      const clear = clock ? clock.clearTimeout.bind(clock) : clearTimeout;
      const id = set(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clear(id);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
}

/**
 * Runs `fn` once after `ms` on the clock's timers (or the system's), unref'd: background work — checks, canaries,
 * retention — never keeps a process alive. Returns the cancel.
 *
 * @example
 * ```ts
 * const cancel = backgroundTimeout(clock, () => void check(), 60_000);
 * cancel(); // on stop
 * ```
 */
export function backgroundTimeout(clock: Clock | undefined, fn: () => void, ms: number): () => void {
  if (clock) {
    const id = clock.setTimeout(fn, ms);
    (id as { unref?: () => void } | undefined)?.unref?.();
    return () => clock.clearTimeout(id);
  }
  const id = setTimeout(fn, ms);
  id.unref();
  return () => clearTimeout(id);
}
