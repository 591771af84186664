/**
 * The journal's events. The vocabulary is owned by the core that decides (`machines/message/events.ts`, issue 14:
 * journal and rule vocabulary sit with the core, not with a store); this module re-exports it for the stores,
 * projections and surfaces of the runtime.
 *
 * @example
 * ```ts
 * import type { JournalEvent } from './events.js';
 * const e: JournalEvent = { type: 'message.handled', mailboxId: 'support', at: 0, key: 'pop3:abc', messageId: null };
 * ```
 * @module
 */
export * from '../../machines/message/events.js';
