/**
 * The events of the journal: every fact about a mailbox's connection and every step of a message's path
 * (ARCHITECTURE.md: "the journal is the truth"). Plain JSON-serialisable data, a discriminated union on `type`.
 *
 * Streams: every event belongs to the stream of its `mailboxId`; the store numbers events per stream (`version`)
 * and globally (`position`). Message events also carry the message's service key and Message-ID.
 *
 * Over 400 lines on purpose: this is the journal's whole vocabulary, one discriminated union whose members are
 * mostly TSDoc; a reader (and `evolve`'s exhaustive switch) needs every event type side by side.
 *
 * @example
 * ```ts
 * const events: JournalEvent[] = [
 *   { type: 'message.discovered', mailboxId: 'support', at: Date.now(), key: 'imap:INBOX:7:42', messageId: '<a@x>' },
 *   { type: 'message.matched', mailboxId: 'support', at: Date.now(), key: 'imap:INBOX:7:42', messageId: '<a@x>',
 *     rules: ['bounces'] },
 * ];
 * ```
 * @module
 */

/**
 * An error as the journal keeps it: a stable UPPER_SNAKE code and a message without secrets
 * (the shape of `MailServiceError.toJSON()` and of the machine's `MailboxErrorInfo`, minus its clock).
 *
 * @example
 * ```ts
 * const error: JournalErrorInfo = { code: 'AUTH_FAILED', message: 'login rejected', retryable: false };
 * ```
 */
export interface JournalErrorInfo {
  readonly code: string;
  readonly message: string;
  readonly retryable?: boolean;
}

/**
 * The built-in actions a rule can perform on a message (issue 4); the vocabulary of rules and of the message core. `stop` is not an action: it ends rule matching.
 *
 * @example
 * ```ts
 * const kind: ActionKind = 'moveTo';
 * ```
 */
export type ActionKind = 'reply' | 'forward' | 'send' | 'moveTo' | 'markRead' | 'flag' | 'delete';

/**
 * Every action kind, in a stable order (for validation and docs).
 *
 * @example
 * ```ts
 * ACTION_KINDS.includes('moveTo'); // true
 * ```
 */
export const ACTION_KINDS: readonly ActionKind[] = ['reply', 'forward', 'send', 'moveTo', 'markRead', 'flag', 'delete'];

/** Fields every event has. `at` is ms since the epoch by the runtime's clock. */
interface EventBase<T extends string> {
  readonly type: T;
  readonly mailboxId: string;
  readonly at: number;
}

/**
 * Fields every message event has: the service key (IMAP: UIDVALIDITY + UID; POP3: UIDL) and the Message-ID
 * (`null` when the message has none), as in `MessageIdentity` of adapters/contract.ts.
 */
interface MessageEventBase<T extends string> extends EventBase<T> {
  readonly key: string;
  readonly messageId: string | null;
}

// --- mailbox lifecycle (SPEC S8–S12) ---------------------------------------------------------------------------

/**
 * A connection attempt started (`attempt`: number in the current run of attempts, 1 = first).
 *
 * @example
 * ```ts
 * const e: MailboxAttemptEvent = { type: 'mailbox.attempt', mailboxId: 'support', at: 0, attempt: 1 };
 * ```
 */
export interface MailboxAttemptEvent extends EventBase<'mailbox.attempt'> {
  readonly attempt: number;
}
/**
 * The mailbox connected and is watching (state `polling`).
 *
 * @example
 * ```ts
 * const e: MailboxConnectedEvent = { type: 'mailbox.connected', mailboxId: 'support', at: 0, attempt: 1 };
 * ```
 */
export interface MailboxConnectedEvent extends EventBase<'mailbox.connected'> {
  readonly attempt?: number;
}
/**
 * An established connection was lost.
 *
 * @example
 * ```ts
 * const e: MailboxLostEvent = { type: 'mailbox.lost', mailboxId: 'support', at: 0, error: { code: 'CONNECTION_LOST', message: 'socket closed' } };
 * ```
 */
export interface MailboxLostEvent extends EventBase<'mailbox.lost'> {
  readonly error: JournalErrorInfo;
}
/**
 * Waiting per S8 before the next attempt; `error` is the failure that led here.
 *
 * @example
 * ```ts
 * const e: MailboxBackoffEvent = { type: 'mailbox.backoff', mailboxId: 'support', at: 0, attempt: 1, waitMs: 1000, nextAttemptAt: 1000, error: null };
 * ```
 */
