/**
 * Every failure becomes one typed MailServiceError (code, retryable, mailbox named, no secrets).
 */
import { describe, expect, it } from 'vitest';
import { MailServiceError } from '../../../adapters/errors.js';
import { type ImapErrorContext, toImapError } from '../../../adapters/imap/errors.js';

const connect: ImapErrorContext = {
  mailboxId: 'support',
  where: 'IMAP 127.0.0.1:1993',
  user: 'support@example.test',
  phase: 'connect',
};
const session: ImapErrorContext = { ...connect, phase: 'session' };
const err = (message: string, props: Record<string, unknown> = {}) => Object.assign(new Error(message), props);

describe('toImapError', () => {
  it.each([
    ['refused', err('connect ECONNREFUSED', { code: 'ECONNREFUSED' }), 'CONNECTION_REFUSED', true],
    ['reset', err('read ECONNRESET', { code: 'ECONNRESET' }), 'CONNECTION_RESET', true],
    ['imapflow connect timeout', err('Timeout', { code: 'CONNECT_TIMEOUT' }), 'TIMEOUT', true],
    ['greeting timeout', err('no greeting', { code: 'GREETING_TIMEOUT' }), 'TIMEOUT', true],
    ['wrong CA', err('self-signed', { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), 'TLS_CERT_INVALID', false],
    [
      'wrong CA (STARTTLS)',
      err('x', { code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', tlsFailed: true }),
      'TLS_CERT_INVALID',
      false,
    ],
    ['wrong host name', err('altname', { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), 'TLS_CERT_INVALID', false],
    ['TLS to a plaintext port', err('x', { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }), 'TLS_HANDSHAKE_FAILED', false],
    [
      'wrapped socket error',
      err('proxy', { code: 'ProxyError', _err: err('x', { code: 'ECONNREFUSED' }) }),
      'CONNECTION_REFUSED',
      true,
    ],
    [
      'STARTTLS required, not offered',
      err('Server does not support STARTTLS', { tlsFailed: true }),
      'STARTTLS_UNAVAILABLE',
      false,
    ],
    ['login rejected', err('Authentication failed', { authenticationFailed: true }), 'AUTH_FAILED', false],
    [
      'login service down',
      err('x', { authenticationFailed: true, serverResponseCode: 'UNAVAILABLE' }),
      'AUTH_UNAVAILABLE',
      true,
    ],
    ['missing folder', err('x', { mailboxMissing: true }), 'FOLDER_NOT_FOUND', false],
    ['throttled', err('x', { code: 'ETHROTTLE' }), 'THROTTLED', true],
    ['closed while connecting', err('Connection not available', { code: 'NoConnection' }), 'CONNECTION_CLOSED', true],
    ['anything else', err('Unexpected'), 'IMAP_ERROR', true],
  ])('%s → %s', (_, error, code, retryable) => {
    const typed = toImapError(error, connect);
    expect(typed).toBeInstanceOf(MailServiceError);
    expect(typed).toMatchObject({ code, retryable, mailboxId: 'support' });
    expect(typed.message).toMatch(/^mailbox support: IMAP 127\.0\.0\.1:1993: /);
  });

  it('a closed connection on an established session is CONNECTION_LOST (retryable)', () => {
    expect(toImapError(err('x', { code: 'NoConnection' }), session)).toMatchObject({
      code: 'CONNECTION_LOST',
      retryable: true,
    });
  });

  it('tells to set tlsCa when the certificate is not trusted, and names the user on AUTH_FAILED', () => {
    expect(toImapError(err('x', { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), connect).message).toMatch(/set tlsCa/);
    expect(toImapError(err('x', { authenticationFailed: true }), connect).message).toMatch(/support@example\.test/);
  });

  it('passes a MailServiceError through unchanged', () => {
    const typed = new MailServiceError({ code: 'TIMEOUT', message: 'm', retryable: true, mailboxId: 'support' });
    expect(toImapError(typed, connect)).toBe(typed);
  });

  it('keeps server text to one bounded line', () => {
    const typed = toImapError(err(`first line\r\nsecond ${'x'.repeat(500)}`), connect);
    expect(typed.message).not.toMatch(/second/);
    expect(toImapError(err('y'.repeat(500)), connect).message.length).toBeLessThan(300);
  });
});
