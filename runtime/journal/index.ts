/**
 * The event journal (issue 4): event types, the store interface and its SQLite and memory stores, the projections
 * and the {@link Journal} that ties them together.
 *
 * @example
 * ```ts
 * import { Journal, SqliteJournalStore } from './runtime/journal/index.js';
 * const journal = await Journal.open(new SqliteJournalStore('./autopilot.db'));
 * console.log(journal.messages.deadLetters().length, journal.inFlight().length);
 * ```
 * @module
 */
export * from './events.js';
export type { JournalListener, JournalOptions } from './journal.js';
export { Journal } from './journal.js';
export type { JournaledMailboxState, MailboxCounters, MailboxStatus } from './mailbox-projection.js';
export { MailboxProjection } from './mailbox-projection.js';
export { MemoryJournalStore } from './memory-store.js';
export type {
  DeadLetterInfo,
  InFlightStep,
  MessageFailure,
  MessageRecord,
  MessageStatus,
  SettledAction,
} from './message-projection.js';
export { isTerminalStatus, MessageProjection } from './message-projection.js';
export type { Projection } from './projection.js';
export type { SqliteJournalStoreOptions } from './sqlite-store.js';
export { SqliteJournalStore } from './sqlite-store.js';
export type { AppendOptions, JournalStore, ReadQuery } from './store.js';
export { assertExpectedVersions, isJournalConflictError, JournalConflictError, normalizeReadQuery } from './store.js';
