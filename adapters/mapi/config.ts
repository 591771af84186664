/**
 * The resolved settings of a MAPI mailbox (Extended or Simple MAPI); their defaults live in the config schema only
 * (issue 14 point 2). The runtime's config loader
 * already rejects MAPI off Windows (SPEC S1) and an empty profile in service mode (S2); this checks only what the
 * adapter itself needs, so hosts that build configs by hand get the same field-naming errors.
 *
 * @module
 */
import { configError, MailServiceError } from '../errors.js';
import type { BridgeFake } from './bridge-client.js';

/**
 * One MAPI mailbox.
 *
 * @example
 * ```ts
 * const config: MapiMailboxConfig = {
 *   id: 'support', profile: 'Support', folder: 'INBOX', unreadOnly: true,
 *   pollIntervalMs: 60_000, callTimeoutMs: 60_000, connectTimeoutMs: 120_000, maxBodyBytes: 26_214_400,
 * };
 * ```
 */
export interface MapiMailboxConfig {
  /** The configured id of the mailbox; named in every error and log line. */
  readonly id: string;
  /** The MAPI profile; empty or missing = the default profile (SPEC S2). Never shown a logon dialog. */
  readonly profile?: string;
  /** Folder to watch: `INBOX` or a path below the store root (`Inbox/Bounces`, `Archive`). Extended only. */
  readonly folder: string;
  /** Only unread messages are candidates (SPEC S5). */
  readonly unreadOnly: boolean;
  /** Time between two listings of the folder (`pollInterval`). */
  readonly pollIntervalMs: number;
  /** Deadline of one MAPI call; a call that takes longer gets the bridge process killed (`commandTimeout`). */
  readonly callTimeoutMs: number;
  /** One deadline for starting the bridge and logging on (`connectTimeout`; Outlook may have to start). */
  readonly connectTimeoutMs: number;
  /** Attachment bytes read per message; larger parts are left out and the body is marked truncated (`maxBodyBytes`). */
  readonly maxBodyBytes: number;
  /** Test only: run the bridge child on a fake backend instead of winax/koffi. */
  readonly bridge?: { readonly fake?: BridgeFake };
}

/**
 * The settings as the adapter works with them (profile empty = the default profile, S2).
 *
 * @example
 * ```ts
 * const settings: MapiSettings = validateMapiConfig(config, { simple: false });
 * settings.profile; // ''
 * ```
 */
export type MapiSettings = Omit<MapiMailboxConfig, 'profile' | 'bridge'> & {
  readonly profile: string;
  readonly fake: BridgeFake | undefined;
};

/**
 * Checks the adapter's preconditions on a MAPI mailbox's settings (it fills in nothing); throws CONFIG_INVALID naming the mailbox and the field, or
 * MAPI_UNAVAILABLE off Windows (SPEC S1) unless a test fake is configured.
 *
 * @example
 * ```ts
 * validateMapiConfig({ ...config, folder: 'Archive' }, { simple: true });
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
  const folder = config.folder;
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
  for (const field of ['pollIntervalMs', 'callTimeoutMs', 'connectTimeoutMs', 'maxBodyBytes'] as const) {
    const value = config[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw configError(id, field, `must be a positive number, got ${JSON.stringify(value)}`);
    }
  }
  return {
    id,
    profile,
    folder,
    unreadOnly: config.unreadOnly,
    pollIntervalMs: config.pollIntervalMs,
    callTimeoutMs: config.callTimeoutMs,
    connectTimeoutMs: config.connectTimeoutMs,
    maxBodyBytes: config.maxBodyBytes,
    fake,
  };
}
