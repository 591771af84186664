/**
 * The message a handler sends, and its translation to nodemailer's mail options.
 *
 * @module
 */
import type { Readable } from 'node:stream';
import type { SendMailOptions } from 'nodemailer';
import {
  normalizeMessageId,
  outgoingInReplyTo,
  outgoingReferences,
  outgoingSubject,
  rawHeaderFields,
  singleLine,
} from '../mail-format/index.js';

/** One address or several: `'a@example.test'`, `'Ada <a@example.test>'`, or a list of them. */
export type SmtpAddresses = string | readonly string[];

/**
 * An attachment given by content (never by path or URL: sending does not read local files or fetch URLs on a
 * message's say-so).
 *
 * @example
 * ```ts
 * const attachment: SmtpAttachment = { filename: 'report.csv', content: 'a,b\n1,2\n', contentType: 'text/csv' };
 * ```
 */
export interface SmtpAttachment {
  readonly filename?: string;
  readonly content: string | Buffer | Readable;
  readonly contentType?: string;
  /** Content-ID for inline images referenced from the HTML as `cid:...`. */
  readonly cid?: string;
}

/**
 * A message to send. With `raw`, the given RFC 5322 source is sent unchanged and `from`/`to`/`cc`/`bcc` only make
 * the envelope; otherwise the message is composed from the fields.
 *
 * @example
 * ```ts
 * const reply: SmtpMessage = {
 *   from: 'support@example.test', to: 'customer@example.test', subject: 'Re: Order 42', text: 'Thanks!',
 *   inReplyTo: '<order-42@example.test>', references: ['<order-42@example.test>'],
 * };
 * ```
 */
export interface SmtpMessage {
  readonly from: string;
  readonly to: SmtpAddresses;
  readonly cc?: SmtpAddresses;
  readonly bcc?: SmtpAddresses;
  readonly subject?: string;
  readonly text?: string;
  readonly html?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly inReplyTo?: string;
  readonly references?: SmtpAddresses;
  readonly raw?: string | Buffer;
  readonly attachments?: readonly SmtpAttachment[];
}

/**
 * What a send reports: the Message-ID, the recipients the server accepted and refused, and its final reply.
 *
 * @example
 * ```ts
 * const result: SmtpSendResult = {
 *   messageId: '<1@example.test>', accepted: ['a@example.test'], rejected: [], response: '250 2.0.0 Ok',
 * };
 * ```
 */
export interface SmtpSendResult {
  readonly messageId: string;
  readonly accepted: string[];
  readonly rejected: string[];
  readonly response: string;
}

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
