/**
 * The configuration of a MAPI mailbox (Extended or Simple MAPI) and its defaults. The runtime's config loader
 * already rejects MAPI off Windows (SPEC S1) and an empty profile in service mode (S2); this checks only what the
 * adapter itself needs, so hosts that build configs by hand get the same field-naming errors.
 *
 * @module
 */
import { MailServiceError } from '../errors.js';
import type { BridgeFake } from './bridge-client.js';

/**
 * One MAPI mailbox.
 *
 * @example
 * ```ts
 * const config: MapiMailboxConfig = { id: 'support', profile: 'Support', folder: 'INBOX', unreadOnly: true };
 * ```
 */
export interface MapiMailboxConfig {
  /** The configured id of the mailbox; named in every error and log line. */
  readonly id: string;
  /** The MAPI profile; empty or missing = the default profile (SPEC S2). Never shown a logon dialog. */
  readonly profile?: string;
  /** Folder to watch: `INBOX` (default) or a path below the store root (`Inbox/Bounces`, `Archive`). Extended only. */
  readonly folder?: string;
  /** Only unread messages are candidates (SPEC S5). */
  readonly unreadOnly?: boolean;
  /** Time between two listings of the folder. Default 60 s. */
  readonly pollIntervalMs?: number;
  /** Deadline of one MAPI call; a call that takes longer gets the bridge process killed. Default 60 s. */
  readonly callTimeoutMs?: number;
  /** One deadline for starting the bridge and logging on. Default 120 s (Outlook may have to start). */
  readonly connectTimeoutMs?: number;
  /** Attachment bytes read per message; larger parts are left out and the body is marked truncated. Default 25 MiB. */
  readonly maxBodyBytes?: number;
  /** Test only: run the bridge child on a fake backend instead of winax/koffi. */
  readonly bridge?: { readonly fake?: BridgeFake };
}

/** Defaults of the optional fields of {@link MapiMailboxConfig}. */
export const MAPI_DEFAULTS = {
  folder: 'INBOX',
  pollIntervalMs: 60_000,
  callTimeoutMs: 60_000,
  connectTimeoutMs: 120_000,
  maxBodyBytes: 25 * 1024 * 1024,
} as const;

/**
 * The config with defaults filled in (what the adapter works with).
 *
 * @example
 * ```ts
 * const settings: MapiSettings = validateMapiConfig({ id: 'a' }, { simple: false });
 * settings.profile; // ''
 * ```
 */
export interface MapiSettings {
  readonly id: string;
  readonly profile: string;
  readonly folder: string;
  readonly unreadOnly: boolean;
  readonly pollIntervalMs: number;
  readonly callTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly maxBodyBytes: number;
  readonly fake: BridgeFake | undefined;
}

function configError(mailboxId: string, field: string, problem: string): MailServiceError {
  return new MailServiceError({ code: 'CONFIG_INVALID', message: `${field}: ${problem}`, retryable: false, mailboxId });
}

/**
 * Checks a MAPI mailbox's config and fills in defaults; throws CONFIG_INVALID naming the mailbox and the field, or
 * MAPI_UNAVAILABLE off Windows (SPEC S1) unless a test fake is configured.
 *
 * @example
 * ```ts
 * validateMapiConfig({ id: 'a', folder: 'Archive' }, { simple: true });
 * // throws: mailbox a: folder: Simple MAPI sees only the Inbox …
 * ```
 */
export function validateMapiConfig(config: MapiMailboxConfig, options: { simple: boolean }): MapiSettings {
  const id = typeof config.id === 'string' && config.id.length > 0 ? config.id : undefined;
  if (id === undefined) throw configError('(no id)', 'id', 'must be a non-empty string');
  const service = options.simple ? 'Simple MAPI' : 'Extended MAPI';
  if (config.profile !== undefined && typeof config.profile !== 'string') {
    throw configError(id, 'profile', 'must be a string (empty = the default profile)');
  }
  const profile = config.profile ?? '';
  if (profile.length > 256) throw configError(id, 'profile', 'a MAPI profile name has at most 256 characters');
  const folder = config.folder && config.folder.length > 0 ? config.folder : MAPI_DEFAULTS.folder;
  if (options.simple && folder.toUpperCase() !== 'INBOX') {
    throw configError(
      id,
      'folder',
      'Simple MAPI sees only the Inbox (it has no folders); use mapi-extended for other folders',
    );
  }
  const fake = config.bridge?.fake;
  if (process.platform !== 'win32' && fake === undefined) {
    throw new MailServiceError({
      code: 'MAPI_UNAVAILABLE',
      message: `service: ${service} needs Windows (MAPI exists only there, SPEC S1); this system is ${process.platform}`,
      retryable: false,
      mailboxId: id,
    });
  }
  const positive = (value: number | undefined, fallback: number) =>
    typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
  return {
    id,
    profile,
    folder,
    unreadOnly: config.unreadOnly === true,
    pollIntervalMs: positive(config.pollIntervalMs, MAPI_DEFAULTS.pollIntervalMs),
    callTimeoutMs: positive(config.callTimeoutMs, MAPI_DEFAULTS.callTimeoutMs),
    connectTimeoutMs: positive(config.connectTimeoutMs, MAPI_DEFAULTS.connectTimeoutMs),
    maxBodyBytes: positive(config.maxBodyBytes, MAPI_DEFAULTS.maxBodyBytes),
    fake,
  };
}
