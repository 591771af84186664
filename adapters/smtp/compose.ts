/**
 * Composes an outgoing message to its raw RFC 5322 bytes once, so exactly the same bytes go to the SMTP server and
 * to the Sent folder (issue 13: a copy of every automatic mail in Sent, found again by its Message-ID).
 *
 * @module
 */
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { type SmtpMessage, toMailOptions } from './message.js';

/**
 * The raw source of `message` as nodemailer would send it (its own `raw`, if it has one).
 *
 * @example
 * ```ts
 * const raw = await composeRaw({ from: 'support@example.test', to: 'ada@example.test', subject: 'Hi', text: 'x',
 *   headers: { 'Message-ID': '<1@example.test>' } });
 * await transport.send({ from: 'support@example.test', to: 'ada@example.test', raw });
 * ```
 */
export function composeRaw(message: SmtpMessage): Promise<Buffer> {
  if (message.raw !== undefined) return Promise.resolve(Buffer.from(message.raw));
  const composer = new MailComposer({ ...toMailOptions(message), disableFileAccess: true, disableUrlAccess: true });
  return new Promise((resolve, reject) => {
    composer.compile().build((error, raw) => (error ? reject(error) : resolve(raw)));
  });
}
