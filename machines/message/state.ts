/**
 * A message's state on its path (ARCHITECTURE.md: discovered → matched → handler → actions → handled, or
 * dead-lettered), as the pure core folds it from the journal's message events. Plain immutable data: `evolve`
 * returns a new state for every event and never changes the one it got.
 *
 * @module
 */
import type { ActionKind } from './events.js';

/**
 * Where a message is on its path.
 *
 * - `discovered`, `matched`: seen, rules not yet (or just) decided.
 * - `inProgress`: a handler or action started (and possibly finished; more steps follow).
 * - `failed`: the last handler or action failed; the runtime retries it while the failure budget lasts.
 * - `interrupted`: a stop cut a step off; retried on the next start.
 * - `retryRequested`: a person asked to retry a dead letter.
 * - Terminal (needs no more work): `handled`, `unmatched`, `deadLettered`.
 *
 * @example
 * ```ts
 * if (journal.messages.get('support', key)?.status === 'deadLettered') showInDeadLetterList(key);
 * ```
 */
export type MessageStatus =
  | 'discovered'
  | 'matched'
  | 'unmatched'
  | 'inProgress'
  | 'failed'
  | 'interrupted'
  | 'retryRequested'
  | 'handled'
  | 'deadLettered';

/**
 * Whether a status needs no more work.
 *
 * @example
 * ```ts
 * isTerminalStatus('unmatched'); // true: left as it is, not examined again
 * ```
 */
export function isTerminalStatus(status: MessageStatus): boolean {
  return status === 'handled' || status === 'unmatched' || status === 'deadLettered';
}

/**
 * The step a message was in when it was last seen running: a handler or a built-in action that started and has no
 * outcome yet.
 *
 * @example
 * ```ts
 * const step: InFlightStep = { step: 'action', rule: 'optin', index: 0, kind: 'reply', since: 1700000000000 };
 * ```
 */
export type InFlightStep =
  | { readonly step: 'handler'; readonly rule: string; readonly attempt: number; readonly since: number }
  | {
      readonly step: 'action';
      readonly rule: string;
      readonly index: number;
      readonly kind: ActionKind;
      readonly since: number;
    };

/**
 * The last failure of a handler or action.
 *
 * @example
 * ```ts
 * const f: MessageFailure = { step: 'handler', rule: 'bounces', code: 'HANDLER_EXIT', reason: 'exit code 3',
 *   retryable: true, at: 0 };
 * ```
 */
export interface MessageFailure {
  readonly step: 'handler' | 'action';
  readonly rule: string;
  readonly code: string;
  readonly reason: string;
  readonly retryable: boolean;
  readonly at: number;
}

/**
 * An action that needs no repeating: performed (`done`) or deliberately not performed (`skipped`).
 *
 * @example
 * ```ts
 * const a: SettledAction = { rule: 'optin', index: 0, kind: 'reply', outcome: 'done', sentMessageId: '<r@x>', at: 0 };
 * ```
 */
export interface SettledAction {
  readonly rule: string;
  readonly index: number;
  readonly kind: ActionKind;
  readonly outcome: 'done' | 'skipped';
  readonly sentMessageId: string | null;
  readonly at: number;
}

/**
 * Why and when a message was dead-lettered; `position` orders the dead-letter list.
 *
 * @example
 * ```ts
 * const d: DeadLetterInfo = { reason: 'handler failed 5 times: exit code 3', code: 'HANDLER_EXIT', at: 0, position: 9 };
 * ```
 */
export interface DeadLetterInfo {
  readonly reason: string;
  readonly code: string | null;
  readonly at: number;
  readonly position: number;
}

/**
 * Everything the journal says about one message: the fold of its events by {@link evolve}.
 *
 * @example
 * ```ts
 * const m = journal.messages.get('support', 'imap:INBOX:7:42');
 * console.log(m?.status, m?.failures, m?.lastFailure?.reason);
 * ```
 */
export interface MessageState {
  readonly mailboxId: string;
  /** The current service key (changes on `message.reidentified`). */
  readonly key: string;
  /** The key the message was first journaled under: the base of stable idempotency keys and Message-IDs. */
  readonly originalKey: string;
  readonly messageId: string | null;
  readonly status: MessageStatus;
  readonly subject: string | null;
  readonly from: string | null;
  /** Names of the matched rules, in order (empty until `message.matched`). */
  readonly rules: readonly string[];
  /** The highest handler attempt number started (0 when no handler ran). */
  readonly attempts: number;
  /** Handler attempts started per rule (a rule's handler has its own attempt counter). */
  readonly ruleAttempts: Readonly<Record<string, number>> | null;
  /** Handler and action failures since discovery or since the last retry request: the runtime's retry budget. */
  readonly failures: number;
  readonly lastFailure: MessageFailure | null;
  /** The step that started and has no outcome yet (also kept on `interrupted`), or `null`. */
  readonly inFlight: InFlightStep | null;
  readonly deadLetter: DeadLetterInfo | null;
  /** Settled actions in the order they settled; `null` until the first. */
  readonly actions: readonly SettledAction[] | null;
  /** Rules whose handler succeeded; `null` until the first. */
  readonly handlersDone: readonly string[] | null;
  readonly discoveredAt: number;
  readonly updatedAt: number;
  readonly handledAt: number | null;
  /** Position of the last event about this message. */
  readonly lastPosition: number;
}

/**
 * The state of a message the journal has never seen, as its first event creates it.
 *
 * @example
 * ```ts
 * const fresh = initialMessageState({ mailboxId: 'support', key: 'pop3:abc', messageId: null, at: 0, position: 1 });
 * ```
 */
export function initialMessageState(first: {
  readonly mailboxId: string;
  readonly key: string;
  readonly messageId: string | null;
  readonly at: number;
  readonly position: number;
}): MessageState {
  return {
    mailboxId: first.mailboxId,
    key: first.key,
    originalKey: first.key,
    messageId: first.messageId,
    status: 'discovered',
    subject: null,
    from: null,
    rules: [],
    attempts: 0,
    ruleAttempts: null,
    failures: 0,
    lastFailure: null,
    inFlight: null,
    deadLetter: null,
    actions: null,
    handlersDone: null,
    discoveredAt: first.at,
    updatedAt: first.at,
    handledAt: null,
    lastPosition: first.position,
  };
}

/**
 * Whether action `index` of `rule` is settled (done or skipped) in the state.
 *
 * @example
 * ```ts
 * if (!isActionSettled(state, 'optin', 0)) performReply();
 * ```
 */
export function isActionSettled(state: MessageState | undefined, rule: string, index: number): boolean {
  return state?.actions?.some((a) => a.index === index && a.rule === rule) ?? false;
}

/**
 * Whether the handler of `rule` succeeded (then it never runs again: its effect happened).
 *
 * @example
 * ```ts
 * if (!isHandlerDone(state, 'bounces')) runHandler();
 * ```
 */
export function isHandlerDone(state: MessageState | undefined, rule: string): boolean {
  return state?.handlersDone?.includes(rule) ?? false;
}
