/**
 * Turns a mailbox actor's state changes into journal events (pure): what the journal records of the connection
 * lifecycle (attempts, connected, lost, backoff, stopped, unlimitedRetry, with error codes).
 *
 * @module
 */
import type { MailboxContext, MailboxErrorInfo } from '../machines/mailbox.types.js';
import type { JournalErrorInfo, MailboxLifecycleEvent } from './journal/events.js';

/**
 * The part of a mailbox actor snapshot the lifecycle events are derived from.
 *
 * @example
 * ```ts
 * const view: LifecycleView = { value: 'backoff', context: actor.getSnapshot().context };
 * ```
 */
export interface LifecycleView {
  readonly value: string;
  readonly context: MailboxContext;
}

function errorInfo(error: MailboxErrorInfo | null): JournalErrorInfo | null {
  return error === null ? null : { code: error.code, message: error.message, retryable: error.retryable };
}

/**
 * The lifecycle events for one step of a mailbox actor, from `previous` (undefined before the first snapshot) to
 * `next`, stamped `at`. Re-entries count: each new attempt is a `mailbox.attempt` even when the state value stays.
 *
 * @example
 * ```ts
 * const events = lifecycleEvents(previous, { value: 'polling', context }, Date.now());
 * // [{ type: 'mailbox.connected', mailboxId: 'support', at, attempt: 1 }]
 * ```
 */
export function lifecycleEvents(
  previous: LifecycleView | undefined,
  next: LifecycleView,
  at: number,
): MailboxLifecycleEvent[] {
  const { context } = next;
  const mailboxId = context.mailboxId;
  const attemptStarted = context.totalAttempts !== (previous?.context.totalAttempts ?? 0);
  const changed = previous === undefined || previous.value !== next.value || attemptStarted;
  if (!changed) return [];
  const events: MailboxLifecycleEvent[] = [];
  switch (next.value) {
    case 'connecting':
      events.push({ type: 'mailbox.attempt', mailboxId, at, attempt: context.attempt });
      break;
    case 'polling':
      events.push({ type: 'mailbox.connected', mailboxId, at, attempt: previous?.context.attempt });
      break;
    case 'backoff': {
      if (previous?.value === 'polling') {
        events.push({
          type: 'mailbox.lost',
          mailboxId,
          at,
          error: errorInfo(context.lastError) ?? { code: 'CONNECTION_LOST', message: 'connection lost' },
        });
      }
      const nextAttemptAt = context.nextAttemptAt ?? at;
      events.push({
        type: 'mailbox.backoff',
        mailboxId,
        at,
        attempt: context.attempt,
        waitMs: Math.max(0, nextAttemptAt - at),
        nextAttemptAt,
        error: errorInfo(context.lastError),
      });
      break;
    }
    case 'unlimitedRetry':
      events.push({
        type: 'mailbox.unlimitedRetry',
        mailboxId,
        at,
        nextAttemptAt: context.nextAttemptAt ?? at,
        error: errorInfo(context.lastError),
      });
      break;
    case 'stopped':
      events.push({
        type: 'mailbox.stopped',
        mailboxId,
        at,
        reason: context.stopReason ?? 'requested',
        error: errorInfo(context.lastError),
      });
      break;
  }
  return events;
}
