/**
 * The configuration of one POP3 mailbox: its fields, defaults and validation (SPEC S3, S5, S6, S7).
 *
 * @module
 */
import { MailServiceError } from '../errors.js';
import { parseServerAddress, type ServerAddress } from '../server-address.js';

/**
 * One POP3 mailbox. POP3 has no `unreadOnly` and no folders (S5): every message in the maildrop is examined each
 * cycle, and handled messages are remembered by UIDL (S6).
 *
 * @example
 * ```ts
 * const config: Pop3MailboxConfig = {
 *   id: 'bounces', server: 'pop3s://mail.example.test', user: 'bounces@example.test', password: 'secret',
 *   tlsCa: './ca.pem', pollIntervalMs: 60_000,
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
  readonly allowPlaintext?: boolean;
  /** Time between the starts of two cycles (one POP3 session each). Default 60 s. */
  readonly pollIntervalMs?: number;
  /** One deadline for opening a session: TCP, TLS, greeting, STLS, login. Default 30 s. */
  readonly connectTimeoutMs?: number;
  /** A command fails with TIMEOUT when the server sends nothing for this long while it runs. Default 60 s. */
  readonly commandTimeoutMs?: number;
  /** Attachment bytes `fetchBody` keeps in memory per message; larger parts are left out. Default 25 MiB. */
  readonly maxBodyBytes?: number;
}

/**
 * Defaults of the optional fields of {@link Pop3MailboxConfig}.
 *
 * @example
 * ```ts
 * POP3_DEFAULTS.pollIntervalMs; // 60000
 * ```
 */
export const POP3_DEFAULTS = {
  pollIntervalMs: 60_000,
  connectTimeoutMs: 30_000,
  commandTimeoutMs: 60_000,
  maxBodyBytes: 25 * 1024 * 1024,
} as const;

/**
 * The config with every default filled in and the server address parsed (what the adapter works with).
 *
 * @example
 * ```ts
 * const settings = validatePop3Config({ id: 'a', server: 'pop3s://127.0.0.1:995', user: 'a', password: 'p' });
 * settings.address; // { host: '127.0.0.1', port: 995, tls: 'implicit' }
 * ```
 */
export type Pop3Settings = Pop3MailboxConfig & {
  readonly address: ServerAddress;
  readonly allowPlaintext: boolean;
  readonly pollIntervalMs: number;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly maxBodyBytes: number;
};

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

function configError(mailboxId: string, field: string, problem: string, cause?: unknown): MailServiceError {
  return new MailServiceError({
    code: 'CONFIG_INVALID',
    message: `${field}: ${problem}`,
    retryable: false,
    mailboxId,
    ...(cause === undefined ? {} : { cause }),
  });
}

const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/i;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, min: 60_000, h: 3_600_000 };

/**
 * A duration as the config file writes it (`30s`, `5m`, `1h`, `500ms`, or a number of milliseconds), in ms.
 *
 * @example
 * ```ts
 * parseDuration('30s'); // 30000
 * ```
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = DURATION.exec(value);
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[(match[2] ?? 'ms').toLowerCase()]!;
  return ms > 0 ? ms : undefined;
}

/**
 * Checks a POP3 mailbox's config (as read from a file or given by a host program) and fills in the defaults.
 * Throws a {@link MailServiceError} with code `CONFIG_INVALID` (not retryable) whose message names the mailbox and
 * the field — for `unreadOnly` it explains S5. Keys that belong to the runtime (`service`, `rules`, `smtp`, …) are
 * left alone; `pollInterval` (a duration such as `30s`) is accepted for `pollIntervalMs`.
 *
 * @example
 * ```ts
 * validatePop3Config({ id: 'bounces', server: 'pop3s://mail.example.test', user: 'b', password: 'p', unreadOnly: true });
 * // throws: mailbox bounces: unreadOnly: POP3 has no unread-only mode (SPEC S5) …
 * ```
 */
