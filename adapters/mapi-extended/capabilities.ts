/**
 * What Extended MAPI can do, declared apart from the adapter so validation and the rule checks read it without loading
 * the MAPI bridge and its MIME code (issue 12 point 5).
 *
 * @module
 */
import type { MailServiceCapabilities } from '../contract.js';

/**
 * What Extended MAPI (the Outlook object model) can do: unread restriction, mark read, move to any folder of the
 * store, delete (to Deleted Items), send. No flags (not mapped yet), no original MIME (rebuilt from the item's
 * parts and transport headers), no push (polled).
 *
 * @example
 * ```ts
 * MAPI_EXTENDED_CAPABILITIES.move; // true
 * ```
 */
export const MAPI_EXTENDED_CAPABILITIES: MailServiceCapabilities = Object.freeze({
  unreadOnly: true,
  markRead: true,
  flag: false,
  move: true,
  delete: true,
  folders: true,
  rawMime: false,
  push: false,
  send: true,
});