export interface MailboxBackoffEvent extends EventBase<'mailbox.backoff'> {
  readonly attempt: number;
  readonly waitMs: number;
  readonly nextAttemptAt: number;
  readonly error: JournalErrorInfo | null;
}
/**
 * The mailbox stopped: S9 gave up (`gaveUp`) or the host asked (`requested`).
 *
 * @example
 * ```ts
 * const e: MailboxStoppedEvent = { type: 'mailbox.stopped', mailboxId: 'support', at: 0, reason: 'requested', error: null };
 * ```
 */
export interface MailboxStoppedEvent extends EventBase<'mailbox.stopped'> {
  readonly reason: 'gaveUp' | 'requested';
  readonly error: JournalErrorInfo | null;
}
/**
 * S11: trying every 60 minutes without limit.
 *
 * @example
 * ```ts
 * const e: MailboxUnlimitedRetryEvent = { type: 'mailbox.unlimitedRetry', mailboxId: 'support', at: 0, nextAttemptAt: 3600000, error: null };
 * ```
 */
export interface MailboxUnlimitedRetryEvent extends EventBase<'mailbox.unlimitedRetry'> {
  readonly nextAttemptAt: number;
  readonly error: JournalErrorInfo | null;
}

/**
 * Discovery asked the server (IMAP SEARCH with the rules' filter, issue 12) about a range of UIDs: `candidates`
 * messages were in it, `hits` were selected and journaled one by one; the other `candidates - hits` are messages no
 * rule can match, recorded by this one fact instead of one `message.unmatched` each.
 *
 * @example
 * ```ts
 * const e: MailboxExaminedEvent = { type: 'mailbox.examined', mailboxId: 'support', at: 0, folder: 'INBOX',
 *   uidValidity: '7', fromUid: 1, throughUid: 10000, candidates: 10000, hits: 1000 };
 * ```
 */
export interface MailboxExaminedEvent extends EventBase<'mailbox.examined'> {
  readonly folder: string;
  readonly uidValidity: string;
  readonly fromUid: number;
  readonly throughUid: number;
  readonly candidates: number;
  readonly hits: number;
}

/**
 * Handled messages the server no longer lists (issue 16; POP3: UIDLs gone from the maildrop, which never come back,
 * RFC 1939 forbids reusing one) are dropped from the mailbox's compact handled set, so it holds what is still on the
 * server rather than the history. Written only when some are gone.
 *
 * @example
 * ```ts
 * const e: MailboxForgottenEvent = { type: 'mailbox.forgotten', mailboxId: 'support', at: 0, keys: ['pop3:abc'] };
 * ```
 */
export interface MailboxForgottenEvent extends EventBase<'mailbox.forgotten'> {
  readonly keys: readonly string[];
}

/**
 * The watermark of a mailbox with `startAt: new` (issue 15 point 3), journaled once, at its first start: what was
 * there then is old and never examined. IMAP gives `folder`, `uidValidity` and `uidNext` (every UID below `uidNext`
 * under that UIDVALIDITY is old; under another UIDVALIDITY everything is new); POP3 and MAPI give the identity `keys`
 * present (POP3: UIDLs). `existing` counts the old messages.
 *
 * @example
 * ```ts
 * const e: MailboxBaselineEvent = { type: 'mailbox.baseline', mailboxId: 'support', at: 0, folder: 'INBOX',
 *   uidValidity: '7', uidNext: 6, keys: null, existing: 5 };
 * ```
 */
export interface MailboxBaselineEvent extends EventBase<'mailbox.baseline'> {
  readonly folder: string | null;
  readonly uidValidity: string | null;
  readonly uidNext: number | null;
  readonly keys: readonly string[] | null;
  readonly existing: number;
}

/**
 * What the first pass of a mailbox with an empty journal is about to do (issue 15 point 3): `examine` existing
 * messages, of which the rules would send mail (reply, forward, send after loop protection) for `wouldSend`;
 * `leftOut` existing messages `startAt: new` leaves out.
 *
 * @example
 * ```ts
 * const e: MailboxFirstPassEvent = { type: 'mailbox.firstPass', mailboxId: 'support', at: 0, startAt: 'all',
 *   examine: 20000, wouldSend: 312, leftOut: 0 };
 * ```
 */
export interface MailboxFirstPassEvent extends EventBase<'mailbox.firstPass'> {
  readonly startAt: string;
  readonly examine: number;
  readonly wouldSend: number;
  readonly leftOut: number;
}

// --- messages --------------------------------------------------------------------------------------------------

