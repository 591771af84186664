/**
 * What each service of SPEC S1 can do, and the check that a mailbox's rules ask only for that. Apart from
 * `services.ts` (which creates the adapters) so `validate` checks rules without loading any protocol library
 * (issue 12 point 5).
 *
 * @module
 */
import type { MailServiceCapabilities, ServiceKind } from '../adapters/contract.js';
import { IMAP_CAPABILITIES } from '../adapters/imap/capabilities.js';
import { MAPI_EXTENDED_CAPABILITIES } from '../adapters/mapi-extended/capabilities.js';
import { MAPI_SIMPLE_CAPABILITIES } from '../adapters/mapi-simple/capabilities.js';
import { POP3_CAPABILITIES } from '../adapters/pop3/capabilities.js';
import type { MailboxConfig } from './config/resolve.js';
import { assertRulesSupported } from './rules/capabilities.js';
import type { Rule } from './rules/types.js';

/**
 * What each service of SPEC S1 can do, as its adapter declares it.
 *
 * @example
 * ```ts
 * SERVICE_CAPABILITIES['mapi-simple'].move; // false: Simple MAPI cannot move
 * ```
 */
export const SERVICE_CAPABILITIES: Readonly<Record<ServiceKind, MailServiceCapabilities>> = {
  imap: IMAP_CAPABILITIES,
  pop3: POP3_CAPABILITIES,
  'mapi-extended': MAPI_EXTENDED_CAPABILITIES,
  'mapi-simple': MAPI_SIMPLE_CAPABILITIES,
};

/**
 * Whether each service reports a message's size (the fact `size:` conditions test): Simple MAPI's MAPIReadMail
 * gives no size (its driver reports 0), the others do (RFC822.SIZE, POP3 LIST, PR_MESSAGE_SIZE).
 *
 * @example
 * ```ts
 * SERVICE_REPORTS_SIZE['mapi-simple']; // false: a size rule there is a configuration error
 * ```
 */
export const SERVICE_REPORTS_SIZE: Readonly<Record<ServiceKind, boolean>> = {
  imap: true,
  pop3: true,
  'mapi-extended': true,
  'mapi-simple': false,
};

/**
 * Throws a configuration error naming the rule when a mailbox's rules need an action its service cannot do (Simple
 * MAPI cannot move; POP3 cannot mark read), mail sending without a way to send, or a `size` condition where the
 * service reports no size (Simple MAPI).
 *
 * @example
 * ```ts
 * assertMailboxRulesSupported(mailbox, parseRules(mailbox.rules, mailbox.id));
 * ```
 */
export function assertMailboxRulesSupported(mailbox: MailboxConfig, rules: readonly Rule<unknown>[]): void {
  const capabilities = SERVICE_CAPABILITIES[mailbox.service];
  assertRulesSupported(rules, capabilities, {
    mailboxId: mailbox.id,
    serviceName: mailbox.service,
    canSendMail: mailbox.smtp !== undefined || capabilities.send,
    reportsSize: SERVICE_REPORTS_SIZE[mailbox.service],
  });
}
