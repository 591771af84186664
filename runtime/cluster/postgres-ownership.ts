/**
 * Mailbox ownership on PostgreSQL (issue 9): every mailbox is watched by exactly one live host, with nothing but the
 * database the journal already uses. This file is the driver (issue 14, item 4): it owns the connections, the
 * LISTEN/NOTIFY channel and the (unref'd) timers, runs the statements of `sql.ts`, and carries out what the pure
 * `OwnershipCoordinator` (`coordinator.ts`) decides from the lease rows and the clock. Slightly over 400 lines because
 * of this header: the class is one connection pair and its timers, and the decisions already live in coordinator.ts.
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
import { hostname } from 'node:os';
import type pg from 'pg';
import type { Journal } from '../journal/journal.js';
import { type ChannelListener, listenChannel } from '../journal/postgres/listen.js';
import { channels, type PostgresLocation } from '../journal/postgres/location.js';
import { migrate } from '../journal/postgres/migrate.js';
import type { JournalConflictError, JournalStore } from '../journal/store.js';
import type { RuntimeLogger } from '../mailbox-runner.js';
import { OwnershipCoordinator, type ViewNotes } from './coordinator.js';
import { FencedJournalStore } from './fenced-store.js';
import { followJournal } from './follow-journal.js';
import type { MailboxOwnership, OwnershipHandlers, ReleaseReason } from './ownership.js';
import {
  ownershipPool,
  type PostgresOwnershipOptions,
  resolveOwnershipOptions,
  unrefTimer,
} from './ownership-options.js';
import { type HeartbeatRow, ownershipStatements } from './sql.js';
import { type ClusterStatus, readClusterStatus } from './status.js';

export type { PostgresOwnershipOptions } from './ownership-options.js';

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
  /** Heartbeats and view reads: never queued behind an acquisition that waits for the journal lock. */
  readonly #beatPool: pg.Pool;
  readonly #workPool: pg.Pool;
  readonly #sql: ReturnType<typeof ownershipStatements>;
  readonly #channel: string;
  readonly #pending = new Set<Promise<unknown>>();
  /** Created by start(); until then the host holds nothing and tokens are refused. */
  #core: OwnershipCoordinator | undefined;
  #handlers: OwnershipHandlers | undefined;
  #rebalancing: Promise<void> | undefined;
  #rebalanceAgain = false;
  #timers: { beat?: NodeJS.Timeout; expiry?: NodeJS.Timeout; lapse?: NodeJS.Timeout; join?: NodeJS.Timeout } = {};
  #listener: ChannelListener | undefined;
  #unwatchJournal: (() => void) | undefined;
  #left = false;

  constructor(options: PostgresOwnershipOptions) {
    const resolved = resolveOwnershipOptions(options);
    this.location = resolved.location;
    this.hostId = resolved.hostId;
    this.leaseMs = resolved.leaseMs;
    this.heartbeatMs = resolved.heartbeatMs;
    this.joinDelayMs = resolved.joinDelayMs;
    this.handoverDeadlineMs = resolved.handoverDeadlineMs;
    this.#log = resolved.logger;
    this.#now = resolved.now;
    // Bounded waits: a heartbeat stuck on a dead connection would never schedule the next one.
    const lost = (error: Error) => this.#log.warn({ host: this.hostId, err: error.message }, 'cluster connection lost');
    this.#beatPool = ownershipPool(this.location, { max: 1, name: 'heartbeat', timeoutMs: this.heartbeatMs }, lost);
    this.#workPool = ownershipPool(this.location, { max: 2, name: 'ownership', timeoutMs: this.leaseMs }, lost);
    this.#sql = ownershipStatements(this.location.schema);
    this.#channel = channels(this.location.schema).cluster;
  }

  guard(store: JournalStore): JournalStore {
    return new FencedJournalStore(store, {
      owner: this.hostId,
      tokenFor: (mailboxId) => this.#core?.tokenFor(mailboxId, this.#now()),
      refused: (mailboxId, error) => this.#refused(mailboxId, error),
    });
  }

  held(): ReadonlyMap<string, number> {
    return this.#core?.held() ?? new Map();
  }

  async start(mailboxIds: readonly string[], journal: Journal, handlers: OwnershipHandlers): Promise<void> {
    if (this.#core || this.#left) throw new Error('ownership was already started');
    const core = new OwnershipCoordinator({
      hostId: this.hostId,
      mailboxIds,
      leaseMs: this.leaseMs,
      joinDelayMs: this.joinDelayMs,
    });
    this.#core = core;
    this.#handlers = handlers;
    try {
      const client = await this.#workPool.connect();
      try {
        await migrate(client, this.location.schema);
        await client.query(this.#sql.register, [core.mailboxIds]);
      } finally {
        client.release();
      }
      await this.#heartbeat();
      if (!core.lease.isValid(this.#now())) throw new Error(`host ${this.hostId} could not register its lease`);
    } catch (error) {
      // Nothing was acquired: stop heartbeating and close, so a failed start leaves nothing running.
      await this.#close();
      throw error;
    }
    core.joined(this.#now());
    await this.#workPool.query(this.#sql.notify, [this.#channel, `join:${this.hostId}`]).catch(() => undefined);
    this.#listen();
    this.#unwatchJournal = followJournal(journal, () => this.#left);
    this.#timers.join = unrefTimer(() => this.#scheduleRebalance(), this.joinDelayMs + 5);
    this.#log.info(
      { host: this.hostId, mailboxes: core.mailboxIds.length, leaseMs: this.leaseMs, schema: this.location.schema },
      'joined the cluster',
    );
  }

  async freeze(): Promise<void> {
    this.#core?.freeze();
    clearTimeout(this.#timers.join);
    clearTimeout(this.#timers.expiry);
    await this.#rebalancing;
    await Promise.allSettled([...this.#pending]);
  }

  async leave(): Promise<void> {
    if (this.#left) return;
    if (!this.#core) return this.#close();
    await this.freeze();
    const held = this.#core.leave();
    await this.#stopActivity();
    try {
      await this.#workPool.query(this.#sql.leave, [this.hostId, this.#channel]);
      this.#log.info({ host: this.hostId, released: held }, 'left the cluster');
    } catch (error) {
      // Not fatal: the lease runs out and the other hosts take over then.
      this.#log.warn({ host: this.hostId, err: (error as Error).message }, 'could not give the leases back');
    }
    await this.#close();
  }

  status(): Promise<ClusterStatus> {
    return readClusterStatus(this.#workPool, this.location.schema);
  }

  /** No more heartbeats, timers or notifications (the pools stay, for the last statement). */
  async #stopActivity(): Promise<void> {
    this.#left = true;
    this.#core?.leave();
    for (const timer of Object.values(this.#timers)) clearTimeout(timer);
    this.#unwatchJournal?.();
    await this.#listener?.close();
  }

  async #close(): Promise<void> {
    await this.#stopActivity();
    await Promise.all([this.#beatPool.end(), this.#workPool.end()]).catch(() => undefined);
  }

  /** Whether the host is moving mailboxes (read through a method: it changes across awaits). */
  #running(): boolean {
    return this.#core?.state === 'running';
  }

  // --- heartbeat and view -------------------------------------------------------------------------------------

  async #heartbeat(): Promise<void> {
    const core = this.#core;
    if (this.#left || !core) return;
    const sentAt = this.#now();
    try {
      const info = { hostname: hostname(), pid: process.pid, mailboxes: core.mailboxIds.length, digest: core.digest };
      const { rows } = await this.#beatPool.query<HeartbeatRow>(this.#sql.heartbeat, [
        this.hostId,
        this.leaseMs,
        JSON.stringify(info),
      ]);
      if (this.#left) return;
      const row = rows[0]!;
      const notes = core.heartbeat(
        sentAt,
        { wasExpired: row.was_expired, heldRows: row.held, heldEpochSum: Number(row.held_epochs), peers: row.hosts },
        this.#now(),
      );
      this.#afterView(notes);
      clearTimeout(this.#timers.lapse);
      this.#timers.lapse = unrefTimer(() => this.#checkLapse(), core.lapseAt() - this.#now());
    } catch (error) {
      this.#log.warn({ host: this.hostId, err: (error as Error).message }, 'heartbeat failed');
    } finally {
      if (!this.#left) {
        clearTimeout(this.#timers.beat);
        this.#timers.beat = unrefTimer(() => void this.#heartbeat(), sentAt + this.heartbeatMs - this.#now());
      }
    }
  }

  async #refreshView(): Promise<void> {
    if (!this.#running()) return;
    try {
      const { rows } = await this.#beatPool.query<Pick<HeartbeatRow, 'hosts'>>(this.#sql.hosts, [this.hostId]);
      this.#afterView({ lapsed: false, differentConfig: this.#core!.view(rows[0]!.hosts, this.#now()) });
    } catch (error) {
      this.#log.warn({ host: this.hostId, err: (error as Error).message }, 'could not read the hosts');
    }
  }

  /** Logs what the view showed, re-arms the timer at the first peer's lease end, and rebalances. */
  #afterView(notes: ViewNotes): void {
    if (notes.lapsed) {
      this.#log.warn(
        { host: this.hostId },
        'lease had lapsed (paused or cut off): checking which mailboxes are still ours',
      );
    }
    for (const other of notes.differentConfig) {
      this.#log.warn(
        { host: this.hostId, other },
        'another host runs a different mailbox list: every host must have the same mailboxes configured',
      );
    }
    clearTimeout(this.#timers.expiry);
    const expiry = this.#core?.nextPeerExpiry();
    // React right when the first lease runs out, not at our next heartbeat.
    if (expiry !== undefined) this.#timers.expiry = unrefTimer(() => void this.#refreshView(), expiry - this.#now());
    this.#scheduleRebalance();
  }

  #checkLapse(): void {
    const lost = this.#core?.lapsed(this.#now()) ?? [];
    if (lost.length === 0) return;
    // Could not renew in time: another host may own our mailboxes any moment now. Stop acting on all of them.
    this.#log.warn({ host: this.hostId, held: lost.length }, 'lease lapsed: stopping every mailbox');
    this.#track(this.#lose(lost, 'lost'));
  }

  // --- rebalancing --------------------------------------------------------------------------------------------

  #scheduleRebalance(): void {
    if (!this.#running()) return;
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
      } while (this.#rebalanceAgain && this.#running());
    })().finally(() => {
      this.#rebalancing = undefined;
    });
  }

  async #rebalanceOnce(): Promise<void> {
    const core = this.#core!;
    if (core.needsReconcile) await this.#reconcile();
    const plan = core.plan(this.#now());
    if (plan.release.length > 0) this.#track(this.#handOver(plan.release));
    if (plan.acquire.length === 0) return;
    const { rows } = await this.#workPool.query<{ out_mailbox: string; out_epoch: string }>(this.#sql.acquire, [
      this.hostId,
      plan.acquire,
    ]);
    if (rows.length === 0) return;
    const acquired = core.acquired(rows.map((row) => [row.out_mailbox, Number(row.out_epoch)] as const));
    this.#log.info({ host: this.hostId, acquired: acquired.length, held: core.held().size }, 'acquired mailboxes');
    try {
      // Frozen meanwhile (stopping)? The leases are given back by leave(); nothing new starts.
      if (this.#running()) await this.#handlers!.acquired(acquired);
    } catch (error) {
      this.#log.error({ host: this.hostId, err: (error as Error).message }, 'starting acquired mailboxes failed');
    } finally {
      core.settled(acquired);
    }
  }

  /** Compares the rows the database says we own with what we hold. */
  async #reconcile(): Promise<void> {
    const { rows } = await this.#workPool.query<{ mailbox_id: string; epoch: string }>(this.#sql.owned, [this.hostId]);
    const inDb = new Map(rows.map((row) => [row.mailbox_id, Number(row.epoch)]));
    const { lost, leftovers } = this.#core!.reconcile(inDb, this.#now());
    if (lost.length > 0) {
      this.#log.warn(
        { host: this.hostId, lost: lost.length },
        'mailboxes were taken over by other hosts: stopping them',
      );
      this.#track(this.#lose(lost, 'lost'));
    }
    await this.#releaseRows(leftovers);
  }

  /** Gives mailboxes to their assigned hosts: stop watching (finishing what is in flight), then release. */
  async #handOver(ids: readonly string[]): Promise<void> {
    const core = this.#core!;
    core.handingOver(ids);
    try {
      this.#log.info({ host: this.hostId, mailboxes: ids.length }, 'handing mailboxes over');
      await this.#handlers!.released(ids, 'rebalance').catch((error: unknown) => {
        this.#log.error({ host: this.hostId, err: (error as Error).message }, 'stopping handed-over mailboxes failed');
      });
      await this.#releaseRows(core.drop(ids));
    } finally {
      core.settled(ids);
      this.#scheduleRebalance();
    }
  }

  /** Stops mailboxes whose lease is gone (or whose append was refused) at once. */
  async #lose(ids: readonly string[], reason: Exclude<ReleaseReason, 'rebalance'>): Promise<void> {
    const core = this.#core!;
    const rows = core.drop(ids);
    try {
      await this.#handlers!.released(ids, reason).catch((error: unknown) => {
        this.#log.error({ host: this.hostId, err: (error as Error).message }, 'stopping lost mailboxes failed');
      });
      // A refused append while the row is still ours (our lease had lapsed; or the journal was behind): free it,
      // so it can be acquired again with a new epoch (and a journal refresh) by whoever it is assigned to.
      if (reason === 'fenced') await this.#releaseRows(rows);
    } finally {
      core.settled(ids);
      this.#scheduleRebalance();
    }
  }

  #refused(mailboxId: string, error: JournalConflictError): void {
    if (!this.#core?.shouldStopOnRefusal(mailboxId)) return;
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
        this.#channel,
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

  #listen(): void {
    this.#listener = listenChannel({
      connectionString: this.location.connectionString,
      channel: this.#channel,
      applicationName: 'mail-autopilot cluster listener',
      onLost: (error) =>
        this.#log.warn({ host: this.hostId, err: error.message }, 'cluster notifications lost; reconnecting'),
      onNotification: (payload) => {
        const [kind, host] = (payload ?? '').split(':', 2) as [string, string | undefined];
        if (host === this.hostId) return;
        if (kind === 'join' && this.#core?.settle(this.#now())) {
          // Another host joined before this one took anything: wait for it too.
          clearTimeout(this.#timers.join);
          this.#timers.join = unrefTimer(() => this.#scheduleRebalance(), this.joinDelayMs + 5);
        }
        if (kind === 'join' || kind === 'leave') void this.#refreshView();
        else this.#scheduleRebalance();
      },
    });
  }
}
