/**
 * Fencing tokens for journal appends (issue 9). When several hosts share one journal, each mailbox's stream is
 * written by the one host that owns the mailbox; ownership is a lease with an epoch that grows by one every time the
 * mailbox changes hands. An append carries the owner and the epoch it holds for every stream it writes, and the store
 * refuses it when the lease row says otherwise. A host that was paused past its lease therefore cannot write to a
 * mailbox that another host took over, even before it notices itself.
 *
 * @module
 */
import { JournalConflictError } from '../store.js';

/**
 * The owner and per-stream epochs an append claims.
 *
 * @example
 * ```ts
 * const fence: AppendFence = { owner: 'host-a', epochs: { support: 7 } };
 * await store.append(events, { fence });
 * ```
 */
export interface AppendFence {
  readonly owner: string;
  /** Epoch held, per stream (mailbox id) the append writes. */
  readonly epochs: Readonly<Record<string, number>>;
}

/**
 * An append was refused because its writer no longer owns the mailbox (another host took it over, or the writer's
 * own lease ran out). It is a {@link JournalConflictError} — "someone else writes this stream" — so code that
 * already stops on conflicts stops on it too; `expectedVersion`/`actualVersion` are -1 (not a version mismatch).
 *
 * @example
 * ```ts
 * try { await journal.append(events); }
 * catch (error) { if (error instanceof JournalFencedError) stopWatching(error.mailboxId); }
 * ```
 */
export class JournalFencedError extends JournalConflictError {
  /** Who owns the mailbox now, when known (`null`: nobody or unknown). */
  readonly currentOwner: string | null;
  /** The epoch the writer claimed (`null`: it held no lease at all). */
  readonly claimedEpoch: number | null;

  constructor(
    mailboxId: string,
    reason: string,
    details: { currentOwner?: string | null; claimedEpoch?: number | null } = {},
  ) {
    super(mailboxId, -1, -1);
    this.message = `mailbox ${JSON.stringify(mailboxId)} is fenced: ${reason}`;
    this.currentOwner = details.currentOwner ?? null;
    this.claimedEpoch = details.claimedEpoch ?? null;
  }
}
