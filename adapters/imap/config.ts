/**
 * The configuration of one IMAP mailbox and its defaults.
 *
 * @module
 */
import type { SearchFilter } from '../contract.js';

/**
 * One IMAP mailbox (SPEC S1, S3, S5, S7).
 *
 * @example
 * ```ts
 * const config: ImapMailboxConfig = {
 *   id: 'support', server: 'imaps://mail.example.test:993', user: 'support@example.test', password: 'secret',
 *   unreadOnly: true,
 * };
 * ```
 */
export interface ImapMailboxConfig {
  /** The configured id of the mailbox; named in every error and log line. */
  readonly id: string;
  /**
   * Host name, IP address or URL: `mail.example.test` (implicit TLS, 993), `imaps://host:993` (implicit TLS),
   * `imap://host:143` (STARTTLS, required unless {@link allowPlaintext}).
   */
  readonly server: string;
  readonly user: string;
  readonly password?: string;
  /** OAuth2 (S3, a later issue): a fresh access token per connect, passed to imapflow as `auth.accessToken`. */
  readonly accessToken?: () => Promise<string>;
  /** Folder to watch. Default `INBOX`. */
  readonly folder?: string;
  /** Only unseen messages are candidates (S5). */
  readonly unreadOnly?: boolean;
  /** PEM file of a CA to trust in addition to the system CAs (self-signed company servers). */
  readonly tlsCa?: string;
  /** With `imap://`: talk plaintext instead of requiring STARTTLS. Never implied. */
  readonly allowPlaintext?: boolean;
  /** How often to poll when the server has no IDLE. Default 30 s. */
  readonly pollIntervalMs?: number;
  /** How often to check the server even while idling, so a dead IDLE is noticed. Default 5 min. */
  readonly safetyPollMs?: number;
  /** One deadline for the whole connect (TCP, TLS, greeting, login, folder), and for each check. Default 30 s. */
  readonly connectTimeoutMs?: number;
  /** Attachment bytes `fetchBody` keeps in memory per message; larger parts are left out. Default 25 MiB. */
  readonly maxBodyBytes?: number;
  /**
   * The rules' server-side pre-selection (issue 12 point 3, compiled by the runtime): each discovery SEARCH is the
   * candidates AND this filter, and only the hits are fetched and delivered; the rest of each range is reported to
   * `DiscoverySink.examined`. Unset or `{ op: 'all' }`: every candidate is fetched.
   */
  readonly discoveryFilter?: SearchFilter;
}

/**
 * Defaults of the optional fields of {@link ImapMailboxConfig}.
 *
 * @example
 * ```ts
 * const every = config.safetyPollMs ?? IMAP_DEFAULTS.safetyPollMs; // 5 min
 * ```
 */
export const IMAP_DEFAULTS = {
  folder: 'INBOX',
  pollIntervalMs: 30_000,
  safetyPollMs: 5 * 60_000,
  connectTimeoutMs: 30_000,
  maxBodyBytes: 25 * 1024 * 1024,
} as const;

/**
 * The config with every default filled in (what the adapter works with).
 *
 * @example
 * ```ts
 * const settings = withImapDefaults({ id: 'a', server: 'mail.example.test', user: 'a', password: 'p' });
 * settings.folder; // 'INBOX'
 * ```
 */
export type ImapSettings = ImapMailboxConfig & {
  readonly folder: string;
  readonly unreadOnly: boolean;
  readonly allowPlaintext: boolean;
  readonly pollIntervalMs: number;
  readonly safetyPollMs: number;
  readonly connectTimeoutMs: number;
  readonly maxBodyBytes: number;
};

/**
 * Fills in the defaults of {@link IMAP_DEFAULTS}; a non-positive or non-finite number counts as unset.
 *
 * @example
 * ```ts
 * withImapDefaults({ id: 'a', server: 'h', user: 'u', pollIntervalMs: 0 }).pollIntervalMs; // 30000
 * ```
 */
export function withImapDefaults(config: ImapMailboxConfig): ImapSettings {
  const positive = (value: number | undefined, fallback: number) =>
    typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
  return {
    ...config,
    folder: config.folder && config.folder.length > 0 ? config.folder : IMAP_DEFAULTS.folder,
    unreadOnly: config.unreadOnly === true,
    allowPlaintext: config.allowPlaintext === true,
    pollIntervalMs: positive(config.pollIntervalMs, IMAP_DEFAULTS.pollIntervalMs),
    safetyPollMs: positive(config.safetyPollMs, IMAP_DEFAULTS.safetyPollMs),
    connectTimeoutMs: positive(config.connectTimeoutMs, IMAP_DEFAULTS.connectTimeoutMs),
    maxBodyBytes: positive(config.maxBodyBytes, IMAP_DEFAULTS.maxBodyBytes),
  };
}