/**
 * A message was seen for the first time. `subject`/`from` are for people reading the dead-letter list.
 *
 * @example
 * ```ts
 * const e: MessageDiscoveredEvent = { type: 'message.discovered', mailboxId: 'support', at: 0, key: 'pop3:abc', messageId: null, subject: 'Hi', from: 'ada@example.test' };
 * ```
 */
export interface MessageDiscoveredEvent extends MessageEventBase<'message.discovered'> {
  readonly subject?: string;
  readonly from?: string;
}
/**
 * Rules matched, in the order they will run.
 *
 * @example
 * ```ts
 * const e: MessageMatchedEvent = { type: 'message.matched', mailboxId: 'support', at: 0, key: 'pop3:abc', messageId: null, rules: ['bounces'] };
 * ```
 */
export interface MessageMatchedEvent extends MessageEventBase<'message.matched'> {
  readonly rules: readonly string[];
}
/**
 * No rule matched: the message is left as it is and not examined again (terminal).
 *
 * @example
 * ```ts
 * const e: MessageUnmatchedEvent = { type: 'message.unmatched', mailboxId: 'support', at: 0, key: 'pop3:abc', messageId: null };
 * ```
 */
export interface MessageUnmatchedEvent extends MessageEventBase<'message.unmatched'> {}
/**
 * A rule's handler started; `attempt` counts from 1 over the message's life.
 *
 * @example
 * ```ts
 * const e: HandlerStartedEvent = { type: 'handler.started', mailboxId: 'support', at: 0, key: 'pop3:abc', messageId: null, rule: 'bounces', attempt: 1 };
 * ```
 */
export interface HandlerStartedEvent extends MessageEventBase<'handler.started'> {
  readonly rule: string;
  readonly attempt: number;
}
/**
 * A handler finished with exit code 0 (or the host function resolved).
 *
 * @example
 * ```ts
 * const e: HandlerSucceededEvent = { type: 'handler.succeeded', mailboxId: 'support', at: 0, key: 'pop3:abc', messageId: null, rule: 'bounces', attempt: 1 };
 * ```
 */
export interface HandlerSucceededEvent extends MessageEventBase<'handler.succeeded'> {
  readonly rule: string;
  readonly attempt: number;
}
/**
 * A handler failed; `code` is UPPER_SNAKE (`HANDLER_EXIT`, `HANDLER_TIMEOUT`, …).
 *
 * @example
 * ```ts
 * const e: HandlerFailedEvent = { type: 'handler.failed', mailboxId: 'support', at: 0, key: 'pop3:abc', messageId: null, rule: 'bounces', attempt: 1, code: 'HANDLER_EXIT',
 *   reason: 'exit code 3', retryable: true };
 * ```
 */
export interface HandlerFailedEvent extends MessageEventBase<'handler.failed'> {
  readonly rule: string;
  readonly attempt: number;
  readonly code: string;
  readonly reason: string;
  readonly retryable: boolean;
}
/**
 * A built-in action is about to be performed: `index` is its place in the rule's action list.
 *
 * @example
 * ```ts
 * const e: ActionStartedEvent = { type: 'action.started', mailboxId: 'support', at: 0, key: 'pop3:abc', messageId: null, rule: 'optin', index: 0, kind: 'reply' };
 * ```
 */
export interface ActionStartedEvent extends MessageEventBase<'action.started'> {
  readonly rule: string;
  readonly index: number;
  readonly kind: ActionKind;
}
/**
 * A built-in action was performed. For mail sent (reply/forward/send): the sent Message-ID and the recipients
 * (the per-correspondent limit counts these).
 *
 * @example
 * ```ts
 * const e: ActionDoneEvent = { type: 'action.done', mailboxId: 'support', at: 0, key: 'pop3:abc', messageId: null, rule: 'optin', index: 0, kind: 'reply',
 *   sentMessageId: '<r1@example.test>', recipients: ['ada@example.test'] };
 * ```
 */
export interface ActionDoneEvent extends MessageEventBase<'action.done'> {
  readonly rule: string;
  readonly index: number;
  readonly kind: ActionKind;
  readonly sentMessageId?: string | null;
  readonly recipients?: readonly string[];
  /** Settled after a crash from what the server shows (the sent mail found in Sent), not performed again. */
  readonly recovered?: boolean;
  /** Settled after a crash because the message left the folder (the move/delete took effect). */
  readonly reconciled?: boolean;
}
/**
 * An action was deliberately not performed (e.g. loop protection refused a reply); it counts as settled.
 *
 * @example
 * ```ts
 * const e: ActionSkippedEvent = { type: 'action.skipped', mailboxId: 'support', at: 0, key: 'pop3:abc', messageId: null, rule: 'optin', index: 0, kind: 'reply',
 *   code: 'AUTO_SUBMITTED', reason: 'the message is automatic' };
 * ```
 */
