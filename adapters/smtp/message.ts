/**
 * The message a handler sends, and its translation to nodemailer's mail options.
 *
 * @module
 */
import type { SendMailOptions } from 'nodemailer';
import type { SmtpAddresses, SmtpMessage } from '../contract.js';
import {
  normalizeMessageId,
  outgoingInReplyTo,
  outgoingReferences,
  outgoingSubject,
  rawHeaderFields,
  singleLine,
} from '../mail-format/index.js';

// The outgoing-mail types belong to the contract every adapter speaks (issue 14: the contract owns its types).
export type { SmtpAddresses, SmtpAttachment, SmtpMessage, SmtpSendResult } from '../contract.js';

function list(value: SmtpAddresses | undefined): string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : [...value];
}

/** Extra header fields with names that are field names and values on one line; others are dropped. */
function safeHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const safe: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (/^[\x21-\x39\x3b-\x7e]+$/.test(name)) safe[name] = singleLine(String(value));
  }
  return safe;
}

/**
 * The Message-ID header of a raw message, if it has one.
 *
 * @example
 * ```ts
 * rawMessageId('Message-ID: <a@b>\r\nSubject: x\r\n\r\n'); // '<a@b>'
 * ```
 */
export function rawMessageId(raw: string | Buffer): string | undefined {
  const head = typeof raw === 'string' ? raw : raw.subarray(0, 64 * 1024);
  return normalizeMessageId(rawHeaderFields(head).get('message-id')?.[0]) ?? undefined;
}

/**
 * Translates a {@link SmtpMessage} to nodemailer's mail options. Header values are made safe on the way (issue 13,
 * point 9): the subject by `outgoingSubject` (one line, at most 250 characters), extra header values by
 * `singleLine`, In-Reply-To and References to well-formed, bounded Message-IDs; so no value carries a line break
 * of its own and none makes a line over RFC 5322's 998 octets. A `raw` message is sent as given.
 *
 * @example
 * ```ts
 * await transport.sendMail(toMailOptions({ from: 'a@example.test', to: 'b@example.test', subject: 'Hi', text: 'x' }));
 * ```
 */
export function toMailOptions(message: SmtpMessage): SendMailOptions {
  const to = list(message.to);
  const cc = list(message.cc);
  const bcc = list(message.bcc);
  if (message.raw !== undefined) {
    return { envelope: { from: message.from, to: [...to, ...cc, ...bcc] }, raw: message.raw };
  }
  const inReplyTo = message.inReplyTo !== undefined ? outgoingInReplyTo(message.inReplyTo) : undefined;
  const references = message.references !== undefined ? outgoingReferences(list(message.references)) : undefined;
  return {
    from: message.from,
    to,
    ...(cc.length > 0 ? { cc } : {}),
    ...(bcc.length > 0 ? { bcc } : {}),
    ...(message.subject !== undefined ? { subject: outgoingSubject(message.subject) } : {}),
    ...(message.text !== undefined ? { text: message.text } : {}),
    ...(message.html !== undefined ? { html: message.html } : {}),
    ...(message.headers !== undefined ? { headers: safeHeaders(message.headers) } : {}),
    ...(inReplyTo !== undefined ? { inReplyTo } : {}),
    ...(references !== undefined ? { references } : {}),
    ...(message.attachments !== undefined
      ? {
          attachments: message.attachments.map((a) => ({
            content: a.content,
            ...(a.filename !== undefined ? { filename: a.filename } : {}),
            ...(a.contentType !== undefined ? { contentType: a.contentType } : {}),
            ...(a.cid !== undefined ? { cid: a.cid } : {}),
          })),
        }
      : {}),
  };
}
