/**
 * The journal projection that feeds each mailbox's {@link AutoReplyLimiter} only its own mailbox's events, and
 * saves them all in a snapshot, each with its limiter's key (window and kinds). A snapshot taken under another set
 * of mailboxes or windows is still used, mailbox by mailbox, because refusing it would make the journal fold from
 * the start — which retention may have made impossible (issue 16: a routine config change must not refuse a start):
 * - a mailbox the snapshot does not know starts empty: it had no events before the snapshot under this id;
 * - a mailbox whose window or kinds changed gets the sends the snapshot kept. After a window was made longer, sends
 *   older than the old window are not counted, so for at most the difference of the two windows the limiter may
 *   allow more replies than the new limit (docs/journal.md names this window).
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
    snapshotKey: 'limiters',
    apply: (event: StoredEvent) => limiters.get(event.mailboxId)?.apply(event),
    exportState: () =>
      Object.fromEntries(
        ids.map((id) => [id, { key: limiters.get(id)!.snapshotKey, state: limiters.get(id)!.exportState() }]),
      ),
    prepareState: (state: unknown) => {
      if (state === null || typeof state !== 'object') throw new TypeError('limiters state: not an object');
      const saved = state as Record<string, { key?: unknown; state?: unknown } | undefined>;
      const installs = ids
        .filter((id) => saved[id] !== undefined)
        .map((id) => limiters.get(id)!.prepareState(saved[id]!.state));
      return () => {
        for (const install of installs) install();
      };
    },
  };
}