export interface ActionSkippedEvent extends MessageEventBase<'action.skipped'> {
  readonly rule: string;
  readonly index: number;
  readonly kind: ActionKind;
  readonly code: string;
  readonly reason: string;
}
/**
 * An action failed (SMTP refused, folder missing, …).
 *
 * @example
 * ```ts
 * const e: ActionFailedEvent = { type: 'action.failed', mailboxId: 'support', at: 0, key: 'pop3:abc', messageId: null, rule: 'optin', index: 1, kind: 'moveTo',
 *   code: 'FOLDER_NOT_FOUND', reason: 'no folder Processed', retryable: false };
 * ```
 */
export interface ActionFailedEvent extends MessageEventBase<'action.failed'> {
  readonly rule: string;
  readonly index: number;
  readonly kind: ActionKind;
  readonly code: string;
  readonly reason: string;
  readonly retryable: boolean;
}
/**
 * The handler and every action of every matched rule succeeded (terminal).
 *
 * @example
 * ```ts
 * const e: MessageHandledEvent = { type: 'message.handled', mailboxId: 'support', at: 0, key: 'pop3:abc', messageId: null };
 * ```
 */
export interface MessageHandledEvent extends MessageEventBase<'message.handled'> {}
/**
 * Retries are exhausted (or retrying cannot help): kept on the server, listed, retryable by the user (terminal).
 *
 * @example
 * ```ts
 * const e: MessageDeadLetteredEvent = { type: 'message.deadLettered', mailboxId: 'support', at: 0, key: 'pop3:abc', messageId: null, reason: 'handler failed 5 times', code: 'HANDLER_EXIT' };
 * ```
 */
export interface MessageDeadLetteredEvent extends MessageEventBase<'message.deadLettered'> {
  readonly reason: string;
  readonly code?: string;
}
/**
 * A person asked to retry a dead letter: the message needs work again, with a fresh failure budget.
 *
 * @example
 * ```ts
 * const e: MessageRetryRequestedEvent = { type: 'message.retryRequested', mailboxId: 'support', at: 0, key: 'pop3:abc', messageId: null, by: 'cli' };
 * ```
 */
export interface MessageRetryRequestedEvent extends MessageEventBase<'message.retryRequested'> {
  readonly by?: string;
}
/**
 * The service key changed (IMAP UIDVALIDITY): `key` is the new key, `previousKey` the old one.
 *
 * @example
 * ```ts
 * const e: MessageReidentifiedEvent = { type: 'message.reidentified', mailboxId: 'support', at: 0, key: 'imap:INBOX:8:3',
 *   messageId: '<a@x>', previousKey: 'imap:INBOX:7:42' };
 * ```
 */
export interface MessageReidentifiedEvent extends MessageEventBase<'message.reidentified'> {
  readonly previousKey: string;
}
/**
 * A step in flight was cut off by a stop; the message is retried on the next start.
 *
 * @example
 * ```ts
 * const e: MessageInterruptedEvent = { type: 'message.interrupted', mailboxId: 'support', at: 0, key: 'pop3:abc', messageId: null, reason: 'stop deadline passed' };
 * ```
 */
export interface MessageInterruptedEvent extends MessageEventBase<'message.interrupted'> {
  readonly reason?: string;
}

/**
 * Events about a mailbox's connection.
 *
 * @example
 * ```ts
 * const e: MailboxLifecycleEvent = { type: 'mailbox.attempt', mailboxId: 'support', at: 0, attempt: 1 };
 * ```
 */
export type MailboxLifecycleEvent =
  | MailboxExaminedEvent
  | MailboxForgottenEvent
  | MailboxBaselineEvent
  | MailboxFirstPassEvent
  | MailboxAttemptEvent
  | MailboxConnectedEvent
  | MailboxLostEvent
  | MailboxBackoffEvent
  | MailboxStoppedEvent
  | MailboxUnlimitedRetryEvent;

/**
 * Events about one message (each has `key` and `messageId`).
 *
 * @example
 * ```ts
 * const e: MessageEvent = { type: 'message.handled', mailboxId: 'support', at: 0, key: 'pop3:abc', messageId: null };
 * ```
 */
