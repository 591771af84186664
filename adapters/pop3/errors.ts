/**
 * POP3 failures as {@link MailServiceError}s: `-ERR` replies (with the response codes of RFC 2449 §8 and
 * RFC 3206), lost connections, timeouts and TLS failures. Pure: no sockets here.
 *
 * @module
 */
import { fromNetworkError, MailServiceError } from '../errors.js';

/**
 * A POP3 command that got `-ERR`, typed: `code` says what it means for the mailbox (`MAILDROP_LOCKED`,
 * `AUTH_FAILED`, `POP3_COMMAND_FAILED`, …); `command` is the command name and `serverText` what the server said.
 *
 * @example
 * ```ts
 * if (error instanceof Pop3CommandError && error.command === 'UIDL') useFallbackIdentity();
 * ```
 */
export class Pop3CommandError extends MailServiceError {
  /** The command's name (`UIDL`, `PASS`, …), never its arguments (they may be secrets). */
  readonly command: string;
  /** The server's text after `-ERR`, trimmed and shortened; it never contains what the client sent. */
  readonly serverText: string;

  constructor(init: {
    code: string;
    message: string;
    retryable: boolean;
    mailboxId: string;
    command: string;
    serverText: string;
  }) {
    super(init);
    this.command = init.command;
    this.serverText = init.serverText;
  }
}

/** Longest server text kept in an error message. */
const MAX_SERVER_TEXT = 200;

/**
 * The server's text, printable and short: servers may echo odd bytes, and logs should stay one line.
 *
 * @example
 * ```ts
 * cleanServerText('[IN-USE] Mailbox locked\u0007'); // '[IN-USE] Mailbox locked'
 * ```
 */
export function cleanServerText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const printable = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return printable.length > MAX_SERVER_TEXT ? `${printable.slice(0, MAX_SERVER_TEXT)}…` : printable;
}

/**
 * The response code in brackets at the start of an `-ERR` text (RFC 2449 §8: `[IN-USE]`, `[LOGIN-DELAY]`,
 * RFC 3206: `[SYS/TEMP]`, `[SYS/PERM]`, `[AUTH]`), upper-cased, or `null`.
 *
 * @example
 * ```ts
 * responseCode('[IN-USE] Mailbox is locked'); // 'IN-USE'
 * ```
 */
export function responseCode(text: string): string | null {
  const match = /^\s*\[([A-Za-z0-9/_-]+)\]/.exec(text);
  return match ? match[1]!.toUpperCase() : null;
}

const AUTH_COMMANDS = new Set(['USER', 'PASS', 'AUTH', 'APOP']);

/**
 * Turns an `-ERR` reply into a typed error. The maildrop being locked by another client (`[IN-USE]`) is
 * retryable; a rejected login is not (a person must fix the password); other command failures are retryable.
 *
 * @example
 * ```ts
 * const error = errorFromReply({ mailboxId: 'inbox', where: 'POP3 127.0.0.1:995', command: 'PASS',
 *   text: '[IN-USE] Mailbox is locked' });
 * error.code; // 'MAILDROP_LOCKED'
 * ```
 */
export function errorFromReply(input: {
  mailboxId: string;
  where: string;
  command: string;
  text: string;
  user?: string;
}): Pop3CommandError {
  const serverText = cleanServerText(input.text);
  const said = serverText.length > 0 ? `: server said "${serverText}"` : '';
  const base = { mailboxId: input.mailboxId, command: input.command, serverText };
  const code = responseCode(serverText);
  if (code === 'IN-USE') {
    return new Pop3CommandError({
      ...base,
      code: 'MAILDROP_LOCKED',
      retryable: true,
      message: `${input.where}: the maildrop is locked by another POP3 session${said}`,
    });
  }
  if (code === 'LOGIN-DELAY') {
    return new Pop3CommandError({
      ...base,
      code: 'LOGIN_DELAY',
      retryable: true,
      message: `${input.where}: the server asks to wait before logging in again${said}`,
    });
  }
  if (code === 'SYS/TEMP') {
    return new Pop3CommandError({
      ...base,
      code: 'SERVER_UNAVAILABLE',
      retryable: true,
      message: `${input.where}: temporary server failure on ${input.command}${said}`,
    });
  }
  if (code === 'SYS/PERM') {
    return new Pop3CommandError({
      ...base,
      code: 'SERVER_REFUSED',
      retryable: false,
      message: `${input.where}: permanent server failure on ${input.command}${said}`,
    });
  }
  if (code === 'AUTH' || AUTH_COMMANDS.has(input.command)) {
    const who = input.user ? ` for ${input.user}` : '';
    return new Pop3CommandError({
      ...base,
      code: 'AUTH_FAILED',
      retryable: false,
      message: `${input.where}: POP3 login rejected${who} (check user and password)${said}`,
    });
  }
  return new Pop3CommandError({
    ...base,
    code: 'POP3_COMMAND_FAILED',
    retryable: true,
    message: `${input.where}: ${input.command} failed${said}`,
  });
}

/** Node's TLS verification codes that {@link fromNetworkError} does not list: all mean "certificate not trusted". */
const OTHER_CERT_CODES = /^(CERT_|ERR_TLS_CERT|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|INVALID_CA|HOSTNAME_MISMATCH)/;

/**
 * Turns a socket, TLS or timeout failure into a typed error. `phase` says whether the session was being opened
 * (connect) or was in use (a failure then means the connection was lost).
 *
 * @example
 * ```ts
 * socket.on('error', (e) => fail(errorFromTransport(e, { mailboxId: 'inbox', where: 'POP3 127.0.0.1:995', phase: 'connect' })));
 * ```
 */
export function errorFromTransport(
  error: unknown,
  context: { mailboxId: string; where: string; phase: 'connect' | 'session' },
): MailServiceError {
  if (error instanceof MailServiceError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  if (context.phase === 'session') {
    // Whatever the socket says (reset, EOF, timeout), for the machine a session in use was lost (S8: backoff).
    return new MailServiceError({
      code: 'CONNECTION_LOST',
      message: `${context.where}: connection lost (${typeof code === 'string' ? code : detail})`,
      retryable: true,
      mailboxId: context.mailboxId,
      cause: error,
    });
  }
  const known = fromNetworkError(error, context.mailboxId, context.where);
  if (known) return known;
  if (typeof code === 'string' && OTHER_CERT_CODES.test(code)) {
    return new MailServiceError({
      code: 'TLS_CERT_INVALID',
      message: `${context.where}: server certificate not accepted (${code}; set tlsCa to the CA file if the server uses its own CA)`,
      retryable: false,
      mailboxId: context.mailboxId,
      cause: error,
    });
  }
  if (typeof code === 'string' && code.startsWith('ERR_SSL')) {
    return new MailServiceError({
      code: 'TLS_HANDSHAKE_FAILED',
      message: `${context.where}: TLS handshake failed (${code})`,
      retryable: false,
      mailboxId: context.mailboxId,
      cause: error,
    });
  }
  return new MailServiceError({
    code: 'CONNECTION_LOST',
    message: `${context.where}: connection lost while connecting (${detail})`,
    retryable: true,
    mailboxId: context.mailboxId,
    cause: error,
  });
}
