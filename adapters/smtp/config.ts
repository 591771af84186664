/**
 * The SMTP configuration of a mailbox (SPEC S3, S7) and its validation, done before anything connects.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import type { SecureContext } from 'node:tls';
import { configError, type MailServiceError } from '../errors.js';
import { parseServerAddress, type ServerAddress, type ServerAddressOptions } from '../server-address.js';
import { secureContextTrusting } from '../tls-context.js';

/**
 * The SMTP side of a mailbox.
 *
 * @example
 * ```ts
 * const config: SmtpConfig = {
 *   server: 'smtp://mail.example.test:587', user: 'support@example.test', password: 'secret',
 *   tlsCa: '/etc/ssl/company-ca.pem', connectionTimeoutMs: 30_000,
 * };
 * ```
 */
export interface SmtpConfig {
  /**
   * Host name, IP address or URL: `mail.example.test` (implicit TLS, 465), `host:587` or `smtp://host:587`
   * (STARTTLS, required unless {@link allowPlaintext}), `smtps://host:465` (implicit TLS).
   */
  readonly server: string;
  readonly user?: string;
  readonly password?: string;
  /** PEM file of a CA to trust in addition to the system CAs (self-signed company servers). */
  readonly tlsCa?: string;
  /** With a STARTTLS address: talk plaintext instead of requiring STARTTLS. Never implied. */
  readonly allowPlaintext?: boolean;
  /**
   * Deadline for connect + TLS + greeting, and for inactivity during a send. The runtime passes the mailbox's
   * resolved `connectTimeout` (the config schema holds the default; the adapter sets none).
   */
  readonly connectionTimeoutMs: number;
  /**
   * OAuth2 (S3): a fresh access token per connection, sent as XOAUTH2 for `user`. After the server refuses a token
   * (535) it is called once more with `{ forceRefresh: true }` and the renewed token is tried (issue 7).
   */
  readonly accessToken?: (options?: { readonly forceRefresh?: boolean }) => Promise<string>;
}

/** How SMTP reads server addresses: 465 implicit TLS; 587 and 25 STARTTLS. */
export const SMTP_ADDRESS_OPTIONS: ServerAddressOptions = {
  defaultPortTls: 465,
  defaultPortPlain: 587,
  schemes: { implicit: 'smtps', starttls: 'smtp' },
  starttlsPorts: [587, 25],
};

/**
 * A validated configuration: what the transport works with.
 *
 * @example
 * ```ts
 * const settings: SmtpSettings = resolveSmtpSettings({ server: 'smtps://127.0.0.1:4650' }, 'support');
 * settings.address.tls; // 'implicit'
 * ```
 */
export interface SmtpSettings {
  readonly address: ServerAddress;
  readonly auth:
    | { readonly kind: 'none' }
    | { readonly kind: 'password'; readonly user: string; readonly password: string }
    | {
        readonly kind: 'oauth2';
        readonly user: string;
        readonly accessToken: (options?: { readonly forceRefresh?: boolean }) => Promise<string>;
      };
  /**
   * TLS context trusting the system CAs plus `tlsCa`, built once (parsing ~150 root certificates per connection
   * would cost more than the handshake); undefined means Node's defaults.
   */
  readonly secureContext: SecureContext | undefined;
  readonly timeoutMs: number;
}

/**
 * Validates a {@link SmtpConfig}; every problem is a `CONFIG_INVALID` {@link MailServiceError} (not retryable)
 * naming the mailbox and the field, raised before any connection.
 *
 * @example
 * ```ts
 * resolveSmtpSettings({ server: 'imap://mail.example.test' }, 'support');
 * // throws MailServiceError CONFIG_INVALID: "mailbox support: smtp.server: the scheme must be smtps:// or smtp://"
 * ```
 */
export function resolveSmtpSettings(config: SmtpConfig, mailboxId: string): SmtpSettings {
  let address: ServerAddress;
  try {
    address = parseServerAddress(config.server ?? '', {
      ...SMTP_ADDRESS_OPTIONS,
      allowPlaintext: config.allowPlaintext === true,
    });
  } catch (error) {
    throw configError(mailboxId, 'smtp.server', (error as Error).message, error);
  }

  let auth: SmtpSettings['auth'] = { kind: 'none' };
  if (config.accessToken !== undefined) {
    if (!config.user)
      throw configError(mailboxId, 'smtp.user', 'accessToken needs user (the account the token is for)');
    if (config.password !== undefined)
      throw configError(mailboxId, 'smtp.password', 'give either password or accessToken, not both');
    auth = { kind: 'oauth2', user: config.user, accessToken: config.accessToken };
  } else if (config.password !== undefined) {
    if (!config.user) throw configError(mailboxId, 'smtp.user', 'password is set but user is missing');
    auth = { kind: 'password', user: config.user, password: config.password };
  } else if (config.user) {
    throw configError(mailboxId, 'smtp.password', 'user is set but neither password nor accessToken');
  }

  let secureContext: SecureContext | undefined;
  if (config.tlsCa !== undefined) {
    let pem: string;
    try {
      pem = readFileSync(config.tlsCa, 'utf8');
    } catch (error) {
      throw configError(mailboxId, 'smtp.tlsCa', `file ${JSON.stringify(config.tlsCa)} cannot be read`, error);
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw configError(mailboxId, 'smtp.tlsCa', `file ${JSON.stringify(config.tlsCa)} holds no PEM certificate`);
    }
    // Node's `ca` replaces the system CAs; a company CA is meant in addition to them.
    try {
      secureContext = secureContextTrusting(pem);
    } catch (error) {
      throw configError(
        mailboxId,
        'smtp.tlsCa',
        `file ${JSON.stringify(config.tlsCa)} holds no usable certificate`,
        error,
      );
    }
  }

  const timeout = config.connectionTimeoutMs;
  if (!(Number.isFinite(timeout) && timeout > 0)) {
    throw configError(
      mailboxId,
      'smtp.connectionTimeoutMs',
      `must be a positive number of milliseconds, got ${timeout}`,
    );
  }
  return { address, auth, secureContext, timeoutMs: timeout };
}
