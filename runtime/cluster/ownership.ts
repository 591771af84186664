/**
 * The contract between the autopilot and a mailbox-ownership coordinator (issue 9): which mailboxes this host
 * watches, and the fencing of its journal writes. `createAutopilot(config, { ownership })` uses it; the PostgreSQL
 * implementation is `PostgresMailboxOwnership`.
 *
 * @module
 */
import type { Journal } from '../journal/journal.js';
import type { JournalStore } from '../journal/store.js';
import type { ClusterStatus } from './status.js';

/**
 * Why a mailbox stops being watched here.
 *
 * - `rebalance`: another live host should own it now; finish what is in flight (up to the hand-over deadline),
 *   then it is released.
 * - `lost`: this host's lease lapsed or another host took it over; stop at once, nothing may be written for it.
 * - `fenced`: a journal append for it was refused (another writer, or no valid lease); stop at once.
 *
 * @example
 * ```ts
 * const reason: ReleaseReason = 'rebalance';
 * ```
 */
export type ReleaseReason = 'rebalance' | 'lost' | 'fenced';

/**
 * What the coordinator calls as mailboxes come and go. Calls for one mailbox never overlap.
 *
 * @example
 * ```ts
 * const handlers: OwnershipHandlers = {
 *   acquired: async (ids) => { await journal.refresh(); ids.forEach(startRunner); },
 *   released: async (ids, reason) => { await Promise.all(ids.map((id) => stopRunner(id, reason))); },
 * };
 * ```
 */
export interface OwnershipHandlers {
  /** The leases are held and their fencing tokens valid: start watching these mailboxes. */
  acquired(mailboxIds: readonly string[]): Promise<void>;
  /**
   * Stop watching these mailboxes. For `rebalance` the lease is still held until this resolves (so final journal
   * writes pass); for `lost`/`fenced` it is already gone.
   */
  released(mailboxIds: readonly string[], reason: ReleaseReason): Promise<void>;
}

/**
 * A coordinator that gives this host a share of the mailboxes, each mailbox to exactly one live host at a time.
 *
 * @example
 * ```ts
 * const ownership = new PostgresMailboxOwnership({ url, leaseMs: 10_000 });
 * const autopilot = createAutopilot(config, { ownership });
 * await autopilot.start(); // watches only the mailboxes this host owns, as they move
 * ```
 */
export interface MailboxOwnership {
  /** This host's id (unique per process). */
  readonly hostId: string;
  /** How long a mailbox handed to another host may finish the messages in flight before it is cut off. */
  readonly handoverDeadlineMs: number;
  /**
   * Wraps the journal store so every append carries this host's fencing token for each mailbox it writes and is
   * refused (`JournalFencedError`) for a mailbox whose lease this host does not hold; a refusal releases that
   * mailbox (`released(…, 'fenced')`).
   */
  guard(store: JournalStore): JournalStore;
  /**
   * Joins the cluster: registers the mailboxes, heartbeats, and calls `handlers` as this host's share changes.
   * `journal` is refreshed when other hosts append (so status and projections stay current).
   */
  start(mailboxIds: readonly string[], journal: Journal, handlers: OwnershipHandlers): Promise<void>;
  /** Stops moving mailboxes (no more handler calls); leases are still held and renewed so final writes pass. */
  freeze(): Promise<void>;
  /** Gives every lease back, leaves the cluster and closes connections. Idempotent. */
  leave(): Promise<void>;
  /** Mailboxes held now, with their epochs. */
  held(): ReadonlyMap<string, number>;
  /** Who owns what, since when, and every host's last heartbeat (the data of `status` and `/metrics`). */
  status(): Promise<ClusterStatus>;
}
