/**
 * The latest journal events of each mailbox, as the status page shows them. Every event is reduced to a fixed set
 * of fields before it leaves the process: from the mail itself only the subject and the sender of a discovered
 * message, never a body, a header, a Message-ID or free text a handler wrote (handler and action failures show
 * their code; their reasons stay in the journal, `mail-autopilot events` shows them).
 *
 * @module
 */
import type { StoredEvent } from '../journal/events.js';

/**
 * One event as the page shows it.
 *
 * @example
 * ```ts
 * const e: RecentEvent = { position: 7, at: 1_700_000_000_000, type: 'message.discovered', key: 'imap:INBOX:1:7',
 *   subject: 'Newsletter confirmation', from: 'ada@example.test', text: 'discovered' };
 * ```
 */
export interface RecentEvent {
  readonly position: number;
  readonly at: number;
  readonly type: string;
  /** The message's service key (message events only). */
  readonly key?: string;
  /** The subject of the message, from its `message.discovered` event. */
  readonly subject?: string;
  /** The sender of the message, from its `message.discovered` event. */
  readonly from?: string;
  /** What happened, in a few words (rule names, error codes, waits). */
  readonly text: string;
}

const MAX_SUBJECT = 200;

function clip(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

function describe(event: StoredEvent): string {
  switch (event.type) {
    case 'mailbox.attempt':
      return `connection attempt ${event.attempt}`;
    case 'mailbox.connected':
      return 'connected';
    case 'mailbox.lost':
      return `connection lost: ${event.error.code}`;
    case 'mailbox.backoff':
      return `waiting ${Math.round(event.waitMs / 1000)} s before the next attempt${event.error ? `: ${event.error.code}` : ''}`;
    case 'mailbox.stopped':
      return `stopped (${event.reason === 'gaveUp' ? 'gave up' : 'requested'})${event.error ? `: ${event.error.code}` : ''}`;
    case 'mailbox.unlimitedRetry':
      return `retrying every 60 minutes${event.error ? `: ${event.error.code}` : ''}`;
    case 'mailbox.forgotten':
      return `forgot ${event.keys.length} handled messages no longer on the server`;
    case 'message.discovered':
      return 'discovered';
    case 'message.matched':
      return `matched ${event.rules.join(', ')}`;
    case 'message.unmatched':
      return 'no rule matched';
    case 'handler.started':
      return `handler of ${event.rule} started (attempt ${event.attempt})`;
    case 'handler.succeeded':
      return `handler of ${event.rule} succeeded`;
    case 'handler.failed':
      return `handler of ${event.rule} failed: ${event.code}`;
    case 'action.started':
      return `${event.kind} started`;
    case 'action.done':
      return `${event.kind} done`;
    case 'action.skipped':
      return `${event.kind} skipped: ${event.code}`;
    case 'action.failed':
      return `${event.kind} failed: ${event.code}`;
    case 'message.handled':
      return 'handled';
    case 'message.deadLettered':
      return `dead-lettered${event.code ? `: ${event.code}` : ''}`;
    case 'message.retryRequested':
      return 'retry requested';
    case 'message.reidentified':
      return 're-identified (new service key)';
    case 'message.interrupted':
      return 'interrupted by a stop';
    default:
      return (event as { type: string }).type;
  }
}

/**
 * Reduces a journal event to what the page may show (see the module's comment). `subjects` gives the subject and
 * sender of messages discovered earlier, so later events of the same message can name it.
 *
 * @example
 * ```ts
 * summarizeEvent({ type: 'handler.failed', mailboxId: 'support', at: 0, key: 'k', messageId: null, rule: 'bounces',
 *   attempt: 1, code: 'HANDLER_EXIT', reason: 'exit code 3', retryable: true, position: 9, version: 4 }).text;
 * // 'handler of bounces failed: HANDLER_EXIT'
 * ```
 */
export function summarizeEvent(
  event: StoredEvent,
  subjects?: ReadonlyMap<string, { subject?: string; from?: string }>,
): RecentEvent {
  const base = { position: event.position, at: event.at, type: event.type, text: describe(event) };
  if (!('key' in event)) return base;
  const known =
    event.type === 'message.discovered'
      ? { subject: event.subject, from: event.from }
      : subjects?.get(subjectKey(event.mailboxId, event.key));
  return {
    ...base,
    key: event.key,
    ...(known?.subject !== undefined ? { subject: clip(known.subject, MAX_SUBJECT) } : {}),
    ...(known?.from !== undefined ? { from: clip(known.from, MAX_SUBJECT) } : {}),
  };
}

function subjectKey(mailboxId: string, key: string): string {
  return `${mailboxId}\u0000${key}`;
}

/** Subjects remembered for naming later events of a message. */
const MAX_SUBJECTS = 2_000;

/**
 * The last `perMailbox` events of every mailbox, in journal order. Events may arrive out of order and twice (the
 * journal's live stream and a read of its tail race at start); they are placed by position and kept once.
 *
 * @example
 * ```ts
 * const recent = new RecentEvents(20);
 * autopilot.events$.subscribe((event) => recent.add(event));
 * recent.list('support'); // newest last
 * ```
 */
export class RecentEvents {
  readonly perMailbox: number;
  readonly #byMailbox = new Map<string, RecentEvent[]>();
  readonly #subjects = new Map<string, { subject?: string; from?: string }>();

  constructor(perMailbox = 20) {
    this.perMailbox = perMailbox;
  }

  /** Takes an event in; returns whether it changed the list of its mailbox. */
  add(event: StoredEvent): boolean {
    if (event.type === 'message.discovered' && (event.subject !== undefined || event.from !== undefined)) {
      const id = subjectKey(event.mailboxId, event.key);
      this.#subjects.delete(id);
      this.#subjects.set(id, { subject: event.subject, from: event.from });
      if (this.#subjects.size > MAX_SUBJECTS) this.#subjects.delete(this.#subjects.keys().next().value!);
    }
    let list = this.#byMailbox.get(event.mailboxId);
    if (!list) {
      list = [];
      this.#byMailbox.set(event.mailboxId, list);
    }
    let index = list.length;
    while (index > 0 && list[index - 1]!.position >= event.position) {
      if (list[index - 1]!.position === event.position) return false;
      index--;
    }
    if (index === 0 && list.length >= this.perMailbox) return false; // older than everything kept
    list.splice(index, 0, summarizeEvent(event, this.#subjects));
    if (list.length > this.perMailbox) list.splice(0, list.length - this.perMailbox);
    return true;
  }

  /** The kept events of a mailbox, oldest first. */
  list(mailboxId: string): readonly RecentEvent[] {
    const list = this.#byMailbox.get(mailboxId) ?? [];
    // A message's discovery may arrive after its later events (the journal's tail is read after the live stream
    // started), so subjects are looked up again here.
    return list.map((event) => {
      if (event.key === undefined || event.subject !== undefined || event.from !== undefined) return event;
      const known = this.#subjects.get(subjectKey(mailboxId, event.key));
      if (!known) return event;
      return {
        ...event,
        ...(known.subject !== undefined ? { subject: clip(known.subject, MAX_SUBJECT) } : {}),
        ...(known.from !== undefined ? { from: clip(known.from, MAX_SUBJECT) } : {}),
      };
    });
  }
}
