/**
 * What happened to every message, folded from the journal: its status, failures, the actions already done, the
 * handled set (by key and by Message-ID), the dead-letter list and what was in flight when the process stopped.
 * The handled set is what SPEC S6 needs: POP3 examines every message each cycle, and the journal remembers (by UIDL,
 * the key) which ones need no more work.
 *
 * @module
 */
import type { HandledLookup, MessageIdentity } from '../../adapters/contract.js';
import type { ActionKind, MessageEvent, MessageReidentifiedEvent, StoredEvent } from './events.js';
import type { Projection } from './projection.js';

/**
 * Where a message is on its path (ARCHITECTURE.md "One message's path").
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
 * Everything the journal says about one message. The object is live (updated in place by later events); copy what
 * you need to keep.
 *
 * @example
 * ```ts
 * const m = journal.messages.get('support', 'imap:INBOX:7:42');
 * console.log(m?.status, m?.failures, m?.lastFailure?.reason);
 * ```
 */
export interface MessageRecord {
  readonly mailboxId: string;
  /** The current service key (changes on `message.reidentified`). */
  readonly key: string;
  /** The key the message was first journaled under: the base of stable idempotency keys. */
  readonly originalKey: string;
  readonly messageId: string | null;
  readonly status: MessageStatus;
  readonly subject: string | null;
  readonly from: string | null;
  /** Names of the matched rules, in order (empty until `message.matched`). */
  readonly rules: readonly string[];
  /** The highest handler attempt number started (0 when no handler ran). */
  readonly attempts: number;
  /** Handler and action failures since discovery or since the last retry request: the runtime's retry budget. */
  readonly failures: number;
  readonly lastFailure: MessageFailure | null;
  /** The step that started and has no outcome yet (also kept on `interrupted`), or `null`. */
  readonly inFlight: InFlightStep | null;
  readonly deadLetter: DeadLetterInfo | null;
  readonly discoveredAt: number;
  readonly updatedAt: number;
  readonly handledAt: number | null;
  /** Position of the last event about this message. */
  readonly lastPosition: number;
}

class Rec implements MessageRecord {
  status: MessageStatus = 'discovered';
  subject: string | null = null;
  from: string | null = null;
  rules: readonly string[] = [];
  attempts = 0;
  failures = 0;
  lastFailure: MessageFailure | null = null;
  inFlight: InFlightStep | null = null;
  deadLetter: DeadLetterInfo | null = null;
  handledAt: number | null = null;
  updatedAt: number;
  lastPosition: number;
  /**
   * Settled actions, allocated on the first one. An array, not a Map: a message has a handful of actions, and a
   * rebuild holds hundreds of thousands of records, where a Map per record costs more memory than the rest of it.
   */
  actions: SettledAction[] | null = null;
  /** Rules whose handler succeeded; allocated on the first success only (an array for the same reason). */
  handlersDone: string[] | null = null;
  readonly originalKey: string;

  constructor(
    readonly mailboxId: string,
    public key: string,
    public messageId: string | null,
    readonly discoveredAt: number,
    position: number,
  ) {
    this.originalKey = key;
    this.updatedAt = discoveredAt;
    this.lastPosition = position;
  }
}

/** One mailbox's records and indexes. */
class Book {
  readonly byKey = new Map<string, Rec>();
  /** A single record, or several when messages share a Message-ID (duplicates happen: resent newsletters). */
  readonly byMessageId = new Map<string, Rec | Rec[]>();
  /** Insertion order = the order they were dead-lettered. */
  readonly deadLetters = new Set<Rec>();
  readonly inFlight = new Set<Rec>();
  /** Records that are not terminal. */
  readonly pending = new Set<Rec>();
}

function findAction(rec: Rec, rule: string, index: number): number {
  const actions = rec.actions;
  if (actions === null) return -1;
  for (let i = 0; i < actions.length; i++) if (actions[i]!.index === index && actions[i]!.rule === rule) return i;
  return -1;
}

function settleAction(rec: Rec, action: SettledAction): void {
  if (rec.actions === null) {
    rec.actions = [action];
    return;
  }
  const i = findAction(rec, action.rule, action.index);
  if (i === -1) rec.actions.push(action);
  else rec.actions[i] = action;
}

/**
 * The message projection. Also the journal's {@link HandledLookup}: `isHandled` answers "needs no more work" as the
 * contract defines it, i.e. handled, unmatched or dead-lettered (a dead letter waits for a person, not for the next
 * poll).
 *
 * @example
 * ```ts
 * const messages = new MessageProjection();
 * for (const e of await store.read()) messages.apply(e);
 * messages.isHandled({ mailboxId: 'support', key: 'pop3:abc', messageId: null });
 * messages.isActionDone({ mailboxId: 'support', key: 'pop3:abc', messageId: null }, 'optin', 0);
 * ```
 */
