/**
 * What IMAP can do, declared apart from the adapter so validation and the rule checks read it without loading
 * imapflow (issue 12 point 5).
 *
 * @module
 */
import type { MailServiceCapabilities } from '../contract.js';

/**
 * What IMAP can do (sending goes through the mailbox's SMTP transport).
 *
 * @example
 * ```ts
 * if (!IMAP_CAPABILITIES.send) useSmtpTransport();
 * ```
 */
export const IMAP_CAPABILITIES: MailServiceCapabilities = Object.freeze({
  unreadOnly: true,
  markRead: true,
  flag: true,
  move: true,
  delete: true,
  folders: true,
  rawMime: true,
  push: true,
  send: false,
});
