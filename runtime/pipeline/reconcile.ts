/**
 * After a crash, a message whose last step was a move or a delete may be gone from the folder: the step took effect
 * but the process died before journaling it. Such a message is never discovered again, so the first pass of a
 * session reconciles it here instead of leaving it pending forever.
 *
 * @module
 */
import type { JournalEvent } from '../journal/events.js';
import type { Journal } from '../journal/journal.js';

/** Actions whose effect removes the message from the watched folder. */
const REMOVING = new Set(['moveTo', 'delete']);

/**
 * For every unfinished message of `mailboxId` that the first pass of a session did not see (`seenKeys`): journals an
 * in-flight move/delete as done and the message as handled (`moveTo`/`delete` are always a rule's last action), or,
 * when the move/delete is already journaled as done, just the end. Returns the keys it settled.
 *
 * @example
 * ```ts
 * const settled = await reconcileVanished(journal, 'support', seenKeysOfFirstPass, Date.now());
 * ```
 */
export async function reconcileVanished(
  journal: Journal,
  mailboxId: string,
  seenKeys: ReadonlySet<string>,
  at: number,
): Promise<string[]> {
  const events: JournalEvent[] = [];
  const settled: string[] = [];
  for (const record of journal.messages.pending(mailboxId)) {
    if (seenKeys.has(record.key)) continue;
    const base = { mailboxId, key: record.key, messageId: record.messageId, at };
    const step = record.inFlight;
    const identity = { mailboxId, key: record.key, messageId: record.messageId };
    if (step?.step === 'action' && REMOVING.has(step.kind)) {
      // The move/delete was sent; the process died before its outcome was journaled.
      events.push(
        {
          type: 'action.done',
          ...base,
          rule: step.rule,
          index: step.index,
          kind: step.kind,
          reconciled: true,
        } as JournalEvent,
        { type: 'message.handled', ...base },
      );
    } else if (
      step === null &&
      journal.messages.settledActions(identity).some((action) => action.outcome === 'done' && REMOVING.has(action.kind))
    ) {
      // The move/delete is journaled as done but not the end of the handling (journals written before the two were
      // appended together).
      events.push({ type: 'message.handled', ...base });
    } else {
      continue;
    }
    settled.push(record.key);
  }
  if (events.length > 0) await journal.append(events);
  return settled;
}