export class MessageProjection implements Projection, HandledLookup {
  readonly #books = new Map<string, Book>();

  apply(event: StoredEvent): void {
    if (event.type.startsWith('mailbox.')) return;
    const e = event as StoredEvent<MessageEvent>;
    const book = this.#book(e.mailboxId);
    if (e.type === 'message.reidentified') {
      this.#reidentify(book, e);
      return;
    }
    let rec = book.byKey.get(e.key);
    if (rec === undefined) {
      rec = new Rec(e.mailboxId, e.key, e.messageId, e.at, e.position);
      book.byKey.set(e.key, rec);
      this.#indexMessageId(book, rec);
      book.pending.add(rec);
    } else if (rec.messageId === null && e.messageId !== null) {
      rec.messageId = e.messageId;
      this.#indexMessageId(book, rec);
    }
    rec.updatedAt = e.at;
    rec.lastPosition = e.position;

    switch (e.type) {
      case 'message.discovered':
        if (rec.subject === null && e.subject !== undefined) rec.subject = e.subject;
        if (rec.from === null && e.from !== undefined) rec.from = e.from;
        break;
      case 'message.matched':
        rec.rules = e.rules;
        this.#setStatus(book, rec, 'matched');
        break;
      case 'message.unmatched':
        this.#settle(book, rec);
        this.#setStatus(book, rec, 'unmatched');
        break;
      case 'handler.started':
        if (e.attempt > rec.attempts) rec.attempts = e.attempt;
        rec.inFlight = { step: 'handler', rule: e.rule, attempt: e.attempt, since: e.at };
        book.inFlight.add(rec);
        this.#setStatus(book, rec, 'inProgress');
        break;
      case 'handler.succeeded':
        this.#settle(book, rec);
        if (rec.handlersDone === null) rec.handlersDone = [e.rule];
        else if (!rec.handlersDone.includes(e.rule)) rec.handlersDone.push(e.rule);
        break;
      case 'handler.failed':
        this.#settle(book, rec);
        rec.failures++;
        rec.lastFailure = {
          step: 'handler',
          rule: e.rule,
          code: e.code,
          reason: e.reason,
          retryable: e.retryable,
          at: e.at,
        };
        this.#setStatus(book, rec, 'failed');
        break;
      case 'action.started':
        rec.inFlight = { step: 'action', rule: e.rule, index: e.index, kind: e.kind, since: e.at };
        book.inFlight.add(rec);
        this.#setStatus(book, rec, 'inProgress');
        break;
      case 'action.done':
      case 'action.skipped':
        this.#settle(book, rec);
        settleAction(rec, {
          rule: e.rule,
          index: e.index,
          kind: e.kind,
          outcome: e.type === 'action.done' ? 'done' : 'skipped',
          sentMessageId: e.type === 'action.done' ? (e.sentMessageId ?? null) : null,
          at: e.at,
        });
        break;
      case 'action.failed':
        this.#settle(book, rec);
        rec.failures++;
        rec.lastFailure = {
          step: 'action',
          rule: e.rule,
          code: e.code,
          reason: e.reason,
          retryable: e.retryable,
          at: e.at,
        };
        this.#setStatus(book, rec, 'failed');
        break;
      case 'message.handled':
        this.#settle(book, rec);
        rec.handledAt = e.at;
        this.#setStatus(book, rec, 'handled');
        break;
      case 'message.deadLettered':
        this.#settle(book, rec);
        rec.deadLetter = { reason: e.reason, code: e.code ?? null, at: e.at, position: e.position };
        this.#setStatus(book, rec, 'deadLettered');
        break;
      case 'message.retryRequested':
        rec.failures = 0;
        rec.deadLetter = null;
        this.#setStatus(book, rec, 'retryRequested');
        break;
      case 'message.interrupted':
        // The in-flight step stays recorded: it tells the next start what may have run half-way.
        this.#setStatus(book, rec, 'interrupted');
        break;
    }
  }

  /**
   * The record of a message by its current key.
   *
   * @example
   * ```ts
   * messages.get('support', 'imap:INBOX:7:42')?.status;
   * ```
   */
  get(mailboxId: string, key: string): MessageRecord | undefined {
    return this.#books.get(mailboxId)?.byKey.get(key);
  }

