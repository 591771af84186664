/**
 * The resolved settings of one POP3 mailbox and the adapter's preconditions on them (SPEC S3, S5, S6, S7). Every
 * default and every check a config file can fail live in the config schema (runtime/config/schema.ts, issue 14
 * point 2: POP3's missing unread-only mode and folders included); this module defaults nothing.
 *
 * @module
 */
import { configError } from '../errors.js';
import { parseServerAddress, type ServerAddress } from '../server-address.js';

/**
 * One POP3 mailbox. POP3 has no `unreadOnly` and no folders (S5): every message in the maildrop is examined each
 * cycle, and handled messages are remembered by UIDL (S6).
 *
 * @example
 * ```ts
 * const config: Pop3MailboxConfig = {
 *   id: 'bounces', server: 'pop3s://mail.example.test', user: 'bounces@example.test', password: 'secret',
 *   tlsCa: './ca.pem', allowPlaintext: false,
 *   pollIntervalMs: 60_000, connectTimeoutMs: 30_000, commandTimeoutMs: 60_000, maxBodyBytes: 26_214_400,
 * };
 * ```
 */
export interface Pop3MailboxConfig {
  /** The configured id of the mailbox; named in every error and log line. */
  readonly id: string;
  /**
   * Host name, IP address or URL: `mail.example.test` (implicit TLS, 995), `pop3s://host:995` (implicit TLS),
   * `pop3://host:110` (STLS, required unless {@link allowPlaintext}).
   */
  readonly server: string;
  readonly user: string;
  readonly password?: string;
  /** OAuth2 (S3): a fresh access token per session, sent with `AUTH XOAUTH2` instead of USER/PASS. */
  readonly accessToken?: () => Promise<string>;
  /** PEM file of a CA to trust in addition to the system CAs (self-signed company servers). */
  readonly tlsCa?: string;
  /** With `pop3://`: talk plaintext instead of requiring STLS. Never implied. */
  readonly allowPlaintext: boolean;
  /** Time between the starts of two cycles (one POP3 session each): `pollInterval`. */
  readonly pollIntervalMs: number;
  /** One deadline for opening a session: TCP, TLS, greeting, STLS, login (`connectTimeout`). */
  readonly connectTimeoutMs: number;
  /** A command fails with TIMEOUT when the server sends nothing for this long while it runs (`commandTimeout`). */
  readonly commandTimeoutMs: number;
  /** Attachment bytes `fetchBody` keeps in memory per message; larger parts are left out (`maxBodyBytes`). */
  readonly maxBodyBytes: number;
}

/**
 * The settings with the server address parsed (what the adapter works with).
 *
 * @example
 * ```ts
 * const settings = validatePop3Config({ ...settings, server: 'pop3s://127.0.0.1:995' });
 * settings.address; // { host: '127.0.0.1', port: 995, tls: 'implicit' }
 * ```
 */
export type Pop3Settings = Pop3MailboxConfig & { readonly address: ServerAddress };

/**
 * How POP3 reads server addresses with the shared parser: pop3s:// (995) and pop3:// (110, STLS).
 *
 * @example
 * ```ts
 * parseServerAddress('pop3://127.0.0.1:1110', pop3AddressOptions(false)); // { host: '127.0.0.1', port: 1110, tls: 'starttls' }
 * ```
 */
export function pop3AddressOptions(allowPlaintext: boolean) {
  return {
    defaultPortTls: 995,
    defaultPortPlain: 110,
    schemes: { implicit: 'pop3s', starttls: 'pop3' },
    allowPlaintext,
  } as const;
}

/**
 * Checks the adapter's preconditions on resolved settings (a host that builds them by hand gets the same
 * field-naming errors as a config file) and parses the server address. Throws a {@link MailServiceError} with code
 * `CONFIG_INVALID` (not retryable) naming the mailbox and the field. It fills in nothing: a missing number is an
 * error here, its default is the schema's.
 *
 * @example
 * ```ts
 * validatePop3Config({ ...settings, user: '' });
 * // throws: mailbox bounces: user: must be a non-empty string
 * ```
 */
export function validatePop3Config(config: Pop3MailboxConfig): Pop3Settings {
  const id = typeof config.id === 'string' && config.id.trim().length > 0 ? config.id : undefined;
  if (id === undefined) throw configError('(no id)', 'id', 'must be a non-empty string');
  if (typeof config.user !== 'string' || config.user.length === 0) {
    throw configError(id, 'user', 'must be a non-empty string');
  }
  if (config.password === undefined && config.accessToken === undefined) {
    throw configError(id, 'password', 'give a password, or an accessToken provider for OAuth2');
  }
  if (config.password !== undefined && config.accessToken !== undefined) {
    throw configError(id, 'accessToken', 'give either password or accessToken, not both');
  }
  for (const field of ['pollIntervalMs', 'connectTimeoutMs', 'commandTimeoutMs', 'maxBodyBytes'] as const) {
    const value = config[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw configError(id, field, `must be a positive number, got ${JSON.stringify(value)}`);
    }
  }
  let address: ServerAddress;
  try {
    address = parseServerAddress(config.server, pop3AddressOptions(config.allowPlaintext === true));
  } catch (error) {
    throw configError(id, 'server', (error as Error).message, error);
  }
  return { ...config, allowPlaintext: config.allowPlaintext === true, address };
}