export type MessageEvent =
  | MessageDiscoveredEvent
  | MessageMatchedEvent
  | MessageUnmatchedEvent
  | HandlerStartedEvent
  | HandlerSucceededEvent
  | HandlerFailedEvent
  | ActionStartedEvent
  | ActionDoneEvent
  | ActionSkippedEvent
  | ActionFailedEvent
  | MessageHandledEvent
  | MessageDeadLetteredEvent
  | MessageRetryRequestedEvent
  | MessageReidentifiedEvent
  | MessageInterruptedEvent;

/**
 * Any journal event.
 *
 * @example
 * ```ts
 * function describe(e: JournalEvent): string {
 *   return e.type === 'handler.failed' ? `${e.key}: ${e.reason}` : e.type;
 * }
 * ```
 */
export type JournalEvent = MailboxLifecycleEvent | MessageEvent;

/**
 * An event as stored: with its global `position` (1, 2, 3, … in append order) and its `version` in its mailbox's
 * stream (1, 2, 3, … per mailbox). Narrowing on `type` still works (the intersection distributes over the union).
 *
 * @example
 * ```ts
 * for (const e of await store.read({ mailboxId: 'support' })) console.log(e.position, e.version, e.type);
 * ```
 */
export type StoredEvent<E extends JournalEvent = JournalEvent> = E & {
  readonly position: number;
  readonly version: number;
};

/**
 * The `type` of every event, for validation.
 *
 * @example
 * ```ts
 * JOURNAL_EVENT_TYPES.has('message.handled'); // true
 * ```
 */
export const JOURNAL_EVENT_TYPES: ReadonlySet<JournalEvent['type']> = new Set<JournalEvent['type']>([
  'mailbox.examined',
  'mailbox.forgotten',
  'mailbox.baseline',
  'mailbox.firstPass',
  'mailbox.attempt',
  'mailbox.connected',
  'mailbox.lost',
  'mailbox.backoff',
  'mailbox.stopped',
  'mailbox.unlimitedRetry',
  'message.discovered',
  'message.matched',
  'message.unmatched',
  'handler.started',
  'handler.succeeded',
  'handler.failed',
  'action.started',
  'action.done',
  'action.skipped',
  'action.failed',
  'message.handled',
  'message.deadLettered',
  'message.retryRequested',
  'message.reidentified',
  'message.interrupted',
]);

/**
 * Whether an event is about a message (then it has `key` and `messageId`).
 *
 * @example
 * ```ts
 * if (isMessageEvent(e)) handledKeys.add(e.key);
 * ```
 */
export function isMessageEvent<E extends JournalEvent>(event: E): event is Extract<E, MessageEvent> {
  return !event.type.startsWith('mailbox.');
}

/**
 * Checks the shape every store relies on (type known, mailbox id, time, and a key for message events) and throws
 * a `TypeError` naming the problem. Stores call it before writing anything, so a bad batch is rejected whole.
 *
 * @example
 * ```ts
 * assertJournalEvent({ type: 'message.handled', mailboxId: 'support', at: 1, key: 'k', messageId: null }, 0);
 * ```
 */
export function assertJournalEvent(event: unknown, index: number): asserts event is JournalEvent {
  const e = event as Partial<Record<string, unknown>> | null;
  const where = `journal event #${index}`;
  if (typeof e !== 'object' || e === null) throw new TypeError(`${where} is not an object`);
  if (typeof e.type !== 'string' || !JOURNAL_EVENT_TYPES.has(e.type as JournalEvent['type'])) {
    throw new TypeError(`${where} has an unknown type ${JSON.stringify(e.type)}`);
  }
  if (typeof e.mailboxId !== 'string' || e.mailboxId.length === 0) {
    throw new TypeError(`${where} (${e.type}) needs a non-empty mailboxId`);
  }
  if (typeof e.at !== 'number' || !Number.isFinite(e.at)) {
    throw new TypeError(`${where} (${e.type}) needs a finite time 'at' in ms`);
  }
  if (e.type === 'mailbox.forgotten' && !(Array.isArray(e.keys) && e.keys.every((k) => typeof k === 'string'))) {
    throw new TypeError(`${where} (${e.type}) needs keys as a list of strings`);
  }
  if (!e.type.startsWith('mailbox.')) {
    if (typeof e.key !== 'string' || e.key.length === 0) {
      throw new TypeError(`${where} (${e.type}) needs a non-empty message key`);
    }
    if (e.messageId !== null && typeof e.messageId !== 'string') {
      throw new TypeError(`${where} (${e.type}) needs messageId as a string or null`);
    }
  }
}
