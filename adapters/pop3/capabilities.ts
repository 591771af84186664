/**
 * What POP3 can do, declared apart from the adapter so validation and the rule checks read it without loading
 * the POP3 client (issue 12 point 5).
 *
 * @module
 */
import type { MailServiceCapabilities } from '../contract.js';

/**
 * What POP3 can do (SPEC S5, S6): every message, the original source, DELE; no read state, flags or folders; new
 * mail by polling only; sending goes through the mailbox's SMTP transport.
 *
 * @example
 * ```ts
 * if (!POP3_CAPABILITIES.move) console.log('use forward + delete instead of moveTo');
 * ```
 */
export const POP3_CAPABILITIES: MailServiceCapabilities = Object.freeze({
  unreadOnly: false,
  markRead: false,
  flag: false,
  move: false,
  delete: true,
  folders: false,
  rawMime: true,
  push: false,
  send: false,
});
