/**
 * Mapping of nodemailer failures to MailServiceError codes (issue 3, item 2). The shapes are those nodemailer 10
 * produced against the harness (see smtp.int.test.ts for the same cases end to end).
 */
import { describe, expect, it } from 'vitest';
import { MailServiceError } from '../../../adapters/errors.js';
import { toSmtpError } from '../../../adapters/smtp/errors.js';

const where = 'SMTP 127.0.0.1:587';
function failure(fields: Record<string, unknown>): Error {
  return Object.assign(new Error(String(fields.message ?? 'failed')), fields);
}

describe('toSmtpError', () => {
  it.each([
    [{ code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' }, 'CONNECTION_REFUSED', true],
    [{ code: 'ESOCKET', originalCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'TLS_CERT_INVALID', false],
    [{ code: 'ESOCKET', originalCode: 'CERT_HAS_EXPIRED' }, 'TLS_CERT_INVALID', false],
    [{ code: 'ESOCKET', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID' }, 'TLS_CERT_INVALID', false],
    [{ code: 'ESOCKET', originalCode: 'ERR_SSL_WRONG_VERSION_NUMBER' }, 'TLS_HANDSHAKE_FAILED', false],
    [{ code: 'ESOCKET', originalCode: 'ECONNRESET' }, 'CONNECTION_RESET', true],
    [{ code: 'ESOCKET', message: 'something odd' }, 'CONNECTION_LOST', true],
    [{ code: 'ETIMEDOUT', message: 'Greeting never received' }, 'TIMEOUT', true],
    [{ code: 'EDNS', originalCode: 'ENOTFOUND' }, 'HOST_NOT_FOUND', true],
    [{ code: 'ECONNECTION', message: 'Connection closed unexpectedly' }, 'CONNECTION_LOST', true],
    [{ code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN' }, 'SMTP_AUTH_FAILED', false],
    [{ code: 'EAUTH', responseCode: 454, command: 'AUTH PLAIN' }, 'SMTP_TEMPORARY', true],
    [{ code: 'ENOAUTH' }, 'SMTP_AUTH_FAILED', false],
    [{ code: 'EENVELOPE', responseCode: 530, command: 'MAIL FROM' }, 'SMTP_AUTH_REQUIRED', false],
    [
      { code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO', rejected: ['x@example.test'] },
      'SMTP_RECIPIENT_REJECTED',
      false,
    ],
    [
      { code: 'EENVELOPE', responseCode: 451, command: 'RCPT TO', rejected: ['x@example.test'] },
      'SMTP_TEMPORARY',
      true,
    ],
    [{ code: 'EENVELOPE', responseCode: 553, command: 'MAIL FROM' }, 'SMTP_PERMANENT', false],
    [{ code: 'EENVELOPE', message: 'No recipients defined' }, 'SMTP_INVALID_MESSAGE', false],
    [{ code: 'EMESSAGE', responseCode: 552, command: 'DATA' }, 'SMTP_PERMANENT', false],
    [{ code: 'EMESSAGE', responseCode: 421, command: 'DATA' }, 'SMTP_TEMPORARY', true],
    [
      { code: 'ETLS', message: 'Error upgrading connection with STARTTLS', command: 'STARTTLS' },
      'STARTTLS_UNAVAILABLE',
      false,
    ],
    [{ code: 'ETLS', message: 'Error initiating TLS - boom', command: 'STARTTLS' }, 'TLS_HANDSHAKE_FAILED', false],
    [{ code: 'EPROTOCOL', message: 'Invalid greeting. response=* OK IMAP' }, 'SMTP_PROTOCOL_ERROR', false],
    [{ code: 'EABORT' }, 'ABORTED', true],
    [{ message: 'no code at all' }, 'SMTP_FAILED', true],
  ])('%j → %s (retryable %s)', (fields, code, retryable) => {
    const error = toSmtpError(failure(fields), 'support', where);
    expect(error).toBeInstanceOf(MailServiceError);
    expect(error).toMatchObject({ code, retryable, mailboxId: 'support' });
    expect(error.message.startsWith(`mailbox support: ${where}: `)).toBe(true);
  });

  it('keeps an error that is already a MailServiceError', () => {
    const typed = new MailServiceError({
      code: 'CONFIG_INVALID',
      message: 'x',
      retryable: false,
      mailboxId: 'support',
    });
    expect(toSmtpError(typed, 'support', where)).toBe(typed);
  });

  it('bounds the quoted server reply to one line', () => {
    const error = toSmtpError(
      failure({ code: 'EAUTH', responseCode: 535, response: `535 ${'x'.repeat(500)}\r\nmore` }),
      's',
      where,
    );
    expect(error.message).not.toContain('more');
    expect(error.message.length).toBeLessThan(300);
  });
});
