/**
 * A clock for tests whose timers run only when the test advances it (the `Clock` the runtime takes), with the
 * waits still pending, so a test checks a schedule without waiting for it.
 *
 * @example
 * ```ts
 * const clock = handClock(Date.UTC(2030, 0, 1));
 * runner.start();
 * clock.advance(60_000); // fires what was due
 * clock.pending(); // [3_600_000]
 * ```
 */
import type { Clock } from '../../adapters/contract.js';

export function handClock(start: number): Clock & { advance(ms: number): void; pending(): number[] } {
  let now = start;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let next = 1;
  return {
    now: () => now,
    setTimeout(fn: () => void, ms: number) {
      timers.set(next, { at: now + ms, fn });
      return next++;
    },
    clearTimeout(id: number) {
      timers.delete(id);
    },
    advance(ms: number) {
      now += ms;
      for (const [id, timer] of [...timers]) {
        if (timer.at <= now) {
          timers.delete(id);
          timer.fn();
        }
      }
    },
    pending: () => [...timers.values()].map((t) => t.at - now),
  };
}