export function validatePop3Config(raw: unknown): Pop3Settings {
  if (typeof raw !== 'object' || raw === null) {
    throw configError('(no id)', 'config', 'a POP3 mailbox must be an object');
  }
  const config = raw as Record<string, unknown>;
  const id = typeof config.id === 'string' && config.id.trim().length > 0 ? config.id : undefined;
  if (id === undefined) throw configError('(no id)', 'id', 'must be a non-empty string');
  if (config.service !== undefined && config.service !== 'pop3') {
    throw configError(id, 'service', `is ${JSON.stringify(config.service)}, this is the POP3 adapter`);
  }
  if (config.unreadOnly !== undefined) {
    throw configError(
      id,
      'unreadOnly',
      'POP3 has no unread-only mode (SPEC S5): a POP3 server keeps no read state, so every message in the maildrop ' +
        'is examined each cycle, and messages already handled are remembered by UIDL and not handled again (S6). ' +
        'Remove unreadOnly; to keep the maildrop empty, give a rule the actions [forward, delete].',
    );
  }
  if (config.folder !== undefined && String(config.folder).toUpperCase() !== 'INBOX') {
    throw configError(id, 'folder', 'POP3 has no folders: a maildrop is a single inbox. Remove folder.');
  }
  if (typeof config.user !== 'string' || config.user.length === 0) {
    throw configError(id, 'user', 'must be a non-empty string');
  }
  if (config.password !== undefined && typeof config.password !== 'string') {
    throw configError(id, 'password', 'must be a string');
  }
  if (config.accessToken !== undefined && typeof config.accessToken !== 'function') {
    throw configError(id, 'accessToken', 'must be a function returning a promise of the token');
  }
  if (config.password === undefined && config.accessToken === undefined) {
    throw configError(id, 'password', 'give a password, or an accessToken provider for OAuth2');
  }
  if (config.password !== undefined && config.accessToken !== undefined) {
    throw configError(id, 'accessToken', 'give either password or accessToken, not both');
  }
  if (config.tlsCa !== undefined && (typeof config.tlsCa !== 'string' || config.tlsCa.length === 0)) {
    throw configError(id, 'tlsCa', 'must be the path of a PEM file');
  }
  if (config.allowPlaintext !== undefined && typeof config.allowPlaintext !== 'boolean') {
    throw configError(id, 'allowPlaintext', 'must be true or false');
  }
  const allowPlaintext = config.allowPlaintext === true;
  let address: ServerAddress;
  try {
    address = parseServerAddress(
      typeof config.server === 'string' ? config.server : '',
      pop3AddressOptions(allowPlaintext),
    );
  } catch (error) {
    throw configError(id, 'server', (error as Error).message, error);
  }
  const positive = (field: string, value: unknown, fallback: number): number => {
    if (value === undefined) return fallback;
    const ms = parseDuration(value);
    if (ms === undefined) throw configError(id, field, `must be a positive number, got ${JSON.stringify(value)}`);
    return ms;
  };
  const bytes = (value: unknown): number => {
    if (value === undefined) return POP3_DEFAULTS.maxBodyBytes;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw configError(id, 'maxBodyBytes', `must be a positive number of bytes, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  const pollIntervalMs =
    config.pollIntervalMs !== undefined
      ? positive('pollIntervalMs', config.pollIntervalMs, POP3_DEFAULTS.pollIntervalMs)
      : positive('pollInterval', config.pollInterval, POP3_DEFAULTS.pollIntervalMs);
  return {
    id,
    server: config.server as string,
    user: config.user,
    ...(config.password !== undefined ? { password: config.password as string } : {}),
    ...(config.accessToken !== undefined ? { accessToken: config.accessToken as () => Promise<string> } : {}),
    ...(config.tlsCa !== undefined ? { tlsCa: config.tlsCa as string } : {}),
    address,
    allowPlaintext,
    pollIntervalMs,
    connectTimeoutMs: positive('connectTimeoutMs', config.connectTimeoutMs, POP3_DEFAULTS.connectTimeoutMs),
    commandTimeoutMs: positive('commandTimeoutMs', config.commandTimeoutMs, POP3_DEFAULTS.commandTimeoutMs),
    maxBodyBytes: bytes(config.maxBodyBytes),
  };
}
