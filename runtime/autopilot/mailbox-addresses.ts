/**
 * The addresses of a mailbox as automatic mail sees them: the sender of its automatic mail and every address that
 * counts as its own for loop protection. One place, so the pipeline and the rule trace (`test`, `run --dry-run`)
 * agree on them.
 *
 * @module
 */
import type { MailboxConfig } from '../config/load.js';

/**
 * The sender of the mailbox's automatic mail and its own addresses (the sender, the user, `addresses`).
 *
 * @example
 * ```ts
 * const { from, ownAddresses } = mailboxAddresses(config.mailboxes[0]);
 * // from: 'support@example.test', ownAddresses: ['support@example.test', …]
 * ```
 */
export function mailboxAddresses(mailbox: MailboxConfig): { from: string; ownAddresses: string[] } {
  const from = mailbox.smtp?.from ?? mailbox.user ?? `${mailbox.id}@localhost`;
  return { from, ownAddresses: [from, ...(mailbox.user ? [mailbox.user] : []), ...(mailbox.addresses ?? [])] };
}
