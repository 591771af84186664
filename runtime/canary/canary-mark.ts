/**
 * How a canary message is marked and recognised (issue 15 point 5): the header `X-Mail-Autopilot-Canary:
 * <mailbox>/<id>` and a recognisable subject. Recognition is by the header only (the subject is for people), and only
 * for this mailbox's id, so a canary of an earlier run is removed too, and another mailbox's canary is left alone.
 *
 * @module
 */
import type { DiscoveredMessage, SearchFilter, SmtpMessage } from '../../adapters/contract.js';

/** The header that marks a canary (lower case: the discovered headers' spelling). */
export const CANARY_HEADER = 'x-mail-autopilot-canary';

/**
 * The canary message of mailbox `mailboxId` with id `id`.
 *
 * @example
 * ```ts
 * const mail = canaryMessage('support', 'a1', { from: 'support@example.test', to: 'support@example.test' });
 * ```
 */
export function canaryMessage(
  mailboxId: string,
  id: string,
  addresses: { readonly from: string; readonly to: string },
): SmtpMessage {
  return {
    ...addresses,
    subject: `[mail-autopilot canary] ${mailboxId}/${id}`,
    // Auto-Submitted keeps other automation (and this one's loop protection) from answering it.
    headers: { 'X-Mail-Autopilot-Canary': `${mailboxId}/${id}`, 'Auto-Submitted': 'auto-generated' },
    text: 'A liveness check of mail-autopilot: it is removed as soon as it is discovered.',
  };
}

/**
 * The canary id of a discovered message when it is a canary of this mailbox, else `undefined`.
 *
 * @example
 * ```ts
 * canaryIdOf(message, 'support'); // 'a1' for a message with `X-Mail-Autopilot-Canary: support/a1`
 * ```
 */
export function canaryIdOf(message: Pick<DiscoveredMessage, 'headers'>, mailboxId: string): string | undefined {
  const prefix = `${mailboxId}/`;
  const value = message.headers.get(CANARY_HEADER)?.find((v) => v.trim().startsWith(prefix));
  return value?.trim().slice(prefix.length);
}

/**
 * The discovery filter widened so the server's pre-selection (issue 12) also hands over this mailbox's canaries,
 * which match no rule.
 *
 * @example
 * ```ts
 * withCanaries({ op: 'header', field: 'subject', contains: 'invoice' }, 'support');
 * ```
 */
export function withCanaries(filter: SearchFilter, mailboxId: string): SearchFilter {
  const canary: SearchFilter = { op: 'header', field: CANARY_HEADER, contains: `${mailboxId}/` };
  return { op: 'or', of: [...(filter.op === 'or' ? filter.of : [filter]), canary] };
}