  /**
   * Records with this Message-ID in the mailbox (several when duplicates were delivered), oldest first.
   *
   * @example
   * ```ts
   * const [previous] = messages.findByMessageId('support', '<a@x>'); // candidate for re-identification
   * ```
   */
  findByMessageId(mailboxId: string, messageId: string): readonly MessageRecord[] {
    const found = this.#books.get(mailboxId)?.byMessageId.get(messageId);
    if (found === undefined) return [];
    return Array.isArray(found) ? [...found] : [found];
  }

  /**
   * The record for an identity: by key, else by Message-ID when exactly one record has it (the case after a
   * UIDVALIDITY change). `undefined` when unknown or ambiguous.
   *
   * @example
   * ```ts
   * const record = messages.lookup(discovered.identity);
   * ```
   */
  lookup(identity: MessageIdentity): MessageRecord | undefined {
    const book = this.#books.get(identity.mailboxId);
    if (book === undefined) return undefined;
    const byKey = book.byKey.get(identity.key);
    if (byKey !== undefined || identity.messageId === null) return byKey;
    const byId = book.byMessageId.get(identity.messageId);
    return byId === undefined || Array.isArray(byId) ? undefined : byId;
  }

  /**
   * Whether the message needs no more work (handled, unmatched or dead-lettered). By key first; when the key is
   * unknown, by Message-ID, which re-identifies messages after a UIDVALIDITY change. When several records share the
   * Message-ID, it answers `true` only if all of them are terminal: a duplicate is better processed again than an
   * unfinished message skipped.
   *
   * @example
   * ```ts
   * if (await journal.isHandled(message.identity)) return; // do not download it again
   * ```
   */
  isHandled(identity: MessageIdentity): boolean {
    const book = this.#books.get(identity.mailboxId);
    if (book === undefined) return false;
    const byKey = book.byKey.get(identity.key);
    if (byKey !== undefined) return isTerminalStatus(byKey.status);
    if (identity.messageId === null) return false;
    const byId = book.byMessageId.get(identity.messageId);
    if (byId === undefined) return false;
    if (!Array.isArray(byId)) return isTerminalStatus(byId.status);
    return byId.every((rec) => isTerminalStatus(rec.status));
  }

  /**
   * Whether action `index` of `rule` is settled (done or skipped) for the message: such an action is never
   * performed again, also after a crash.
   *
   * @example
   * ```ts
   * if (!journal.messages.isActionDone(identity, 'optin', 0)) await sendReply();
   * ```
   */
  isActionDone(identity: MessageIdentity, rule: string, index: number): boolean {
    const rec = this.lookup(identity) as Rec | undefined;
    return rec !== undefined && findAction(rec, rule, index) !== -1;
  }

  /**
   * Whether the handler of `rule` succeeded for the message (then it is not run again, also not after a crash in a
   * later step or a retry request: its effect happened).
   *
   * @example
   * ```ts
   * if (!journal.messages.isHandlerDone(identity, 'bounces')) await runHandler();
   * ```
   */
  isHandlerDone(identity: MessageIdentity, rule: string): boolean {
    const rec = this.lookup(identity) as Rec | undefined;
    return rec?.handlersDone?.includes(rule) ?? false;
  }

  /**
   * The settled actions of a message, in the order they settled.
   *
   * @example
   * ```ts
   * for (const a of messages.settledActions(identity)) console.log(a.rule, a.index, a.kind, a.sentMessageId);
   * ```
   */
  settledActions(identity: MessageIdentity): readonly SettledAction[] {
    const rec = this.lookup(identity) as Rec | undefined;
    return rec?.actions ? [...rec.actions] : [];
  }

  /**
   * Messages with a handler or action that started and has no outcome: cut off by a crash (no event at all) or a
   * stop (`message.interrupted`). A handler listed here may have run fully; its idempotency key lets it tell.
   *
   * @example
   * ```ts
   * for (const m of journal.messages.inFlight('support')) log.warn(`resuming ${m.key} after ${m.inFlight?.step}`);
   * ```
   */
  inFlight(mailboxId?: string): readonly MessageRecord[] {
    return this.#collect(mailboxId, (book) => book.inFlight);
  }

  /**
   * Messages that are not terminal: what a restart has to finish (in flight, failed awaiting retry, matched, …).
   *
   * @example
   * ```ts
   * const todo = journal.messages.pending('support').filter((m) => m.status === 'failed');
   * ```
   */
  pending(mailboxId?: string): readonly MessageRecord[] {
    return this.#collect(mailboxId, (book) => book.pending);
  }

