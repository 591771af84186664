/**
 * Mailbox ownership on PostgreSQL (issue 9): every mailbox is watched by exactly one live host, with nothing but the
 * database the journal already uses.
 *
 * - **Hosts** heartbeat into `cluster_hosts` every `heartbeatMs` (a third of the lease): one statement that renews
 *   the lease, reads the other hosts' remaining lease time and checks this host's own mailbox rows.
 * - **Mailboxes** are rows of `cluster_mailboxes` with an owner and an epoch. A host acquires a mailbox only when it
 *   is free, or its owner's lease expired (`cluster_acquire`: `FOR UPDATE SKIP LOCKED`, epoch + 1, ordered with
 *   journal appends by the journal's advisory lock). A host's lease covers all its mailboxes, so a host at rest costs
 *   one statement per heartbeat however many mailboxes it owns.
 * - **Who should own what** is `assignMailboxes` (rendezvous hashing with bounded loads) over the live hosts. A host
 *   gives back what is assigned elsewhere (after finishing messages in flight) and takes what is assigned to it once
 *   free. Hand-over therefore only ever happens after the old owner released or its lease expired.
 * - **Promptness**: LISTEN/NOTIFY on the schema's cluster channel (joins, leaves, releases) and a timer at the
 *   earliest lease expiry of another host, so a dead host's mailboxes are taken right when its lease runs out.
 * - **Fencing**: the epoch is the fencing token every journal append carries (`guard`). A host that was paused past
 *   its lease finds its local lease lapsed before it appends anything, and the database refuses the stale epoch in
 *   any case.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { Journal } from '../journal/journal.js';
import { channels, type PostgresLocation, parsePostgresLocation, quoteSchema } from '../journal/postgres/location.js';
import { migrate } from '../journal/postgres/migrate.js';
import type { JournalConflictError, JournalStore } from '../journal/store.js';
import type { RuntimeLogger } from '../mailbox-runner.js';
import { hash53 } from './assignment.js';
import { FencedJournalStore } from './fenced-store.js';
import { LocalLease } from './lease.js';
import type { MailboxOwnership, OwnershipHandlers, ReleaseReason } from './ownership.js';
import { planOwnership } from './plan.js';
import { type ClusterStatus, readClusterStatus } from './status.js';

/**
 * Options of {@link PostgresMailboxOwnership}.
 *
 * @example
 * ```ts
 * const options: PostgresOwnershipOptions = { url: 'postgres://db/mail?schema=mail_autopilot', leaseMs: 15_000 };
 * ```
 */
export interface PostgresOwnershipOptions {
  /** The journal's `postgres://` URL (its `?schema=` is honoured). */
  readonly url: string;
  /** Wins over the URL's schema. */
  readonly schema?: string;
  /** Unique per process. Default `<hostname>-<pid>-<random>`. */
  readonly hostId?: string;
  /**
   * How long a host owns its mailboxes without renewing: a dead host's mailboxes are taken over this long after
   * its last heartbeat. Default 30 s.
   */
  readonly leaseMs?: number;
  /** Heartbeat period. Default a third of the lease. */
  readonly heartbeatMs?: number;
  /**
   * How long a starting host waits before acquiring anything, so hosts started together see each other first and
   * do not grab everything and hand it back; another host joining meanwhile restarts the wait (up to four times
   * this in all). Default one heartbeat period, at most 2 s.
   */
  readonly joinDelayMs?: number;
  /** How long a mailbox moving to another host may finish its messages in flight. Default 10 s. */
  readonly handoverDeadlineMs?: number;
  readonly logger?: RuntimeLogger;
  /** Monotonic milliseconds (default `performance.now`). */
  readonly now?: () => number;
}

interface HeartbeatRow {
  was_expired: boolean | null;
  held: number;
  held_epochs: string;
  hosts: { id: string; remainingMs: number; digest: string | null }[];
}

