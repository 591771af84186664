/**
 * The IMAP adapter (SPEC S1, S3, S5, S7) on imapflow: `createImapService` gives the mailbox machine its
 * `connect` and `watch` through `runtime/mailbox-actors.ts`.
 *
 * @example
 * ```ts
 * import { createImapService } from './adapters/imap/index.js';
 * const service = createImapService({ id: 'support', server: 'imaps://mail.example.test', user: 'u', password: 'p' },
 *   { handled: journal });
 * ```
 * @module
 */
export type { ImapMailboxConfig, ImapSettings } from './config.js';
export { imapMessageKey, parseImapMessageKey } from './message.js';
export { imapAddressOptions } from './options.js';
export type { ImapServiceDeps } from './service.js';
export { createImapService, IMAP_CAPABILITIES } from './service.js';
export type { ImapLogger } from './session.js';
