/**
 * The resolved settings of one IMAP mailbox. Defaults live in the config schema only (issue 14 point 2).
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
 *   folder: 'INBOX', unreadOnly: true, allowPlaintext: false,
 *   pollIntervalMs: 60_000, safetyPollMs: 300_000, connectTimeoutMs: 30_000, maxBodyBytes: 26_214_400,
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
  /** Folder to watch (the schema's default: `INBOX`). */
  readonly folder: string;
  /** Only unseen messages are candidates (S5). */
  readonly unreadOnly: boolean;
  /** PEM file of a CA to trust in addition to the system CAs (self-signed company servers). */
  readonly tlsCa?: string;
  /** With `imap://`: talk plaintext instead of requiring STARTTLS. Never implied. */
  readonly allowPlaintext: boolean;
  /** How often to poll when the server has no IDLE (`pollInterval`). */
  readonly pollIntervalMs: number;
  /** How often to check the server even while idling, so a dead IDLE is noticed (`safetyPoll`). */
  readonly safetyPollMs: number;
  /** One deadline for the whole connect (TCP, TLS, greeting, login, folder), and for each check (`connectTimeout`). */
  readonly connectTimeoutMs: number;
  /** Attachment bytes `fetchBody` keeps in memory per message; larger parts are left out (`maxBodyBytes`). */
  readonly maxBodyBytes: number;
  /**
   * The rules' server-side pre-selection (issue 12 point 3, compiled by the runtime): each discovery SEARCH is the
   * candidates AND this filter, and only the hits are fetched and delivered; the rest of each range is reported to
   * `DiscoverySink.examined`. Unset or `{ op: 'all' }`: every candidate is fetched.
   */
  readonly discoveryFilter?: SearchFilter;
  /**
   * Discovery also fetches BODYSTRUCTURE, so `attachment:` rule conditions are answered by the server without
   * downloading messages (issue 15 point 6). Set by the runtime when a rule tests attachments.
   */
  readonly discoverAttachments?: boolean;
  /**
   * Read-only (`run --once --dry-run`, issue 15): the folder is opened with EXAMINE, never SELECT, and every fetch
   * is a PEEK, so not even \Seen changes. Not a config key: only the dry run sets it.
   */
  readonly readOnly: boolean;
}

/**
 * What the adapter works with: the resolved settings of one mailbox. Every value comes from the config schema
 * (runtime/config/schema.ts, the one place of defaults, issue 14); the adapter defaults nothing.
 *
 * @example
 * ```ts
 * const settings: ImapSettings = config; // an ImapMailboxConfig is already complete
 * ```
 */
export type ImapSettings = ImapMailboxConfig;
