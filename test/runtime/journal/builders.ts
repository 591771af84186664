/**
 * Builders for journal events in tests: one message's events with its identity filled in, and a clock that only
 * moves when told.
 */
import type { ActionKind, JournalEvent } from '../../../runtime/journal/events.js';

/** A fake clock for event times: `tick()` advances by 1 s and returns the new time. */
export function testClock(start = 1_700_000_000_000): { now(): number; tick(ms?: number): number } {
  let t = start;
  return { now: () => t, tick: (ms = 1_000) => (t += ms) };
}

/** Events about one message (identity fixed), timed by `at()`. */
export function messageEvents(
  key: string,
  options: { mailboxId?: string; messageId?: string | null; at?: () => number } = {},
) {
  const mailboxId = options.mailboxId ?? 'support';
  const messageId = options.messageId === undefined ? `<${key}@example.test>` : options.messageId;
  const at = options.at ?? (() => 1_700_000_000_000);
  const base = () => ({ mailboxId, key, messageId, at: at() });
  return {
    discovered: (subject = `Subject of ${key}`): JournalEvent => ({
      type: 'message.discovered',
      ...base(),
      subject,
      from: 'ada@example.test',
    }),
    matched: (...rules: string[]): JournalEvent => ({ type: 'message.matched', ...base(), rules }),
    unmatched: (): JournalEvent => ({ type: 'message.unmatched', ...base() }),
    handlerStarted: (rule: string, attempt: number): JournalEvent => ({
      type: 'handler.started',
      ...base(),
      rule,
      attempt,
    }),
    handlerSucceeded: (rule: string, attempt: number): JournalEvent => ({
      type: 'handler.succeeded',
      ...base(),
      rule,
      attempt,
    }),
    handlerFailed: (rule: string, attempt: number, reason = 'exit code 1'): JournalEvent => ({
      type: 'handler.failed',
      ...base(),
      rule,
      attempt,
      code: 'HANDLER_EXIT',
      reason,
      retryable: true,
    }),
    actionStarted: (rule: string, index: number, kind: ActionKind): JournalEvent => ({
      type: 'action.started',
      ...base(),
      rule,
      index,
      kind,
    }),
    actionDone: (
      rule: string,
      index: number,
      kind: ActionKind,
      extra: { sentMessageId?: string; recipients?: string[] } = {},
    ): JournalEvent => ({
      type: 'action.done',
      ...base(),
      rule,
      index,
      kind,
      ...extra,
    }),
    actionSkipped: (rule: string, index: number, kind: ActionKind): JournalEvent => ({
      type: 'action.skipped',
      ...base(),
      rule,
      index,
      kind,
      code: 'AUTO_SUBMITTED',
      reason: 'the message is automatic',
    }),
    actionFailed: (rule: string, index: number, kind: ActionKind): JournalEvent => ({
      type: 'action.failed',
      ...base(),
      rule,
      index,
      kind,
      code: 'SMTP_REJECTED',
      reason: '550 no such user',
      retryable: true,
    }),
    handled: (): JournalEvent => ({ type: 'message.handled', ...base() }),
    deadLettered: (reason = 'handler failed 3 times'): JournalEvent => ({
      type: 'message.deadLettered',
      ...base(),
      reason,
      code: 'HANDLER_EXIT',
    }),
    retryRequested: (): JournalEvent => ({ type: 'message.retryRequested', ...base(), by: 'cli' }),
    interrupted: (): JournalEvent => ({ type: 'message.interrupted', ...base(), reason: 'stop deadline passed' }),
    reidentifiedAs: (newKey: string): JournalEvent => ({
      type: 'message.reidentified',
      mailboxId,
      key: newKey,
      messageId,
      at: at(),
      previousKey: key,
    }),
  };
}
