/**
 * Builds the mail the autopilot sends on its own (reply, forward, send): addresses, threading headers, the
 * RFC 3834 `Auto-Submitted` marking (runtime/rules/loop-protection.ts), and a Message-ID derived from the step's idempotency key, so a send repeated
 * after a crash carries the same Message-ID and can be recognised as a duplicate by the receiving side. Subjects and
 * threading headers taken from incoming mail go through the mail-format module's outgoing-header rules (one line,
 * bounded: issue 13, point 9), so a 1 MB or `\r\nBcc:`-laden subject cannot reach the header as it came.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { DiscoveredMessage } from '../../adapters/contract.js';
import {
  formatAddress,
  outgoingInReplyTo,
  outgoingReferences,
  outgoingSubject,
} from '../../adapters/mail-format/index.js';
import type { SmtpMessage } from '../../adapters/smtp/index.js';
import { autoHeaders, replyHeaders } from '../rules/loop-protection.js';

/**
 * A stable Message-ID for one outgoing step: the same inputs give the same id.
 *
 * @example
 * ```ts
 * outgoingMessageId('support|imap:INBOX:7:42|optin|0', 'support@example.test');
 * // '<3f2a…@example.test>'
 * ```
 */
export function outgoingMessageId(stepKey: string, fromAddress: string): string {
  const digest = createHash('sha256').update(stepKey).digest('hex').slice(0, 32);
  const domain = /@([^>\s]+)>?$/.exec(fromAddress)?.[1] ?? 'mail-autopilot.invalid';
  return `<${digest}.autopilot@${domain}>`;
}

function forwardSubject(subject: string): string {
  return /^(fwd?|wg)\s*:/i.test(subject.trim()) ? subject : `Fwd: ${subject}`;
}

/** Who the mail comes from and its Message-ID. */
interface Sender {
  readonly from: string;
  readonly messageId: string;
}

function headers(kind: 'reply' | 'forward' | 'send', sender: Sender): Record<string, string> {
  return { ...autoHeaders(kind, { loopAddress: sender.from }), 'Message-ID': sender.messageId };
}

/**
 * The reply to a message (RFC 3834 §3.1.5: `Auto-Submitted: auto-replied`; threading by In-Reply-To/References), to
 * the recipient loop protection approved.
 *
 * @example
 * ```ts
 * const mail = buildReply(message, 'ada@example.test', { text: 'Confirmed.' }, { from: 'support@example.test', messageId });
 * ```
 */
export function buildReply(
  message: DiscoveredMessage,
  recipient: string,
  content: { readonly text?: string; readonly html?: string; readonly subject?: string },
  sender: Sender,
): SmtpMessage {
  const threading = replyHeaders(message);
  return {
    from: sender.from,
    to: recipient,
    subject: outgoingSubject(content.subject ?? threading.subject),
    text: content.text,
    html: content.html,
    inReplyTo: outgoingInReplyTo(threading.inReplyTo),
    references: outgoingReferences(threading.references),
    headers: headers('reply', sender),
  };
}

/**
 * A forward of a message to fixed addresses: the original attached whole (`message/rfc822`), with an optional note.
 *
 * @example
 * ```ts
 * const mail = buildForward(message, await source(), { to: ['archive@example.test'] }, sender);
 * ```
 */
export function buildForward(
  message: DiscoveredMessage,
  source: Readable | Buffer,
  content: {
    readonly to: readonly string[];
    readonly cc?: readonly string[];
    readonly text?: string;
    readonly subject?: string;
  },
  sender: Sender,
): SmtpMessage {
  const from = message.envelope.from.map(formatAddress).filter(Boolean).join(', ') || 'an unknown sender';
  return {
    from: sender.from,
    to: [...content.to],
    cc: content.cc ? [...content.cc] : undefined,
    subject: outgoingSubject(content.subject ?? forwardSubject(message.envelope.subject)),
    text: content.text ?? `Forwarded message from ${from}.`,
    attachments: [{ filename: 'forwarded-message.eml', content: source, contentType: 'message/rfc822' }],
    headers: headers('forward', sender),
  };
}

/**
 * A new message to fixed addresses (`Auto-Submitted: auto-generated`).
 *
 * @example
 * ```ts
 * const mail = buildSend({ to: ['ops@example.test'], subject: 'Bounce seen', text: '…' }, sender);
 * ```
 */
export function buildSend(
  content: {
    readonly to: readonly string[];
    readonly cc?: readonly string[];
    readonly subject: string;
    readonly text?: string;
    readonly html?: string;
  },
  sender: Sender,
): SmtpMessage {
  return {
    from: sender.from,
    to: [...content.to],
    cc: content.cc ? [...content.cc] : undefined,
    subject: outgoingSubject(content.subject),
    text: content.text,
    html: content.html,
    headers: headers('send', sender),
  };
}