const SILENT: RuntimeLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function unrefTimer(fn: () => void, ms: number): NodeJS.Timeout {
  const timer = setTimeout(fn, Math.max(0, ms));
  timer.unref();
  return timer;
}

/**
 * The PostgreSQL {@link MailboxOwnership}. One per host process; pass it to `createAutopilot`.
 *
 * @example
 * ```ts
 * const ownership = new PostgresMailboxOwnership({ url: config.journal, leaseMs: 10_000 });
 * const autopilot = createAutopilot(config, { ownership });
 * await autopilot.start();
 * console.log(await ownership.status());
 * ```
 */
export class PostgresMailboxOwnership implements MailboxOwnership {
  readonly hostId: string;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly joinDelayMs: number;
  readonly handoverDeadlineMs: number;
  readonly location: PostgresLocation;
  readonly #log: RuntimeLogger;
  readonly #now: () => number;
  readonly #lease: LocalLease;
  /** Heartbeats and view reads: never queued behind an acquisition that waits for the journal lock. */
  readonly #beatPool: pg.Pool;
  readonly #workPool: pg.Pool;
  readonly #sql: ReturnType<typeof statements>;
  readonly #held = new Map<string, number>();
  /** Mailboxes being started or handed over: the plan leaves them alone. */
  readonly #busy = new Set<string>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #warnedDigests = new Set<string>();
  /** Other live hosts → local time their lease is expected to end. */
  #others = new Map<string, number>();
  #mailboxIds: readonly string[] = [];
  #digest = '';
  #handlers: OwnershipHandlers | undefined;
  #state: 'new' | 'running' | 'frozen' | 'left' = 'new';
  #startedAt = 0;
  /** When this host last started waiting for its peers (registered, or another host joined meanwhile). */
  #joinedAt = Number.POSITIVE_INFINITY;
  #needReconcile = false;
  #rebalancing: Promise<void> | undefined;
  #rebalanceAgain = false;
  #timers: { beat?: NodeJS.Timeout; expiry?: NodeJS.Timeout; lapse?: NodeJS.Timeout; join?: NodeJS.Timeout } = {};
  #listenClient: pg.Client | undefined;
  #unwatchJournal: (() => void) | undefined;

  constructor(options: PostgresOwnershipOptions) {
    this.location = parsePostgresLocation(options.url, options.schema);
    this.hostId = options.hostId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.heartbeatMs = options.heartbeatMs ?? Math.round(this.leaseMs / 3);
    this.joinDelayMs = options.joinDelayMs ?? Math.min(this.heartbeatMs, 2_000);
    this.handoverDeadlineMs = options.handoverDeadlineMs ?? 10_000;
    if (!(this.heartbeatMs > 0 && this.heartbeatMs < this.leaseMs)) {
      throw new RangeError(`heartbeatMs (${this.heartbeatMs}) must be > 0 and below leaseMs (${this.leaseMs})`);
    }
    this.#log = options.logger ?? SILENT;
    this.#now = options.now ?? (() => performance.now());
    this.#lease = new LocalLease(this.leaseMs);
    // Bounded waits: a heartbeat stuck on a dead connection would never schedule the next one.
    const pool = (max: number, name: string, timeoutMs: number) => {
      const created = new pg.Pool({
        connectionString: this.location.connectionString,
        max,
        idleTimeoutMillis: 0,
        allowExitOnIdle: true,
        connectionTimeoutMillis: timeoutMs,
        query_timeout: timeoutMs,
        keepAlive: true,
        application_name: `mail-autopilot ${name}`,
      });
      created.on('error', (error) =>
        this.#log.warn({ host: this.hostId, err: error.message }, 'cluster connection lost'),
      );
      return created;
    };
    this.#beatPool = pool(1, 'heartbeat', this.heartbeatMs);
    this.#workPool = pool(2, 'ownership', this.leaseMs);
    this.#sql = statements(this.location.schema);
  }

