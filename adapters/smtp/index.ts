/**
 * The SMTP adapter: a nodemailer transport per mailbox, for the reply/forward/send actions.
 *
 * @module
 */

export { composeRaw } from './compose.js';
export {
  resolveSmtpSettings,
  SMTP_ADDRESS_OPTIONS,
  type SmtpConfig,
  type SmtpSettings,
} from './config.js';
export { toSmtpError } from './errors.js';
export {
  rawMessageId,
  type SmtpAddresses,
  type SmtpAttachment,
  type SmtpMessage,
  type SmtpSendResult,
} from './message.js';
export { createSmtpTransport, type SmtpTransport } from './transport.js';
