/**
 * The journal projection that feeds each mailbox's {@link AutoReplyLimiter} only its own mailbox's events, and
 * saves them all in a snapshot under one key. The key names every mailbox with its limiter's key, so a snapshot
 * taken under another set of mailboxes or windows is not used (the journal folds from the start then: a limiter
 * restored without the events of a mailbox it did not know would allow more replies than the limit).
 *
 * @module
 */
import type { StoredEvent } from '../journal/events.js';
import type { SnapshotCapable } from '../journal/projection.js';
import type { AutoReplyLimiter } from './reply-limiter.js';

/**
 * One projection over the limiters of several mailboxes.
 *
 * @example
 * ```ts
 * const limiters = new Map([['support', new AutoReplyLimiter({ max: 5 })]]);
 * const journal = await Journal.open(store, { projections: [perMailbox(limiters)] });
 * ```
 */
export function perMailbox(limiters: ReadonlyMap<string, AutoReplyLimiter>): SnapshotCapable {
  const ids = [...limiters.keys()].sort();
  return {
    snapshotKey: `limiters:${JSON.stringify(ids.map((id) => [id, limiters.get(id)!.snapshotKey]))}`,
    apply: (event: StoredEvent) => limiters.get(event.mailboxId)?.apply(event),
    exportState: () => Object.fromEntries(ids.map((id) => [id, limiters.get(id)!.exportState()])),
    prepareState: (state: unknown) => {
      const saved = (state ?? {}) as Record<string, unknown>;
      const installs = ids.map((id) => limiters.get(id)!.prepareState(saved[id]));
      return () => {
        for (const install of installs) install();
      };
    },
  };
}