  guard(store: JournalStore): JournalStore {
    return new FencedJournalStore(store, {
      owner: this.hostId,
      tokenFor: (mailboxId) => (this.#lease.isValid(this.#now()) ? this.#held.get(mailboxId) : undefined),
      refused: (mailboxId, error) => this.#refused(mailboxId, error),
    });
  }

  held(): ReadonlyMap<string, number> {
    return new Map(this.#held);
  }

  async start(mailboxIds: readonly string[], journal: Journal, handlers: OwnershipHandlers): Promise<void> {
    if (this.#state !== 'new') throw new Error('ownership was already started');
    this.#state = 'running';
    this.#handlers = handlers;
    this.#mailboxIds = [...new Set(mailboxIds)];
    this.#digest = hash53([...this.#mailboxIds].sort().join('\n')).toString(36);
    try {
      const client = await this.#workPool.connect();
      try {
        await migrate(client, this.location.schema);
        await client.query(this.#sql.register, [this.#mailboxIds]);
      } finally {
        client.release();
      }
      await this.#heartbeat();
      if (!this.#lease.isValid(this.#now())) throw new Error(`host ${this.hostId} could not register its lease`);
    } catch (error) {
      // Nothing was acquired: stop heartbeating and close, so a failed start leaves nothing running.
      this.#state = 'left';
      for (const timer of Object.values(this.#timers)) clearTimeout(timer);
      await Promise.all([this.#beatPool.end(), this.#workPool.end()]).catch(() => undefined);
      throw error;
    }
    this.#joinedAt = this.#now();
    this.#startedAt = this.#joinedAt;
    await this.#notify(`join:${this.hostId}`);
    void this.#listen();
    this.#watchJournal(journal);
    this.#timers.join = unrefTimer(() => this.#scheduleRebalance(), this.joinDelayMs + 5);
    this.#log.info(
      { host: this.hostId, mailboxes: this.#mailboxIds.length, leaseMs: this.leaseMs, schema: this.location.schema },
      'joined the cluster',
    );
  }

  async freeze(): Promise<void> {
    if (this.#state === 'running') this.#state = 'frozen';
    clearTimeout(this.#timers.join);
    clearTimeout(this.#timers.expiry);
    await this.#rebalancing;
    await Promise.allSettled([...this.#pending]);
  }

  async leave(): Promise<void> {
    if (this.#state === 'left') return;
    if (this.#state === 'new') {
      this.#state = 'left';
      await Promise.all([this.#beatPool.end(), this.#workPool.end()]).catch(() => undefined);
      return;
    }
    await this.freeze();
    this.#state = 'left';
    for (const timer of Object.values(this.#timers)) clearTimeout(timer);
    this.#unwatchJournal?.();
    const listen = this.#listenClient;
    this.#listenClient = undefined;
    await listen?.end().catch(() => undefined);
    const held = this.#held.size;
    this.#held.clear();
    this.#lease.revoke();
    try {
      await this.#workPool.query(this.#sql.leave, [this.hostId, channels(this.location.schema).cluster]);
      this.#log.info({ host: this.hostId, released: held }, 'left the cluster');
    } catch (error) {
      // Not fatal: the lease runs out and the other hosts take over then.
      this.#log.warn({ host: this.hostId, err: (error as Error).message }, 'could not give the leases back');
    }
    await Promise.all([this.#beatPool.end(), this.#workPool.end()]).catch(() => undefined);
  }

  status(): Promise<ClusterStatus> {
    return readClusterStatus(this.#workPool, this.location.schema);
  }

  /** Read through a method: the state changes across awaits, which type narrowing does not see. */
  #left(): boolean {
    return this.#state === 'left';
  }

  // --- heartbeat and view -------------------------------------------------------------------------------------

  async #heartbeat(): Promise<void> {
    if (this.#state === 'left') return;
    const sentAt = this.#now();
    try {
      const { rows } = await this.#beatPool.query<HeartbeatRow>(this.#sql.heartbeat, [
        this.hostId,
        this.leaseMs,
        JSON.stringify({
          hostname: hostname(),
          pid: process.pid,
          mailboxes: this.#mailboxIds.length,
          digest: this.#digest,
        }),
      ]);
      if (this.#left()) return;
      const row = rows[0]!;
      const lapsed = this.#lease.renew(sentAt);
      this.#armLapseTimer();
      let epochs = 0;
      for (const epoch of this.#held.values()) epochs += epoch;
      if (lapsed || row.was_expired === true || row.held !== this.#held.size || Number(row.held_epochs) !== epochs) {
        // Someone may have taken (or we may have left behind) mailbox rows: compare them with what we hold.
        this.#needReconcile = true;
      }
      if (lapsed || row.was_expired === true) {
        this.#log.warn(
          { host: this.hostId },
          'lease had lapsed (paused or cut off): checking which mailboxes are still ours',
        );
      }
      this.#updateView(row.hosts, this.#now());
      this.#scheduleRebalance();
    } catch (error) {
      this.#log.warn({ host: this.hostId, err: (error as Error).message }, 'heartbeat failed');
    } finally {
      if (!this.#left()) {
        clearTimeout(this.#timers.beat);
        this.#timers.beat = unrefTimer(() => void this.#heartbeat(), sentAt + this.heartbeatMs - this.#now());
      }
    }
  }

  async #refreshView(): Promise<void> {
    if (this.#state !== 'running') return;
    try {
      const { rows } = await this.#beatPool.query<{ hosts: HeartbeatRow['hosts'] }>(this.#sql.hosts, [this.hostId]);
      this.#updateView(rows[0]!.hosts, this.#now());
      this.#scheduleRebalance();
    } catch (error) {
      this.#log.warn({ host: this.hostId, err: (error as Error).message }, 'could not read the hosts');
    }
  }

  #updateView(hosts: HeartbeatRow['hosts'], at: number): void {
    const live = new Map<string, number>();
    for (const host of hosts) {
      if (host.remainingMs > 0) live.set(host.id, at + host.remainingMs);
      if (host.digest && host.digest !== this.#digest && !this.#warnedDigests.has(host.id)) {
        this.#warnedDigests.add(host.id);
        this.#log.warn(
          { host: this.hostId, other: host.id },
          'another host runs a different mailbox list: every host must have the same mailboxes configured',
        );
      }
    }
    this.#others = live;
    clearTimeout(this.#timers.expiry);
    if (this.#state === 'running' && live.size > 0) {
      // React right when the first lease runs out, not at our next heartbeat.
      const first = Math.min(...live.values());
      this.#timers.expiry = unrefTimer(() => void this.#refreshView(), first - this.#now() + 25);
    }
  }

  #armLapseTimer(): void {
    clearTimeout(this.#timers.lapse);
    this.#timers.lapse = unrefTimer(
      () => {
        if (this.#state !== 'running' || this.#lease.isValid(this.#now())) return;
        // Could not renew in time: another host may own our mailboxes any moment now. Stop acting on all of them.
        this.#log.warn({ host: this.hostId, held: this.#held.size }, 'lease lapsed: stopping every mailbox');
        this.#needReconcile = true;
        if (this.#held.size > 0) this.#track(this.#lose([...this.#held.keys()], 'lost'));
      },
      this.#lease.validUntil - this.#now() + 1,
    );
  }

  /**
   * Another host joined while this one has not acquired anything yet: wait another join delay, so hosts started
   * together (at slightly different moments) find each other before any takes a share. Bounded, so a stream of
   * joins cannot keep a host idle.
   */
  #settle(): void {
    if (this.#state !== 'running' || this.#held.size > 0 || this.#busy.size > 0) return;
    const now = this.#now();
    if (now - this.#startedAt >= this.joinDelayMs * 4) return;
    this.#joinedAt = now;
    clearTimeout(this.#timers.join);
    this.#timers.join = unrefTimer(() => this.#scheduleRebalance(), this.joinDelayMs + 5);
  }

  #liveHosts(now: number): string[] {
    const hosts = [...this.#others].filter(([, until]) => until > now).map(([id]) => id);
    if (this.#lease.isValid(now)) hosts.push(this.hostId);
    return hosts;
  }

  // --- rebalancing --------------------------------------------------------------------------------------------

  #scheduleRebalance(): void {
    if (this.#state !== 'running') return;
    if (this.#rebalancing) {
      this.#rebalanceAgain = true;
      return;
    }
    this.#rebalancing = (async () => {
      do {
        this.#rebalanceAgain = false;
        try {
          await this.#rebalanceOnce();
        } catch (error) {
          this.#log.warn(
            { host: this.hostId, err: (error as Error).message },
            'rebalancing failed; retrying at the next heartbeat',
          );
        }
      } while (this.#rebalanceAgain && this.#state === 'running');
    })().finally(() => {
      this.#rebalancing = undefined;
    });
  }

  async #rebalanceOnce(): Promise<void> {
    if (this.#needReconcile) await this.#reconcile();
    if (this.#state !== 'running') return;
    const now = this.#now();
    const plan = planOwnership({
      me: this.hostId,
      mailboxIds: this.#mailboxIds,
      liveHosts: this.#liveHosts(now),
      held: new Set(this.#held.keys()),
      busy: this.#busy,
      mayAcquire: this.#lease.isValid(now) && now - this.#joinedAt >= this.joinDelayMs,
    });
    if (plan.release.length > 0) this.#track(this.#handOver(plan.release));
    if (plan.acquire.length === 0) return;
    const { rows } = await this.#workPool.query<{ out_mailbox: string; out_epoch: string }>(this.#sql.acquire, [
      this.hostId,
      plan.acquire,
    ]);
    if (rows.length === 0) return;
    const acquired = rows.map((row) => row.out_mailbox);
    for (const row of rows) {
      this.#held.set(row.out_mailbox, Number(row.out_epoch));
      this.#busy.add(row.out_mailbox);
    }
    this.#log.info({ host: this.hostId, acquired: acquired.length, held: this.#held.size }, 'acquired mailboxes');
    try {
      // Frozen meanwhile (stopping)? The leases are given back by leave(); nothing new starts.
      if (this.#state === 'running') await this.#handlers!.acquired(acquired);
    } catch (error) {
      this.#log.error({ host: this.hostId, err: (error as Error).message }, 'starting acquired mailboxes failed');
    } finally {
      for (const id of acquired) this.#busy.delete(id);
    }
  }

  /** Compares the rows the database says we own with what we hold. */
  async #reconcile(): Promise<void> {
    this.#needReconcile = false;
    const { rows } = await this.#workPool.query<{ mailbox_id: string; epoch: string }>(this.#sql.owned, [this.hostId]);
    const inDb = new Map(rows.map((row) => [row.mailbox_id, Number(row.epoch)]));
    const lost = [...this.#held]
      .filter(([id, epoch]) => !this.#busy.has(id) && inDb.get(id) !== epoch)
      .map(([id]) => id);
    if (lost.length > 0) {
      this.#log.warn(
        { host: this.hostId, lost: lost.length },
        'mailboxes were taken over by other hosts: stopping them',
      );
      this.#track(this.#lose(lost, 'lost'));
    }
    // Rows still in our name that we do not hold (we stopped them after a lapse): keep those assigned to us (the
    // acquisition takes them with a new epoch), give the others back so their new owner need not wait for us.
    const assignment = planOwnership({
      me: this.hostId,
      mailboxIds: this.#mailboxIds,
      liveHosts: this.#liveHosts(this.#now()),
      held: new Set(),
      busy: new Set(),
      mayAcquire: false,
    }).assignment;
    const leftovers = [...inDb].filter(
      ([id]) => !this.#held.has(id) && !this.#busy.has(id) && assignment.get(id) !== this.hostId,
    );
    if (leftovers.length > 0) await this.#releaseRows(leftovers);
  }

  /** Gives mailboxes to their assigned hosts: stop watching (finishing what is in flight), then release. */
  async #handOver(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.#busy.add(id);
    try {
      this.#log.info({ host: this.hostId, mailboxes: ids.length }, 'handing mailboxes over');
      await this.#handlers!.released(ids, 'rebalance').catch((error: unknown) => {
        this.#log.error({ host: this.hostId, err: (error as Error).message }, 'stopping handed-over mailboxes failed');
      });
      const rows: [string, number][] = [];
      for (const id of ids) {
        const epoch = this.#held.get(id);
        this.#held.delete(id);
        if (epoch !== undefined) rows.push([id, epoch]);
      }
      await this.#releaseRows(rows);
    } finally {
      for (const id of ids) this.#busy.delete(id);
      this.#scheduleRebalance();
    }
  }

  /** Stops mailboxes whose lease is gone (or whose append was refused) at once. */
  async #lose(ids: readonly string[], reason: Exclude<ReleaseReason, 'rebalance'>): Promise<void> {
    const epochs: [string, number][] = [];
    for (const id of ids) {
      const epoch = this.#held.get(id);
      this.#held.delete(id);
      this.#busy.add(id);
      if (epoch !== undefined) epochs.push([id, epoch]);
    }
    try {
      await this.#handlers!.released(ids, reason).catch((error: unknown) => {
        this.#log.error({ host: this.hostId, err: (error as Error).message }, 'stopping lost mailboxes failed');
      });
      // A refused append while the row is still ours (our lease had lapsed; or the journal was behind): free it,
      // so it can be acquired again with a new epoch (and a journal refresh) by whoever it is assigned to.
      if (reason === 'fenced') await this.#releaseRows(epochs).catch(() => undefined);
    } finally {
      for (const id of ids) this.#busy.delete(id);
      this.#scheduleRebalance();
    }
  }

  #refused(mailboxId: string, error: JournalConflictError): void {
    if (!this.#held.has(mailboxId) || this.#busy.has(mailboxId) || this.#state !== 'running') return;
    this.#log.warn(
      { host: this.hostId, mailboxId, err: error.message },
      'journal append refused: stopping the mailbox',
    );
    this.#track(this.#lose([mailboxId], 'fenced'));
  }

  async #releaseRows(rows: readonly (readonly [string, number])[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.#workPool.query(this.#sql.release, [
        this.hostId,
        rows.map(([id]) => id),
        rows.map(([, epoch]) => epoch),
        channels(this.location.schema).cluster,
      ]);
    } catch (error) {
      this.#log.warn(
        { host: this.hostId, err: (error as Error).message },
        'could not release mailboxes (their lease will run out)',
      );
    }
  }

  #track(work: Promise<unknown>): void {
    this.#pending.add(work);
    void work.finally(() => this.#pending.delete(work));
  }

  // --- notifications ------------------------------------------------------------------------------------------

  async #notify(payload: string): Promise<void> {
    await this.#workPool
      .query('SELECT pg_notify($1, $2)', [channels(this.location.schema).cluster, payload])
      .catch(() => undefined);
  }

  async #listen(): Promise<void> {
    if (this.#state === 'left') return;
    const client = new pg.Client({
      connectionString: this.location.connectionString,
      application_name: 'mail-autopilot cluster listener',
    });
    this.#listenClient = client;
    const retry = (error: Error) => {
      if (this.#listenClient !== client) return;
      this.#listenClient = undefined;
      client.end().catch(() => undefined);
      if (this.#state === 'left') return;
      this.#log.warn({ host: this.hostId, err: error.message }, 'cluster notifications lost; reconnecting');
      unrefTimer(() => void this.#listen(), 1_000);
    };
    client.on('error', retry);
    client.on('notification', (message) => {
      const [kind, host] = (message.payload ?? '').split(':', 2) as [string, string | undefined];
      if (host === this.hostId) return;
      if (kind === 'join') this.#settle();
      if (kind === 'join' || kind === 'leave') void this.#refreshView();
      else this.#scheduleRebalance();
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${channels(this.location.schema).cluster}"`);
      (client as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
      if (this.#left()) await client.end();
    } catch (error) {
      retry(error as Error);
    }
  }

  /** Other hosts' appends reach this host's projections promptly (status, and the handled set of a takeover). */
  #watchJournal(journal: Journal): void {
    const store = journal.store instanceof FencedJournalStore ? journal.store.inner : journal.store;
    const onAppended = (store as { onAppended?: (listener: (head: number) => void) => () => void }).onAppended;
    if (typeof onAppended !== 'function') return;
    let scheduled = false;
    this.#unwatchJournal = onAppended.call(store, (head) => {
      if (scheduled || head <= journal.position || this.#state === 'left') return;
      scheduled = true;
      // Coalesce bursts: one refresh at most every 100 ms.
      unrefTimer(() => {
        scheduled = false;
        if (this.#state !== 'left') journal.refresh().catch(() => undefined);
      }, 100);
    });
  }
}

function statements(schema: string) {
  const s = quoteSchema(schema);
  return {
    register: `INSERT INTO ${s}.cluster_mailboxes (mailbox_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`,
    heartbeat: `
      WITH prev AS (
        SELECT lease_until < clock_timestamp() AS expired FROM ${s}.cluster_hosts WHERE host_id = $1
      ), beat AS (
        INSERT INTO ${s}.cluster_hosts AS h (host_id, lease_until, lease_ms, info)
        VALUES ($1, clock_timestamp() + $2::int * interval '1 millisecond', $2::int, $3::jsonb)
        ON CONFLICT (host_id) DO UPDATE
          SET heartbeat_at = clock_timestamp(), lease_until = excluded.lease_until, lease_ms = excluded.lease_ms,
              info = excluded.info
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM beat)::int AS beat,
             (SELECT expired FROM prev) AS was_expired,
             (SELECT count(*) FROM ${s}.cluster_mailboxes WHERE owner = $1)::int AS held,
             (SELECT coalesce(sum(epoch), 0) FROM ${s}.cluster_mailboxes WHERE owner = $1)::text AS held_epochs,
             ${hostsJson(s)} AS hosts`,
    hosts: `SELECT ${hostsJson(s)} AS hosts`,
    acquire: `SELECT out_mailbox, out_epoch FROM ${s}.cluster_acquire($1, $2::text[])`,
    owned: `SELECT mailbox_id, epoch FROM ${s}.cluster_mailboxes WHERE owner = $1`,
    release: `
      WITH released AS (
        UPDATE ${s}.cluster_mailboxes m SET owner = NULL, released_at = clock_timestamp()
        FROM unnest($2::text[], $3::bigint[]) AS r(mailbox_id, epoch)
        WHERE m.mailbox_id = r.mailbox_id AND m.owner = $1 AND m.epoch = r.epoch
        RETURNING m.mailbox_id
      )
      SELECT count(*)::int AS released, pg_notify($4, 'release:' || $1) FROM released`,
    leave: `
      WITH released AS (
        UPDATE ${s}.cluster_mailboxes SET owner = NULL, released_at = clock_timestamp() WHERE owner = $1
        RETURNING 1
      ), gone AS (
        DELETE FROM ${s}.cluster_hosts WHERE host_id = $1 RETURNING 1
      )
      SELECT (SELECT count(*) FROM released)::int AS released, pg_notify($2, 'leave:' || $1)`,
  };
}

/** The other hosts with the milliseconds left on their lease (negative: expired), by the database's clock. */
function hostsJson(s: string): string {
  return `(SELECT coalesce(json_agg(json_build_object(
            'id', host_id,
            'remainingMs', floor(extract(epoch FROM lease_until - clock_timestamp()) * 1000),
            'digest', info->>'digest')), '[]'::json)
          FROM ${s}.cluster_hosts WHERE host_id <> $1)`;
}
