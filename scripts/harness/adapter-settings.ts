/**
 * The schema's defaults in the shape each adapter takes, for tests, benchmarks and the demo that build an adapter
 * directly (without a config file). The values are read from the config schema — the one place of defaults (issue
 * 14 point 2) — so a harness never carries a second copy that could drift (the IMAP adapter once polled every 30 s
 * while the schema said 60 s).
 *
 * @module
 */
import type { ImapMailboxConfig } from '../../adapters/imap/config.js';
import type { MapiMailboxConfig } from '../../adapters/mapi/config.js';
import type { Pop3MailboxConfig } from '../../adapters/pop3/config.js';
import type { SmtpConfig } from '../../adapters/smtp/config.js';
import { mailboxSchema, SERVICE_DEFAULTS } from '../../runtime/config/schema.js';

const parsed = mailboxSchema.parse({ id: 'defaults' });

/**
 * The IMAP adapter's settings a config file would get when it sets none of them.
 *
 * @example
 * ```ts
 * createImapService({ ...imapDefaults(), id: 'a', server: 'imap://127.0.0.1:1143', user: 'a', password: 'p' }, deps);
 * ```
 */
export function imapDefaults(): Pick<
  ImapMailboxConfig,
  | 'folder'
  | 'unreadOnly'
  | 'allowPlaintext'
  | 'pollIntervalMs'
  | 'safetyPollMs'
  | 'connectTimeoutMs'
  | 'maxBodyBytes'
  | 'readOnly'
> {
  const d = SERVICE_DEFAULTS.imap;
  return {
    readOnly: false,
    folder: d.folder,
    unreadOnly: d.unreadOnly,
    allowPlaintext: parsed.allowPlaintext,
    pollIntervalMs: parsed.pollInterval,
    safetyPollMs: d.safetyPoll,
    connectTimeoutMs: d.connectTimeout,
    maxBodyBytes: d.maxBodyBytes,
  };
}

/**
 * The POP3 adapter's settings a config file would get when it sets none of them.
 *
 * @example
 * ```ts
 * createPop3Service({ ...pop3Defaults(), id: 'b', server: 'pop3s://127.0.0.1:1995', user: 'b', password: 'p' }, deps);
 * ```
 */
export function pop3Defaults(): Pick<
  Pop3MailboxConfig,
  'allowPlaintext' | 'pollIntervalMs' | 'connectTimeoutMs' | 'commandTimeoutMs' | 'maxBodyBytes'
> {
  const d = SERVICE_DEFAULTS.pop3;
  return {
    allowPlaintext: parsed.allowPlaintext,
    pollIntervalMs: parsed.pollInterval,
    connectTimeoutMs: d.connectTimeout,
    commandTimeoutMs: d.commandTimeout,
    maxBodyBytes: d.maxBodyBytes,
  };
}

/**
 * The MAPI adapters' settings a config file would get when it sets none of them.
 *
 * @example
 * ```ts
 * createMapiExtendedService({ ...mapiDefaults(), id: 'c', profile: 'Support' }, deps);
 * ```
 */
export function mapiDefaults(): Pick<
  MapiMailboxConfig,
  'folder' | 'unreadOnly' | 'pollIntervalMs' | 'callTimeoutMs' | 'connectTimeoutMs' | 'maxBodyBytes'
> {
  const d = SERVICE_DEFAULTS['mapi-extended'];
  return {
    folder: d.folder,
    unreadOnly: d.unreadOnly,
    pollIntervalMs: parsed.pollInterval,
    callTimeoutMs: d.commandTimeout,
    connectTimeoutMs: d.connectTimeout,
    maxBodyBytes: d.maxBodyBytes,
  };
}

/**
 * The SMTP adapter's settings an IMAP mailbox's `smtp:` block would get when the mailbox sets none of them (its
 * `connectTimeout` bounds the SMTP connection too).
 *
 * @example
 * ```ts
 * createSmtpTransport({ ...smtpDefaults(), server: 'smtps://127.0.0.1:4650', user, password }, 'support');
 * ```
 */
export function smtpDefaults(): Pick<SmtpConfig, 'connectionTimeoutMs'> {
  return { connectionTimeoutMs: SERVICE_DEFAULTS.imap.connectTimeout };
}
