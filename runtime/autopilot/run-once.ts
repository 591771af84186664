/**
 * `runOnce()` for one mailbox: one connection, the first pass over what is there, a clean close — and the counts
 * of what the run did, for the closing summary of `run --once` (issue 13 point 2).
 *
 * @module
 */
import type { Logger } from '../../adapters/contract.js';
import type { StoredEvent } from '../journal/events.js';
import type { Journal } from '../journal/journal.js';
import { examinedKey } from '../journal/mailbox-projection.js';
import type { WiredMailbox } from './mailbox-wiring.js';
import type { OnceCounts, OnceResult } from './types.js';

/**
 * Counts, per mailbox, what the journal records during a run: call `stop()` at its end.
 *
 * @example
 * ```ts
 * const counting = countOnce(journal, ['support']);
 * // … run …
 * counting.stop(); counting.of('support'); // { handled: 3, unmatched: 10, skipped: 0, deadLettered: 0 }
 * ```
 */
export function countOnce(journal: Journal, mailboxIds: readonly string[]) {
  const counts = new Map(mailboxIds.map((id) => [id, { handled: 0, unmatched: 0, skipped: 0, deadLettered: 0 }]));
  // What earlier runs examined already: a full pass reports that range again, but this run did not examine it anew.
  const before = new Map(mailboxIds.map((id) => [id, { ...journal.mailboxes.get(id)?.examinedThrough }]));
  const count = (event: StoredEvent) => {
    const c = counts.get(event.mailboxId);
    if (c === undefined) return;
    if (event.type === 'message.handled') c.handled++;
    else if (event.type === 'message.unmatched') c.unmatched++;
    else if (event.type === 'mailbox.examined') {
      const earlier = before.get(event.mailboxId)?.[examinedKey(event.folder, event.uidValidity)] ?? 0;
      if (event.fromUid > earlier) c.unmatched += event.candidates - event.hits;
    } else if (event.type === 'action.skipped') c.skipped++;
    else if (event.type === 'message.deadLettered') c.deadLettered++;
  };
  const unsubscribe = journal.subscribe((batch) => batch.forEach(count));
  return {
    stop: unsubscribe,
    of: (id: string): OnceCounts => ({
      ...(counts.get(id) ?? { handled: 0, unmatched: 0, skipped: 0, deadLettered: 0 }),
    }),
  };
}

/**
 * Connects the wired mailbox once, lets its first pass finish (messages in hand included), and closes.
 *
 * @example
 * ```ts
 * const result = await runMailboxOnce('support', wireMailbox(mailbox, shared), journal, logger, now);
 * ```
 */
export async function runMailboxOnce(
  mailboxId: string,
  wired: WiredMailbox,
  journal: Journal,
  logger: Logger,
  now: () => number,
): Promise<Omit<OnceResult, 'counts'>> {
  const { runner, service } = wired;
  const abort = new AbortController();
  try {
    const session = await service.connect(abort.signal);
    await journal.append([{ type: 'mailbox.connected', mailboxId, at: now(), attempt: 1 }]);
    const sink = runner.sinkFor(session);
    // The first pass is over: let the messages in hand finish (they need the session), then end the watch.
    const caughtUp = () => {
      sink.caughtUp?.();
      void sink.drain?.().finally(() => abort.abort());
    };
    const watching = session.watch({ ...sink, caughtUp }, abort.signal);
    await watching.finally(() => session.close());
    await sink.drain?.();
    const broken = runner.journalFailure;
    return { mailboxId, connected: true, ...(broken ? { error: broken } : {}) };
  } catch (error) {
    const info = error as { code?: string; message?: string; retryable?: boolean };
    const code = info.code ?? 'CONNECT_FAILED';
    const message = info.message ?? String(error);
    await journal.append([
      {
        type: 'mailbox.stopped',
        mailboxId,
        at: now(),
        reason: 'requested',
        error: { code, message, retryable: info.retryable },
      },
    ]);
    logger.error({ mailboxId, code, error: info.message }, 'mailbox could not connect');
    return { mailboxId, connected: false, error: { code, message } };
  }
}