  /**
   * The dead-letter list, in the order messages were dead-lettered.
   *
   * @example
   * ```ts
   * for (const d of journal.messages.deadLetters()) console.log(d.mailboxId, d.subject, d.deadLetter?.reason);
   * ```
   */
  deadLetters(mailboxId?: string): readonly MessageRecord[] {
    const list = this.#collect(mailboxId, (book) => book.deadLetters);
    if (mailboxId === undefined) list.sort((a, b) => a.deadLetter!.position - b.deadLetter!.position);
    return list;
  }

  /**
   * How many messages of a mailbox the journal knows, by status.
   *
   * @example
   * ```ts
   * messages.statusCounts('support').handled; // 412
   * ```
   */
  statusCounts(mailboxId: string): Readonly<Record<MessageStatus, number>> {
    const counts: Record<MessageStatus, number> = {
      discovered: 0,
      matched: 0,
      unmatched: 0,
      inProgress: 0,
      failed: 0,
      interrupted: 0,
      retryRequested: 0,
      handled: 0,
      deadLettered: 0,
    };
    for (const rec of this.#books.get(mailboxId)?.byKey.values() ?? []) counts[rec.status]++;
    return counts;
  }

  #collect(mailboxId: string | undefined, pick: (book: Book) => Set<Rec>): MessageRecord[] {
    if (mailboxId !== undefined) {
      const book = this.#books.get(mailboxId);
      return book ? [...pick(book)] : [];
    }
    const out: MessageRecord[] = [];
    for (const book of this.#books.values()) for (const rec of pick(book)) out.push(rec);
    return out;
  }

  #book(mailboxId: string): Book {
    let book = this.#books.get(mailboxId);
    if (book === undefined) {
      book = new Book();
      this.#books.set(mailboxId, book);
    }
    return book;
  }

  /** Ends the in-flight step: the event that calls this is its outcome. */
  #settle(book: Book, rec: Rec): void {
    if (rec.inFlight !== null) {
      rec.inFlight = null;
      book.inFlight.delete(rec);
    }
  }

  #setStatus(book: Book, rec: Rec, status: MessageStatus): void {
    const wasDead = rec.status === 'deadLettered';
    rec.status = status;
    if (isTerminalStatus(status)) book.pending.delete(rec);
    else book.pending.add(rec);
    if (status === 'deadLettered') {
      book.deadLetters.delete(rec); // re-dead-lettered: moves to the end of the list
      book.deadLetters.add(rec);
    } else if (wasDead) {
      book.deadLetters.delete(rec);
    }
  }

  #indexMessageId(book: Book, rec: Rec): void {
    if (rec.messageId === null) return;
    const existing = book.byMessageId.get(rec.messageId);
    if (existing === undefined) book.byMessageId.set(rec.messageId, rec);
    else if (Array.isArray(existing)) {
      if (!existing.includes(rec)) existing.push(rec);
    } else if (existing !== rec) book.byMessageId.set(rec.messageId, [existing, rec]);
  }

  #unindexMessageId(book: Book, rec: Rec): void {
    if (rec.messageId === null) return;
    const existing = book.byMessageId.get(rec.messageId);
    if (existing === rec) book.byMessageId.delete(rec.messageId);
    else if (Array.isArray(existing)) {
      const rest = existing.filter((r) => r !== rec);
      if (rest.length === 0) book.byMessageId.delete(rec.messageId);
      else book.byMessageId.set(rec.messageId, rest.length === 1 ? rest[0]! : rest);
    }
  }

  /** Moves the record to its new key; a record already under the new key is replaced by the one with history. */
  #reidentify(book: Book, e: StoredEvent<MessageReidentifiedEvent>): void {
    const rec = book.byKey.get(e.previousKey);
    const occupant = book.byKey.get(e.key);
    if (occupant !== undefined && occupant !== rec) {
      book.byKey.delete(e.key);
      this.#unindexMessageId(book, occupant);
      book.deadLetters.delete(occupant);
      book.inFlight.delete(occupant);
      book.pending.delete(occupant);
    }
    if (rec === undefined) {
      // Unknown old key (journal started after it, or already moved): start a record under the new key.
      const fresh = new Rec(e.mailboxId, e.key, e.messageId, e.at, e.position);
      book.byKey.set(e.key, fresh);
      this.#indexMessageId(book, fresh);
      book.pending.add(fresh);
      return;
    }
    book.byKey.delete(e.previousKey);
    rec.key = e.key;
    book.byKey.set(e.key, rec);
    if (rec.messageId === null && e.messageId !== null) {
      rec.messageId = e.messageId;
      this.#indexMessageId(book, rec);
    }
    rec.updatedAt = e.at;
    rec.lastPosition = e.position;
  }
}
