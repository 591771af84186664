/**
 * The decisions of mailbox ownership (issue 9; split out in issue 14, item 4): what this host holds, what it knows
 * of the other hosts, and from that and the clock, what to acquire, give back, stop, or check. Pure: no I/O, no
 * timers; every method takes the time, so the unit tests drive it with a simulated clock. The driver
 * (`postgres-ownership.ts`) runs the statements (`sql.ts`) it asks for, arms the timers at the times it names, and
 * reports the results back.
 *
 * @module
 */
import { hash53 } from './assignment.js';
import { LocalLease } from './lease.js';
import { planOwnership } from './plan.js';

/**
 * Another host as the heartbeat (or a view read) reports it, by the database's clock.
 *
 * @example
 * ```ts
 * const peer: PeerLease = { id: 'web-2', remainingMs: 8_000, digest: 'k3j2' };
 * ```
 */
export interface PeerLease {
  readonly id: string;
  /** Milliseconds left on its lease (zero or negative: expired). */
  readonly remainingMs: number;
  /** Digest of its mailbox list (`null` for hosts that report none). */
  readonly digest: string | null;
}

/**
 * What one heartbeat statement reports besides the peers: this host's rows as the database has them.
 *
 * @example
 * ```ts
 * const beat: HeartbeatReport = { wasExpired: false, heldRows: 3, heldEpochSum: 7, peers: [] };
 * ```
 */
export interface HeartbeatReport {
  /** Whether this host's row had expired before this renewal (`null`: it had no row). */
  readonly wasExpired: boolean | null;
  /** Mailbox rows owned by this host, and the sum of their epochs. */
  readonly heldRows: number;
  readonly heldEpochSum: number;
  readonly peers: readonly PeerLease[];
}

/**
 * What the driver should tell people after a heartbeat or a view read.
 *
 * @example
 * ```ts
 * const { lapsed, differentConfig } = coordinator.heartbeat(sentAt, report, now);
 * ```
 */
export interface ViewNotes {
  /** The lease had lapsed (paused or cut off): the rows are being compared before acquiring again. */
  readonly lapsed: boolean;
  /** Hosts seen for the first time with another mailbox list. */
  readonly differentConfig: readonly string[];
}

/** Lifecycle: `running` moves mailboxes; `frozen` only renews (stopping); `left` does nothing. */
export type CoordinatorState = 'new' | 'running' | 'frozen' | 'left';

/**
 * The ownership state of one host and the rules that change it.
 *
 * @example
 * ```ts
 * const c = new OwnershipCoordinator({ hostId: 'a', mailboxIds: ['m1', 'm2'], leaseMs: 3_000, joinDelayMs: 100 });
 * c.heartbeat(0, { wasExpired: null, heldRows: 0, heldEpochSum: 0, peers: [] }, 5);
 * c.joined(5);
 * c.plan(200).acquire; // ['m1', 'm2']
 * ```
 */
export class OwnershipCoordinator {
  readonly hostId: string;
  readonly mailboxIds: readonly string[];
  /** Digest of the mailbox list: hosts compare theirs to find a different configuration. */
  readonly digest: string;
  readonly joinDelayMs: number;
  readonly lease: LocalLease;
  readonly #held = new Map<string, number>();
  /** Mailboxes being started or handed over: plans and reconciliation leave them alone. */
  readonly #busy = new Set<string>();
  readonly #warnedDigests = new Set<string>();
  /** Other live hosts → local time their lease is expected to end. */
  #peers = new Map<string, number>();
  #state: CoordinatorState = 'new';
  #startedAt = 0;
  /** When this host last started waiting for its peers (registered, or another host joined meanwhile). */
  #joinedAt = Number.POSITIVE_INFINITY;
  #needReconcile = false;

  constructor(options: { hostId: string; mailboxIds: readonly string[]; leaseMs: number; joinDelayMs: number }) {
    this.hostId = options.hostId;
    this.mailboxIds = [...new Set(options.mailboxIds)];
    this.digest = hash53([...this.mailboxIds].sort().join('\n')).toString(36);
    this.joinDelayMs = options.joinDelayMs;
    this.lease = new LocalLease(options.leaseMs);
  }

  get state(): CoordinatorState {
    return this.#state;
  }

