/**
 * Turns a {@link TestMessage} into RFC 5322 bytes.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { TestMessage } from './types.js';

/** RFC 5322 date-time in UTC (`Tue, 01 Jul 2025 10:00:00 +0000`). */
function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/** RFC 2047 encoded-word for non-ASCII header values; ASCII stays readable. */
function encodeHeaderValue(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: checking for the ASCII range is the point
  if (/^[\x00-\x7f]*$/.test(value)) return value;
  return `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** Line endings normalised to CRLF, as on the wire. */
function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/**
 * The bytes of a test message. Raw strings are normalised to CRLF; Buffers are used as given. From parts, the
 * message gets Date, Message-ID (random unless given), From (default `sender@example.test`), To (default
 * `defaultTo`), Subject, MIME-Version and a UTF-8 text body.
 *
 * @example
 * ```ts
 * const raw = buildMessage({ subject: 'Hello', text: 'Hi there' }, 'user1@example.test');
 * ```
 */
export function buildMessage(message: TestMessage, defaultTo: string): Buffer {
  if (Buffer.isBuffer(message)) return message;
  if (typeof message === 'string') return Buffer.from(crlf(message), 'utf8');
  const messageId = message.messageId ?? `<${randomBytes(9).toString('hex')}.${Date.now()}@harness.example.test>`;
  const lines = [
    `Date: ${rfc5322Date(new Date())}`,
    `Message-ID: ${messageId}`,
    `From: ${message.from ?? 'sender@example.test'}`,
    `To: ${message.to ?? defaultTo}`,
    `Subject: ${encodeHeaderValue(message.subject)}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ];
  for (const [name, value] of Object.entries(message.headers ?? {})) lines.push(`${name}: ${encodeHeaderValue(value)}`);
  const body = crlf(message.text ?? `This is the message "${message.subject}".\n`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body.endsWith('\r\n') ? body : `${body}\r\n`}`, 'utf8');
}
