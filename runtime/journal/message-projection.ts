/**
 * (Over 400 lines: the projection, its indexes and their snapshot form change together; split, each half would
 * have to know the other's invariants.)
 *
 * What happened to every message, folded from the journal with the core's `evolve` (machines/message): its status,
 * failures, the actions already done, the handled set (by key and by Message-ID), the dead-letter list and what was
 * in flight when the process stopped. The handled set is what SPEC S6 needs: POP3 examines every message each cycle,
 * and the journal remembers (by UIDL, the key) which ones need no more work. This class only keeps the indexes;
 * every state change is `evolve`'s.
 *
 * @module
 */

import { evolve } from '../../machines/message/evolve.js';
import type { HandledLookup, MessageIdentity } from '../../machines/message/identity.js';
import {
  initialMessageState,
  isActionSettled,
  isHandlerDone,
  isTerminalStatus,
  type MessageState,
  type MessageStatus,
  type SettledAction,
} from '../../machines/message/state.js';
import { CompactHandledSet, type CompactHandledState } from './compact-handled.js';
import type { MessageEvent, MessageReidentifiedEvent, StoredEvent } from './events.js';
import type { Projection } from './projection.js';

export type {
  DeadLetterInfo,
  InFlightStep,
  MessageFailure,
  MessageStatus,
  SettledAction,
} from '../../machines/message/state.js';
export { isTerminalStatus } from '../../machines/message/state.js';

/**
 * Everything the journal says about one message (the core's {@link MessageState}).
 *
 * @example
 * ```ts
 * const m = journal.messages.get('support', 'imap:INBOX:7:42');
 * console.log(m?.status, m?.failures, m?.lastFailure?.reason);
 * ```
 */
export type MessageRecord = MessageState;

type Rec = MessageState;

/**
 * Finished messages per mailbox that keep their full record (the recent window); older ones are compacted. A
 * constant, not a setting: it bounds memory (a record is ~1 KB), and any value keeps exactly-once.
 *
 * @example
 * ```ts
 * const recordsAtMost = unfinished + deadLetters + RECENT_FINISHED;
 * ```
 */
export const RECENT_FINISHED = 200;

/**
 * The snapshot form of one mailbox's part of the projection (plain JSON).
 *
 * @example
 * ```ts
 * const book: MessageBookState = messages.exportState().books[0]![1];
 * ```
 */
export interface MessageBookState {
  readonly records: readonly MessageState[];
  readonly byMessageId: readonly (readonly [string, string | readonly string[]])[];
  readonly deadLetters: readonly string[];
  readonly inFlight: readonly string[];
  readonly pending: readonly string[];
  readonly finished: readonly string[];
  readonly compact: CompactHandledState;
  readonly compacted: { readonly handled: number; readonly unmatched: number };
}

/**
 * The snapshot form of a {@link MessageProjection}: its books in order of first appearance.
 *
 * @example
 * ```ts
 * const copy = MessageProjection.fromState(JSON.parse(JSON.stringify(messages.exportState())));
 * ```
 */
export interface MessageProjectionState {
  readonly recentFinished: number;
  readonly books: readonly (readonly [string, MessageBookState])[];
}

/**
 * One mailbox's records and indexes. States are immutable, so the indexes hold keys (the record of a key is
 * `byKey.get(key)`); `byMessageId` holds keys too.
 */
class Book {
  readonly byKey = new Map<string, Rec>();
  /** A single key, or several when messages share a Message-ID (duplicates happen: resent newsletters). */
  readonly byMessageId = new Map<string, string | string[]>();
  /** Insertion order = the order they were dead-lettered. */
  readonly deadLetters = new Set<string>();
  readonly inFlight = new Set<string>();
  /** Keys of records that are not terminal. */
  readonly pending = new Set<string>();
  /** Keys of finished records still kept whole (the recent window), oldest first. */
  readonly finished = new Set<string>();
  /** Finished messages without a record. */
  compact = new CompactHandledSet();
  /** How many compacted messages were handled / unmatched (for {@link MessageProjection.statusCounts}). */
  compacted = { handled: 0, unmatched: 0 };
}

/** Handled or unmatched with nothing in flight: may leave the recent window. Dead letters wait for a person. */
function isCompactable(rec: Rec): boolean {
  return (rec.status === 'handled' || rec.status === 'unmatched') && rec.inFlight === null;
}

