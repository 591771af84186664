/**
 * The one error type every adapter throws. The mailbox machine reads `code` and `retryable` into its context;
 * the runtime journals them. Messages never contain credentials.
 *
 * @module
 */

/**
 * A failure of a mail service, typed: `code` in UPPER_SNAKE, whether retrying can help, and the mailbox it
 * concerns. Terminal errors (`retryable: false`: a wrong password, a certificate that does not verify) still follow
 * the reconnect pattern of S8–S11 (the operator may fix the server), but they tell a person that waiting alone will
 * not help.
 *
 * @example
 * ```ts
 * throw new MailServiceError({
 *   code: 'AUTH_FAILED',
 *   message: 'IMAP login rejected for support@example.test',
 *   retryable: false,
 *   mailboxId: 'support',
 * });
 * ```
 */
export class MailServiceError extends Error {
  override readonly name = 'MailServiceError';
  /** UPPER_SNAKE, stable: `CONNECTION_REFUSED`, `TLS_CERT_INVALID`, `AUTH_FAILED`, `CONNECTION_LOST`, … */
  readonly code: string;
  /** Whether the same operation may succeed later without anyone changing anything. */
  readonly retryable: boolean;
  /** The configured id of the mailbox, so every log line and status names it. */
  readonly mailboxId: string;

  constructor(init: {
    code: string;
    message: string;
    retryable: boolean;
    mailboxId: string;
    cause?: unknown;
  }) {
    super(`mailbox ${init.mailboxId}: ${init.message}`, init.cause === undefined ? undefined : { cause: init.cause });
    if (!/^[A-Z][A-Z0-9_]*$/.test(init.code)) {
      throw new TypeError(`MailServiceError code must be UPPER_SNAKE, got ${JSON.stringify(init.code)}`);
    }
    this.code = init.code;
    this.retryable = init.retryable;
    this.mailboxId = init.mailboxId;
  }

  /** A plain object for logs and the journal (no stack, no cause, no secrets). */
  toJSON(): { code: string; message: string; retryable: boolean; mailboxId: string } {
    return { code: this.code, message: this.message, retryable: this.retryable, mailboxId: this.mailboxId };
  }
}

/**
 * Whether a value is a {@link MailServiceError} (also across package copies, by shape).
 *
 * @example
 * ```ts
 * if (isMailServiceError(err) && !err.retryable) alertOperator(err);
 * ```
 */
export function isMailServiceError(value: unknown): value is MailServiceError {
  return (
    value instanceof MailServiceError ||
    (typeof value === 'object' &&
      value !== null &&
      (value as { name?: unknown }).name === 'MailServiceError' &&
      typeof (value as { code?: unknown }).code === 'string' &&
      typeof (value as { retryable?: unknown }).retryable === 'boolean')
  );
}

/** Node's socket and TLS error codes, mapped to ours. */
const NETWORK_CODES: Record<string, { code: string; retryable: boolean; what: string }> = {
  ECONNREFUSED: { code: 'CONNECTION_REFUSED', retryable: true, what: 'connection refused' },
  ECONNRESET: { code: 'CONNECTION_RESET', retryable: true, what: 'connection reset by the server' },
  EPIPE: { code: 'CONNECTION_RESET', retryable: true, what: 'connection closed while writing' },
  ETIMEDOUT: { code: 'TIMEOUT', retryable: true, what: 'timed out' },
  ENOTFOUND: { code: 'HOST_NOT_FOUND', retryable: true, what: 'host name not found' },
  EAI_AGAIN: { code: 'HOST_NOT_FOUND', retryable: true, what: 'host name lookup failed (temporary)' },
  EHOSTUNREACH: { code: 'HOST_UNREACHABLE', retryable: true, what: 'host unreachable' },
  ENETUNREACH: { code: 'HOST_UNREACHABLE', retryable: true, what: 'network unreachable' },
  DEPTH_ZERO_SELF_SIGNED_CERT: {
    code: 'TLS_CERT_INVALID',
    retryable: false,
    what: 'server certificate is self-signed',
  },
  SELF_SIGNED_CERT_IN_CHAIN: {
    code: 'TLS_CERT_INVALID',
    retryable: false,
    what: 'server certificate chain ends in an untrusted self-signed CA (set tlsCa to its CA file)',
  },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: {
    code: 'TLS_CERT_INVALID',
    retryable: false,
    what: 'server certificate is not signed by a trusted CA (set tlsCa to its CA file)',
  },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: {
    code: 'TLS_CERT_INVALID',
    retryable: false,
    what: 'issuer of the server certificate is not trusted (set tlsCa to its CA file)',
  },
  CERT_HAS_EXPIRED: { code: 'TLS_CERT_INVALID', retryable: false, what: 'server certificate has expired' },
  CERT_NOT_YET_VALID: { code: 'TLS_CERT_INVALID', retryable: false, what: 'server certificate is not yet valid' },
  ERR_TLS_CERT_ALTNAME_INVALID: {
    code: 'TLS_CERT_INVALID',
    retryable: false,
    what: 'server certificate does not match the host name',
  },
  ERR_SSL_WRONG_VERSION_NUMBER: {
    code: 'TLS_HANDSHAKE_FAILED',
    retryable: false,
    what: 'TLS handshake failed (is the port plaintext? use STARTTLS or the implicit-TLS port)',
  },
};

/**
 * Maps a Node socket/TLS error to a {@link MailServiceError}, or returns `undefined` when it is not one.
 *
 * @example
 * ```ts
 * const typed = fromNetworkError(err, 'support', 'IMAP 127.0.0.1:993') ?? fallback;
 * ```
 */
export function fromNetworkError(error: unknown, mailboxId: string, where: string): MailServiceError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  const known = NETWORK_CODES[code];
  if (!known) return undefined;
  return new MailServiceError({
    code: known.code,
    message: `${where}: ${known.what} (${code})`,
    retryable: known.retryable,
    mailboxId,
    cause: error,
  });
}

/**
 * The one shape of a configuration problem an adapter finds: `CONFIG_INVALID`, not retryable, naming the mailbox and
 * the field (`field: problem`). Every adapter raises it through here (issue 14: it was written out five times).
 *
 * @example
 * ```ts
 * throw configError('support', 'server', 'expected a host name');
 * // MailServiceError: mailbox support: server: expected a host name
 * ```
 */
export function configError(mailboxId: string, field: string, problem: string, cause?: unknown): MailServiceError {
  return new MailServiceError({
    code: 'CONFIG_INVALID',
    message: `${field}: ${problem}`,
    retryable: false,
    mailboxId,
    ...(cause === undefined ? {} : { cause }),
  });
}
