/**
 * Turns whatever imapflow, Node's sockets or TLS throw into one {@link MailServiceError}.
 *
 * @module
 */
import { fromNetworkError, isMailServiceError, MailServiceError } from '../errors.js';

/**
 * What the mapping needs to know: the mailbox, a label of the server (`IMAP host:port`), the login name (not
 * secret; named in AUTH_FAILED), and whether the failure came while connecting or on an established session
 * (a closed socket is `CONNECTION_CLOSED` while connecting, `CONNECTION_LOST` afterwards).
 *
 * @example
 * ```ts
 * const where: ImapErrorContext = { mailboxId: 'support', where: 'IMAP 127.0.0.1:993', user: 'a', phase: 'connect' };
 * ```
 */
export interface ImapErrorContext {
  readonly mailboxId: string;
  readonly where: string;
  readonly user: string;
  readonly phase: 'connect' | 'session';
}

/** imapflow's own error codes for a connection that went away. */
const CLOSED_CODES = new Set(['NoConnection', 'EConnectionClosed', 'ClosedAfterConnectText', 'ClosedAfterConnectTLS']);
/** imapflow's and Node's timeout codes. */
const TIMEOUT_CODES = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT', 'ETIMEOUT', 'ETIMEDOUT']);

type ErrorLike = {
  code?: unknown;
  message?: unknown;
  authenticationFailed?: unknown;
  tlsFailed?: unknown;
  mailboxMissing?: unknown;
  serverResponseCode?: unknown;
  _err?: unknown;
  cause?: unknown;
};

/** The error itself, then what it wraps (imapflow keeps the original as `_err`, Node as `cause`). */
function chain(error: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && out.length < 5) {
    out.push(current as ErrorLike);
    const next: unknown = (current as ErrorLike)._err ?? (current as ErrorLike).cause;
    if (next === current) break;
    current = next;
  }
  return out;
}

/**
 * Maps an error to a typed {@link MailServiceError}: socket and certificate errors through `fromNetworkError`
 * (TLS_CERT_INVALID tells to set `tlsCa`), rejected logins to AUTH_FAILED (not retryable), a required STARTTLS
 * the server does not offer to STARTTLS_UNAVAILABLE, a missing folder to FOLDER_NOT_FOUND, timeouts to TIMEOUT,
 * a closed connection to CONNECTION_CLOSED/CONNECTION_LOST; anything else to IMAP_ERROR (retryable).
 * Messages never contain the password or token.
 *
 * @example
 * ```ts
 * try { await client.connect(); } catch (err) { throw toImapError(err, context); }
 * ```
 */
export function toImapError(error: unknown, context: ImapErrorContext): MailServiceError {
  if (isMailServiceError(error)) return error as MailServiceError;
  const { mailboxId, where } = context;
  const make = (code: string, message: string, retryable: boolean) =>
    new MailServiceError({ code, message: `${where}: ${message}`, retryable, mailboxId, cause: error });
  const links = chain(error);
  for (const link of links) {
    const network = fromNetworkError(link, mailboxId, where);
    if (network) return network;
  }
  const first = links[0] ?? {};
  const code = typeof first.code === 'string' ? first.code : '';
  const text = typeof first.message === 'string' ? first.message : String(error);
  if (first.authenticationFailed === true) {
    const reason = typeof first.serverResponseCode === 'string' ? ` [${first.serverResponseCode}]` : '';
    if (first.serverResponseCode === 'UNAVAILABLE') {
      return make('AUTH_UNAVAILABLE', `the login service is temporarily unavailable${reason}`, true);
    }
    return make('AUTH_FAILED', `login rejected for ${context.user}${reason}`, false);
  }
  if (first.tlsFailed === true && /STARTTLS/i.test(text)) {
    return make(
      'STARTTLS_UNAVAILABLE',
      `the server does not offer STARTTLS, which imap:// requires (use imaps:// or, on a trusted network, allowPlaintext)`,
      false,
    );
  }
  if (code === 'STARTTLS_INJECTION')
    return make('TLS_HANDSHAKE_FAILED', 'data injected before the TLS handshake', false);
  if (first.mailboxMissing === true) return make('FOLDER_NOT_FOUND', 'the folder does not exist', false);
  if (TIMEOUT_CODES.has(code)) return make('TIMEOUT', `timed out (${code})`, true);
  if (CLOSED_CODES.has(code)) {
    return context.phase === 'connect'
      ? make('CONNECTION_CLOSED', 'the server closed the connection while connecting', true)
      : make('CONNECTION_LOST', 'the connection was lost', true);
  }
  if (code === 'ETHROTTLE') return make('THROTTLED', 'the server is throttling this client', true);
  if (first.tlsFailed === true) return make('TLS_HANDSHAKE_FAILED', `TLS failed: ${oneLine(text)}`, false);
  return make('IMAP_ERROR', oneLine(text), true);
}

/** First line of a message, bounded, so a server's multi-line text does not flood a status line. */
function oneLine(text: string): string {
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
