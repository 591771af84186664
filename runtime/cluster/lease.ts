/**
 * A host's own view of its lease, on its own monotonic clock. The database decides who owns what; this is how a
 * host that was paused or cut off notices, without asking anyone, that it may no longer act: its lease counts from
 * the moment it *sent* its last successful heartbeat (the database renewed it later than that, so the database's
 * lease ends no earlier than this one), minus a safety margin for clocks that run at slightly different rates.
 *
 * @module
 */

/**
 * The local lease of one host. Pure: every method takes the time, so tests drive it with a fake clock.
 *
 * @example
 * ```ts
 * const lease = new LocalLease(30_000);
 * const sentAt = performance.now();
 * await heartbeat();
 * const lapsed = lease.renew(sentAt); // true if the previous lease had run out before this renewal
 * lease.isValid(performance.now());   // true for the next 27 s
 * ```
 */
export class LocalLease {
  readonly leaseMs: number;
  readonly marginMs: number;
  #validUntil = Number.NEGATIVE_INFINITY;
  #renewals = 0;

  /** `marginMs` defaults to a tenth of the lease. */
  constructor(leaseMs: number, marginMs = leaseMs / 10) {
    if (!(leaseMs > 0) || !(marginMs >= 0) || marginMs >= leaseMs) {
      throw new RangeError(`lease must be > 0 and its margin in [0, lease), got ${leaseMs} and ${marginMs}`);
    }
    this.leaseMs = leaseMs;
    this.marginMs = marginMs;
  }

  /** The local time until which this host may act on its leases (-Infinity before the first renewal). */
  get validUntil(): number {
    return this.#validUntil;
  }

  /**
   * Records a successful heartbeat that was sent at `sentAt`. Returns whether the lease had lapsed before it
   * (always false for the first one): then other hosts may have taken this host's mailboxes meanwhile.
   */
  renew(sentAt: number): boolean {
    const lapsed = this.#renewals > 0 && sentAt >= this.#validUntil;
    this.#validUntil = Math.max(this.#validUntil, sentAt + this.leaseMs - this.marginMs);
    this.#renewals++;
    return lapsed;
  }

  /** Whether this host may act at `now`. */
  isValid(now: number): boolean {
    return now < this.#validUntil;
  }

  /** Gives the lease up at once (leaving, or told by the database that it lapsed). */
  revoke(): void {
    this.#validUntil = Number.NEGATIVE_INFINITY;
  }
}