/** What `get` answers for a compacted key: finished, details gone. */
function compactedRecord(mailboxId: string, key: string): Rec {
  return { ...initialMessageState({ mailboxId, key, messageId: null, at: 0, position: 0 }), status: 'handled' };
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
  readonly #recentFinished: number;

  /** `recentFinished`: the recent window per mailbox (tests make it small). */
  constructor(options: { readonly recentFinished?: number } = {}) {
    this.#recentFinished = options.recentFinished ?? RECENT_FINISHED;
  }

  apply(event: StoredEvent): void {
    if (event.type === 'mailbox.forgotten') {
      this.#books.get(event.mailboxId)?.compact.forget(event.keys);
      return;
    }
    if (event.type.startsWith('mailbox.')) return;
    const e = event as StoredEvent<MessageEvent>;
    const book = this.#book(e.mailboxId);
    const previousKey = e.type === 'message.reidentified' ? (e as MessageReidentifiedEvent).previousKey : e.key;
    const before = book.byKey.get(previousKey);
    if (e.type === 'message.reidentified') this.#evictOccupant(book, e.key, before);
    const after = evolve(before, e);
    if (before !== undefined && before.key !== after.key) {
      book.byKey.delete(before.key);
      this.#unindex(book, before);
    }
    book.byKey.set(after.key, after);
    this.#index(book, before, after);
    while (book.finished.size > this.#recentFinished) this.#compactOldest(book);
  }

  /**
   * The projection as plain JSON, for a snapshot; {@link MessageProjection.fromState} rebuilds an equal one.
   *
   * @example
   * ```ts
   * const json = JSON.stringify(messages.exportState());
   * ```
   */
  exportState(): MessageProjectionState {
    const books: [string, MessageBookState][] = [];
    for (const [mailboxId, book] of this.#books) {
      books.push([
        mailboxId,
        {
          records: [...book.byKey.values()],
          byMessageId: [...book.byMessageId],
          deadLetters: [...book.deadLetters],
          inFlight: [...book.inFlight],
          pending: [...book.pending],
          finished: [...book.finished],
          compact: book.compact.toJSON(),
          compacted: { ...book.compacted },
        },
      ]);
    }
    return { recentFinished: this.#recentFinished, books };
  }

  /**
   * A projection from {@link MessageProjection.exportState}'s output. Throws a `TypeError` on a shape it cannot
   * use (the caller then folds the journal from the start).
   *
   * @example
   * ```ts
   * const messages = MessageProjection.fromState(state);
   * ```
   */
  static fromState(state: MessageProjectionState): MessageProjection {
    if (!Array.isArray(state?.books) || !Number.isInteger(state.recentFinished)) {
      throw new TypeError('message projection state: books or recentFinished missing');
    }
    const projection = new MessageProjection({ recentFinished: state.recentFinished });
    for (const [mailboxId, saved] of state.books) {
      const book = projection.#book(mailboxId);
      for (const rec of saved.records) book.byKey.set(rec.key, rec);
      for (const [id, keys] of saved.byMessageId) book.byMessageId.set(id, Array.isArray(keys) ? [...keys] : keys);
      for (const key of saved.deadLetters) book.deadLetters.add(key);
      for (const key of saved.inFlight) book.inFlight.add(key);
      for (const key of saved.pending) book.pending.add(key);
      for (const key of saved.finished) book.finished.add(key);
      book.compact = CompactHandledSet.from(saved.compact);
      book.compacted = { handled: saved.compacted.handled, unmatched: saved.compacted.unmatched };
      for (const index of [saved.deadLetters, saved.inFlight, saved.pending, saved.finished]) {
        for (const key of index) {
          if (!book.byKey.has(key)) throw new TypeError(`message projection state: ${key} indexed without a record`);
        }
      }
    }
    return projection;
  }

  /**
   * How much one mailbox holds: full records, and the compact handled set's ranges and plain keys (issue 16: this
   * follows what is unfinished, not the history).
   *
   * @example
   * ```ts
   * messages.footprint('support'); // { records: 1004, ranges: 1, keys: 0 }
   * ```
   */
  footprint(mailboxId: string): { readonly records: number; readonly ranges: number; readonly keys: number } {
    const book = this.#books.get(mailboxId);
    if (book === undefined) return { records: 0, ranges: 0, keys: 0 };
    return { records: book.byKey.size, ...book.compact.size };
  }

  /**
   * Compacted handled keys of a mailbox that are not in `listed` (the server's whole listing, POP3's UIDL): what a
   * `mailbox.forgotten` event may drop. Keys with full records are not among them (they compact later).
   *
   * @example
   * ```ts
   * const gone = messages.gone('pop', new Set(listedKeys));
   * if (gone.length > 0) await journal.append([{ type: 'mailbox.forgotten', mailboxId: 'pop', at, keys: gone }]);
   * ```
   */
  gone(mailboxId: string, listed: ReadonlySet<string>): string[] {
    return this.#books.get(mailboxId)?.compact.absent(listed) ?? [];
  }

  /** Moves the oldest record of the recent window into the compact handled set. */
  #compactOldest(book: Book): void {
    const key = book.finished.values().next().value as string;
    const rec = book.byKey.get(key)!;
    book.byKey.delete(key);
    this.#unindex(book, rec);
    book.compact.add(key);
    book.compacted[rec.status as 'handled' | 'unmatched']++;
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
    const book = this.#books.get(mailboxId);
    if (book === undefined) return undefined;
    return book.byKey.get(key) ?? (book.compact.has(key) ? compactedRecord(mailboxId, key) : undefined);
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
    const book = this.#books.get(mailboxId);
    const found = book?.byMessageId.get(messageId);
    if (book === undefined || found === undefined) return [];
    return (Array.isArray(found) ? found : [found]).map((key) => book.byKey.get(key)!);
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
    if (byKey !== undefined) return byKey;
    if (book.compact.has(identity.key)) return compactedRecord(identity.mailboxId, identity.key);
    if (identity.messageId === null) return undefined;
    const byId = book.byMessageId.get(identity.messageId);
    return byId === undefined || Array.isArray(byId) ? undefined : book.byKey.get(byId);
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
    if (book.compact.has(identity.key)) return true;
    if (identity.messageId === null) return false;
    const byId = book.byMessageId.get(identity.messageId);
    if (byId === undefined) return false;
    const terminal = (key: string) => isTerminalStatus(book.byKey.get(key)!.status);
    return Array.isArray(byId) ? byId.every(terminal) : terminal(byId);
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
    return isActionSettled(this.lookup(identity), rule, index);
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
    return isHandlerDone(this.lookup(identity), rule);
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
    return [...(this.lookup(identity)?.actions ?? [])];
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
    const book = this.#books.get(mailboxId);
    for (const rec of book?.byKey.values() ?? []) counts[rec.status]++;
    counts.handled += book?.compacted.handled ?? 0;
    counts.unmatched += book?.compacted.unmatched ?? 0;
    return counts;
  }

  #collect(mailboxId: string | undefined, pick: (book: Book) => Set<string>): MessageRecord[] {
    const out: MessageRecord[] = [];
    const books = mailboxId === undefined ? [...this.#books.values()] : [this.#books.get(mailboxId)];
    for (const book of books) {
      if (book === undefined) continue;
      for (const key of pick(book)) out.push(book.byKey.get(key)!);
    }
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

  /** Brings the indexes of one record from `before` (undefined: new) to `after`. */
  #index(book: Book, before: Rec | undefined, after: Rec): void {
    const key = after.key;
    if (before === undefined || before.key !== key || before.messageId !== after.messageId) {
      this.#indexMessageId(book, after);
    }
    if (after.inFlight !== null) book.inFlight.add(key);
    else book.inFlight.delete(key);
    if (isTerminalStatus(after.status)) book.pending.delete(key);
    else book.pending.add(key);
    if (!isCompactable(after)) book.finished.delete(key);
    else if (!book.finished.has(key)) book.finished.add(key);
    if (after.status === 'deadLettered') {
      if (before?.status !== 'deadLettered' || before.deadLetter !== after.deadLetter) {
        book.deadLetters.delete(key); // re-dead-lettered: moves to the end of the list
        book.deadLetters.add(key);
      }
    } else {
      book.deadLetters.delete(key);
    }
  }

  /** Removes a record (moved to another key, or replaced) from every index. */
  #unindex(book: Book, rec: Rec): void {
    this.#unindexMessageId(book, rec);
    book.deadLetters.delete(rec.key);
    book.inFlight.delete(rec.key);
    book.pending.delete(rec.key);
    book.finished.delete(rec.key);
  }

  /** A record already under the key a message is re-identified to is replaced by the one with history. */
  #evictOccupant(book: Book, key: string, incoming: Rec | undefined): void {
    const occupant = book.byKey.get(key);
    if (occupant === undefined || occupant === incoming) return;
    book.byKey.delete(key);
    this.#unindex(book, occupant);
  }

  #indexMessageId(book: Book, rec: Rec): void {
    if (rec.messageId === null) return;
    const existing = book.byMessageId.get(rec.messageId);
    if (existing === undefined) book.byMessageId.set(rec.messageId, rec.key);
    else if (Array.isArray(existing)) {
      if (!existing.includes(rec.key)) existing.push(rec.key);
    } else if (existing !== rec.key) book.byMessageId.set(rec.messageId, [existing, rec.key]);
  }

  #unindexMessageId(book: Book, rec: Rec): void {
    if (rec.messageId === null) return;
    const existing = book.byMessageId.get(rec.messageId);
    if (existing === rec.key) book.byMessageId.delete(rec.messageId);
    else if (Array.isArray(existing)) {
      const rest = existing.filter((k) => k !== rec.key);
      if (rest.length === 0) book.byMessageId.delete(rec.messageId);
      else book.byMessageId.set(rec.messageId, rest.length === 1 ? rest[0]! : rest);
    }
  }
}
