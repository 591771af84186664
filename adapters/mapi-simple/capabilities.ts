/**
 * What Simple MAPI can do, declared apart from the adapter so validation and the rule checks read it without loading
 * the MAPI bridge and its MIME code (issue 12 point 5).
 *
 * @module
 */
import type { MailServiceCapabilities } from '../contract.js';

/**
 * What Simple MAPI can do: unread-only enumeration, mark read (a read without MAPI_PEEK), delete, send. It cannot
 * move, has no folders but the Inbox, no flags, and gives no original MIME (rebuilt from the parts).
 *
 * @example
 * ```ts
 * MAPI_SIMPLE_CAPABILITIES.move; // false
 * ```
 */
export const MAPI_SIMPLE_CAPABILITIES: MailServiceCapabilities = Object.freeze({
  unreadOnly: true,
  markRead: true,
  flag: false,
  move: false,
  delete: true,
  folders: false,
  rawMime: false,
  push: false,
  send: true,
});
