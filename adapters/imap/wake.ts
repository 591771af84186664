/**
 * A level-triggered wake-up for one waiting loop: `notify()` before `wait()` is not lost.
 *
 * @module
 */

/**
 * One waiter, many notifiers. A notification that arrives while nobody waits makes the next `wait()` return at
 * once, so an event between "checked the flags" and "started waiting" is never missed.
 *
 * @example
 * ```ts
 * const wake = new Wake();
 * client.on('exists', () => { pending = true; wake.notify(); });
 * while (running) { if (pending) await check(); else await wake.wait(); }
 * ```
 */
export class Wake {
  #signalled = false;
  #resolve: (() => void) | null = null;

  /** Wakes the waiter, or the next `wait()` if nobody waits now. */
  notify(): void {
    this.#signalled = true;
    const resolve = this.#resolve;
    this.#resolve = null;
    resolve?.();
  }

  /** Resolves at the next notification (at once if one came since the last wait). */
  wait(): Promise<void> {
    if (this.#signalled) {
      this.#signalled = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#resolve = () => {
        this.#signalled = false;
        resolve();
      };
    });
  }
}
