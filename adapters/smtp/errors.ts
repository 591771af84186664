/**
 * Turns nodemailer's SMTP failures into one {@link MailServiceError} each (code, retryable, mailbox).
 *
 * @module
 */
import { fromNetworkError, isMailServiceError, MailServiceError } from '../errors.js';

/** The fields of a nodemailer error this mapping reads. */
interface NodemailerFailure {
  readonly code?: string;
  readonly originalCode?: string;
  readonly responseCode?: number;
  readonly response?: string;
  readonly command?: string;
  readonly message?: string;
  readonly rejected?: readonly string[];
}

/** First line of a server reply, bounded: enough to tell a person what the server said. */
function said(failure: NodemailerFailure): string {
  const text = (failure.response ?? failure.message ?? '').split(/\r?\n/)[0] ?? '';
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/**
 * Maps an error from a nodemailer send or verify. Wrong credentials → `SMTP_AUTH_FAILED` and a required login the
 * mailbox does not give → `SMTP_AUTH_REQUIRED` (not retryable); certificate problems → `TLS_CERT_INVALID`; a
 * required STARTTLS the server does not offer → `STARTTLS_UNAVAILABLE`; socket failures by their Node code
 * (`CONNECTION_REFUSED`, `TIMEOUT`, …); refused recipients → `SMTP_RECIPIENT_REJECTED` (5xx, not retryable);
 * any 4xx reply → `SMTP_TEMPORARY` (retryable); other 5xx replies → `SMTP_PERMANENT`.
 *
 * @example
 * ```ts
 * try { await transport.sendMail(mail); } catch (error) { throw toSmtpError(error, 'support', 'SMTP 127.0.0.1:587'); }
 * ```
 */
export function toSmtpError(error: unknown, mailboxId: string, where: string): MailServiceError {
  if (isMailServiceError(error)) return error as MailServiceError;
  const failure = (
    typeof error === 'object' && error !== null ? error : { message: String(error) }
  ) as NodemailerFailure;
  const make = (code: string, message: string, retryable: boolean) =>
    new MailServiceError({ code, message: `${where}: ${message}`, retryable, mailboxId, cause: error });
  const reply = failure.responseCode;
  const temporary = reply !== undefined && reply >= 400 && reply < 500;

  const network = fromNetworkError({ code: failure.originalCode ?? failure.code }, mailboxId, where);
  if (network !== undefined) {
    return new MailServiceError({
      code: network.code,
      message: network.message.replace(`mailbox ${mailboxId}: `, ''),
      retryable: network.retryable,
      mailboxId,
      cause: error,
    });
  }

  switch (failure.code) {
    case 'EAUTH':
      if (temporary) return make('SMTP_TEMPORARY', `login failed temporarily: ${said(failure)}`, true);
      return make('SMTP_AUTH_FAILED', `login rejected: ${said(failure)}`, false);
    case 'ENOAUTH':
      return make('SMTP_AUTH_FAILED', 'the server asks for a login but the mailbox has no credentials', false);
    case 'EOAUTH2':
      return make('OAUTH_TOKEN_FAILED', `could not obtain an OAuth2 access token: ${said(failure)}`, true);
    case 'ETLS':
      // The server refused the STARTTLS command or never offered it (not a failed handshake after it).
      if (/upgrading connection with STARTTLS|does not support required STARTTLS/i.test(failure.message ?? '')) {
        return make(
          'STARTTLS_UNAVAILABLE',
          `the server does not offer STARTTLS, which this address requires (use smtps:// or, on a trusted network, allowPlaintext): ${said(failure)}`,
          false,
        );
      }
      return make('TLS_HANDSHAKE_FAILED', `TLS failed: ${said(failure)}`, false);
    case 'ETIMEDOUT':
      return make('TIMEOUT', `timed out (${said(failure)})`, true);
    case 'ECONNECTION':
      if (reply === undefined)
        return make('CONNECTION_LOST', `connection closed unexpectedly (${said(failure)})`, true);
      break;
    case 'ESOCKET':
      return make('CONNECTION_LOST', `socket error: ${said(failure)}`, true);
    case 'EDNS':
      return make('HOST_NOT_FOUND', `host name lookup failed: ${said(failure)}`, true);
    case 'EPROTOCOL':
      return make('SMTP_PROTOCOL_ERROR', `the server does not speak SMTP as expected: ${said(failure)}`, false);
    case 'EABORT':
      return make('ABORTED', 'sending was aborted', true);
    case 'EENVELOPE':
      if (reply === 530) {
        return make(
          'SMTP_AUTH_REQUIRED',
          `the server requires a login the mailbox does not give: ${said(failure)}`,
          false,
        );
      }
      if (failure.command === 'RCPT TO' || (failure.rejected?.length ?? 0) > 0) {
        const who = failure.rejected?.join(', ') ?? 'recipients';
        if (temporary) return make('SMTP_TEMPORARY', `recipients deferred (${who}): ${said(failure)}`, true);
        return make('SMTP_RECIPIENT_REJECTED', `recipients rejected (${who}): ${said(failure)}`, false);
      }
      if (failure.command === undefined && reply === undefined) {
        return make('SMTP_INVALID_MESSAGE', `invalid envelope: ${said(failure)}`, false);
      }
      break;
  }
  if (temporary) return make('SMTP_TEMPORARY', `temporary failure: ${said(failure)}`, true);
  if (reply !== undefined && reply >= 500) return make('SMTP_PERMANENT', `refused: ${said(failure)}`, false);
  return make('SMTP_FAILED', `failed: ${said(failure)}`, true);
}