  /** Mailboxes held, with their epochs (a copy). */
  held(): ReadonlyMap<string, number> {
    return new Map(this.#held);
  }

  /** Whether the rows must be compared with the database before the next plan. */
  get needsReconcile(): boolean {
    return this.#needReconcile;
  }

  /** The fencing token for an append: the epoch held, while the local lease is valid. */
  tokenFor(mailboxId: string, now: number): number | undefined {
    return this.lease.isValid(now) ? this.#held.get(mailboxId) : undefined;
  }

  /** Registered and heartbeat once: start waiting `joinDelayMs` for the peers, then take a share. */
  joined(now: number): void {
    this.#state = 'running';
    this.#joinedAt = now;
    this.#startedAt = now;
  }

  /** Stopping: no more moves; leases are still renewed. */
  freeze(): void {
    if (this.#state === 'running') this.#state = 'frozen';
  }

  /** Leaving (or a failed start): forget every lease. Returns how many were held. */
  leave(): number {
    this.#state = 'left';
    const count = this.#held.size;
    this.#held.clear();
    this.lease.revoke();
    return count;
  }

  /** A heartbeat sent at `sentAt` succeeded: renew, and note whether the rows need a check. */
  heartbeat(sentAt: number, report: HeartbeatReport, now: number): ViewNotes {
    const lapsed = this.lease.renew(sentAt) || report.wasExpired === true;
    let epochs = 0;
    for (const epoch of this.#held.values()) epochs += epoch;
    if (lapsed || report.heldRows !== this.#held.size || report.heldEpochSum !== epochs) {
      // Someone may have taken (or we may have left behind) mailbox rows: compare them with what we hold.
      this.#needReconcile = true;
    }
    return { lapsed, differentConfig: this.view(report.peers, now) };
  }

  /** Replaces the view of the other hosts; returns hosts newly seen with a different mailbox list. */
  view(peers: readonly PeerLease[], now: number): string[] {
    const live = new Map<string, number>();
    const different: string[] = [];
    for (const peer of peers) {
      if (peer.remainingMs > 0) live.set(peer.id, now + peer.remainingMs);
      if (peer.digest && peer.digest !== this.digest && !this.#warnedDigests.has(peer.id)) {
        this.#warnedDigests.add(peer.id);
        different.push(peer.id);
      }
    }
    this.#peers = live;
    return different;
  }

  /** When to read the hosts again: just after the first peer's lease runs out (`undefined`: no timer). */
  nextPeerExpiry(): number | undefined {
    if (this.#state === 'frozen' || this.#state === 'left' || this.#peers.size === 0) return undefined;
    return Math.min(...this.#peers.values()) + 25;
  }

  /** When the local lease runs out unless renewed: the driver checks {@link lapsed} then. */
  lapseAt(): number {
    return this.lease.validUntil + 1;
  }

  /**
   * At a lapse check: when the lease could not be renewed in time, every held mailbox must stop at once (another
   * host may own them any moment). Returns those ids (empty when nothing to do).
   */
  lapsed(now: number): string[] {
    if (this.#state !== 'running' || this.lease.isValid(now)) return [];
    this.#needReconcile = true;
    return [...this.#held.keys()];
  }

  /**
   * Another host joined while this one holds nothing yet: whether to wait another join delay (so hosts started at
   * slightly different moments find each other first). Bounded to four delays since the start.
   */
  settle(now: number): boolean {
    if (this.#state !== 'running' || this.#held.size > 0 || this.#busy.size > 0) return false;
    if (now - this.#startedAt >= this.joinDelayMs * 4) return false;
    this.#joinedAt = now;
    return true;
  }

  /** The live hosts of this view, this host included while its lease is valid. */
  liveHosts(now: number): string[] {
    const hosts = [...this.#peers].filter(([, until]) => until > now).map(([id]) => id);
    if (this.lease.isValid(now)) hosts.push(this.hostId);
    return hosts;
  }

  /** One rebalancing step: mailboxes to try to acquire, and held ones to hand over. */
  plan(now: number): { acquire: readonly string[]; release: readonly string[] } {
    if (this.#state !== 'running') return { acquire: [], release: [] };
    const { acquire, release } = planOwnership({
      me: this.hostId,
      mailboxIds: this.mailboxIds,
      liveHosts: this.liveHosts(now),
      held: new Set(this.#held.keys()),
      busy: this.#busy,
      mayAcquire: this.lease.isValid(now) && now - this.#joinedAt >= this.joinDelayMs,
    });
    return { acquire, release };
  }

  /** The database gave these leases: held and busy (being started) until {@link settled}. */
  acquired(rows: readonly (readonly [string, number])[]): string[] {
    for (const [id, epoch] of rows) {
      this.#held.set(id, epoch);
      this.#busy.add(id);
    }
    return rows.map(([id]) => id);
  }

  /** Starting, handing over or stopping these mailboxes finished: plans may move them again. */
  settled(ids: readonly string[]): void {
    for (const id of ids) this.#busy.delete(id);
  }

  /** A hand-over starts: the mailboxes stay held (final writes pass) but busy. */
  handingOver(ids: readonly string[]): void {
    for (const id of ids) this.#busy.add(id);
  }

  /**
   * Mailboxes stop being held (handed over, lost, or fenced); they stay busy until {@link settled}. Returns the
   * rows to release (id and the epoch held).
   */
  drop(ids: readonly string[]): [string, number][] {
    const rows: [string, number][] = [];
    for (const id of ids) {
      const epoch = this.#held.get(id);
      this.#held.delete(id);
      this.#busy.add(id);
      if (epoch !== undefined) rows.push([id, epoch]);
    }
    return rows;
  }

  /** Whether a refused append for this mailbox should stop it here (held, not already moving, running). */
  shouldStopOnRefusal(mailboxId: string): boolean {
    return this.#held.has(mailboxId) && !this.#busy.has(mailboxId) && this.#state === 'running';
  }

  /**
   * Compares the rows the database says this host owns with what it holds: `lost` were taken over (stop them),
   * `leftovers` are rows still in this host's name that it does not hold (stopped after a lapse) and that are
   * assigned elsewhere (release them, so their new owner need not wait; those assigned here are re-acquired with
   * a new epoch).
   */
  reconcile(inDb: ReadonlyMap<string, number>, now: number): { lost: string[]; leftovers: [string, number][] } {
    this.#needReconcile = false;
    const lost = [...this.#held]
      .filter(([id, epoch]) => !this.#busy.has(id) && inDb.get(id) !== epoch)
      .map(([id]) => id);
    const assignment = planOwnership({
      me: this.hostId,
      mailboxIds: this.mailboxIds,
      liveHosts: this.liveHosts(now),
      held: new Set(),
      busy: new Set(),
      mayAcquire: false,
    }).assignment;
    const leftovers = [...inDb].filter(
      ([id]) => !this.#held.has(id) && !this.#busy.has(id) && assignment.get(id) !== this.hostId,
    );
    return { lost, leftovers };
  }
}
