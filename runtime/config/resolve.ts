/**
 * From a checked mailbox to the mailbox the runtime uses: the service's defaults (from the schema's
 * `SERVICE_DEFAULTS`), paths made absolute, secrets read from files, and the SMTP block completed from the mailbox.
 * The one place where `smtp:` inherits from its mailbox (issue 13 point 1; docs/configuration.md lists each rule).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ConfigIssue } from './errors.js';
import { type ParsedMailbox, SERVICE_DEFAULTS } from './schema.js';
import { parseStartAt, type StartAt } from './start-at.js';

/**
 * The complete SMTP settings of a mailbox: what the SMTP transport gets, nothing left to default.
 *
 * @example
 * ```ts
 * const smtp: ResolvedSmtp = {
 *   server: 'smtp://mail.example.test:587', user: 'support@example.test', password: 'pw', oauth2: false,
 *   tlsCa: '/etc/mail-autopilot/ca.pem', allowPlaintext: false, from: 'support@example.test',
 * };
 * ```
 */
export interface ResolvedSmtp {
  readonly server: string;
  /** `smtp.user`, else the mailbox's `user`. */
  readonly user: string | undefined;
  /**
   * `smtp.password`/`smtp.passwordFile`, else the mailbox's password (unless the mailbox uses OAuth2). `undefined`
   * when {@link oauth2} is true, or when secrets were not needed (read-only commands) and are missing.
   */
  readonly password: string | undefined;
  /** Sign in with the mailbox's `oauth2` (XOAUTH2): the mailbox has `oauth2` and `smtp:` gives no password. */
  readonly oauth2: boolean;
  /** `smtp.tlsCa`, else the mailbox's `tlsCa`; absolute. */
  readonly tlsCa: string | undefined;
  /** `smtp.allowPlaintext` only: plaintext is a per-server exception and is never inherited. */
  readonly allowPlaintext: boolean;
  /** `smtp.from`, else the mailbox's `user`, else `<id>@localhost`. */
  readonly from: string;
}

/**
 * A mailbox as the runtime uses it: checked, every default applied, paths absolute, secrets read, SMTP complete.
 *
 * @example
 * ```ts
 * const mailbox: MailboxConfig = config.mailboxes[0];
 * console.log(mailbox.id, mailbox.service, mailbox.pollInterval, mailbox.smtp?.tlsCa);
 * ```
 */
export type MailboxConfig = Omit<
  ParsedMailbox,
  | 'folder'
  | 'unreadOnly'
  | 'saveSent'
  | 'smtp'
  | 'canary'
  | 'connectTimeout'
  | 'commandTimeout'
  | 'safetyPoll'
  | 'maxBodyBytes'
  | 'bodyMatchBytes'
  | 'startAt'
> & {
  /** Which existing messages the first pass handles (issue 15 point 3). */
  readonly startAt: StartAt;
  /** The folder watched (`INBOX` for pop3, whose maildrop is its only folder). */
  readonly folder: string;
  /** Always false for pop3 (S5). */
  readonly unreadOnly: boolean;
  /** True only for imap (default) unless `saveSent: false`. */
  readonly saveSent: boolean;
  /** Milliseconds; per service (SERVICE_DEFAULTS). */
  readonly connectTimeout: number;
  /** Milliseconds: pop3's command timeout, MAPI's call timeout. */
  readonly commandTimeout: number;
  /** Milliseconds: imap's check while IDLE. */
  readonly safetyPoll: number;
  readonly maxBodyBytes: number;
  /** Characters of the text part that `body:` conditions test (issue 15 point 6). */
  readonly bodyMatchBytes: number;
  readonly smtp?: ResolvedSmtp;
  /**
   * Connect read-only: IMAP opens the folder with EXAMINE and fetches with PEEK (issue 15). Not a config key:
   * always false from the file; only `run --once --dry-run` sets it.
   */
  readonly readOnly: boolean;
  /** The canary (issue 15 point 5), `to` resolved to the mailbox user where not given; absent: off. */
  readonly canary?: { readonly every: number; readonly within: number; readonly to: string };
};

/**
 * What resolving needs: the config's directory, whether missing secrets are problems, and where to put problems.
 *
 * @example
 * ```ts
 * const context: ResolveContext = { baseDir: '/etc/mail-autopilot', secretsRequired: true, issues: [], missingSecrets: [] };
 * ```
 */
export interface ResolveContext {
  readonly baseDir: string;
  readonly secretsRequired: boolean;
  readonly issues: ConfigIssue[];
  /** Secrets that could not be read while they were not required (read-only commands). */
  readonly missingSecrets: ConfigIssue[];
}

/**
 * A path from the config, relative to its directory.
 *
 * @example
 * ```ts
 * resolvePath('/etc/mail-autopilot', './ca.pem'); // '/etc/mail-autopilot/ca.pem'
 * ```
 */
export function resolvePath(baseDir: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/**
 * The journal as the program uses it: where it is, and how long history is kept.
 *
 * @example
 * ```ts
 * const journal: ResolvedJournal = { location: '/srv/autopilot.db', retainMs: 90 * 86_400_000 };
 * ```
 */
export interface ResolvedJournal {
  /** An absolute SQLite path, or the `postgres://` URL as written. */
  readonly location: string;
  /** History older than this may be removed by retention; `undefined`: retention is off. */
  readonly retainMs: number | undefined;
}

/**
 * Resolves the `journal` setting, in either of its forms (`journal: ./file.db` or `journal: { path, retain }`).
 *
 * @example
 * ```ts
 * resolveJournal({ path: './a.db', retain: 86_400_000 }, '/etc/ma'); // { location: '/etc/ma/a.db', retainMs: 86400000 }
 * ```
 */
export function resolveJournal(
  journal: string | { readonly path: string; readonly retain?: number | undefined },
  baseDir: string,
): ResolvedJournal {
  const path = typeof journal === 'string' ? journal : journal.path;
  const location = /^postgres(ql)?:\/\//.test(path) ? path : resolvePath(baseDir, path)!;
  return { location, retainMs: typeof journal === 'string' ? undefined : journal.retain };
}

function readSecret(file: string, context: ResolveContext, mailboxId: string, path: string): string | undefined {
  try {
    return readFileSync(resolvePath(context.baseDir, file)!, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    const issue = {
      mailboxId,
      path,
      message: `cannot read ${resolvePath(context.baseDir, file)}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    };
    (context.secretsRequired ? context.issues : context.missingSecrets).push(issue);
    return undefined;
  }
}

function resolveSmtp(
  mailbox: ParsedMailbox,
  smtp: NonNullable<ParsedMailbox['smtp']>,
  password: string | undefined,
  at: string,
  context: ResolveContext,
): ResolvedSmtp {
  const ownPassword = smtp.password !== undefined || smtp.passwordFile !== undefined;
  const oauth2 = !ownPassword && mailbox.oauth2 !== undefined;
  const own =
    smtp.passwordFile !== undefined
      ? readSecret(smtp.passwordFile, context, mailbox.id, `${at}.smtp.passwordFile`)
      : smtp.password;
  return {
    server: smtp.server,
    user: smtp.user ?? mailbox.user,
    password: oauth2 ? undefined : ownPassword ? own : password,
    oauth2,
    tlsCa: resolvePath(context.baseDir, smtp.tlsCa ?? mailbox.tlsCa),
    allowPlaintext: smtp.allowPlaintext,
    from: smtp.from ?? mailbox.user ?? `${mailbox.id}@localhost`,
  };
}

/**
 * Resolves one checked mailbox (index `index` of the file).
 *
 * @example
 * ```ts
 * const mailbox = resolveMailbox(mailboxSchema.parse(raw), 0, context);
 * ```
 */
export function resolveMailbox(mailbox: ParsedMailbox, index: number, context: ResolveContext): MailboxConfig {
  const at = `mailboxes[${index}]`;
  const defaults = SERVICE_DEFAULTS[mailbox.service];
  const password =
    mailbox.passwordFile !== undefined
      ? readSecret(mailbox.passwordFile, context, mailbox.id, `${at}.passwordFile`)
      : mailbox.password;
  const oauth2 = mailbox.oauth2 && {
    ...mailbox.oauth2,
    certificate: mailbox.oauth2.certificate && {
      ...mailbox.oauth2.certificate,
      privateKeyFile: resolvePath(context.baseDir, mailbox.oauth2.certificate.privateKeyFile)!,
    },
  };
  const { smtp, canary, ...rest } = mailbox;
  return {
    ...rest,
    folder: mailbox.folder ?? defaults.folder,
    unreadOnly: mailbox.unreadOnly ?? defaults.unreadOnly,
    saveSent: mailbox.saveSent ?? defaults.saveSent,
    connectTimeout: mailbox.connectTimeout ?? defaults.connectTimeout,
    commandTimeout: mailbox.commandTimeout ?? defaults.commandTimeout,
    safetyPoll: mailbox.safetyPoll ?? defaults.safetyPoll,
    maxBodyBytes: mailbox.maxBodyBytes ?? defaults.maxBodyBytes,
    bodyMatchBytes: mailbox.bodyMatchBytes ?? defaults.bodyMatchBytes,
    // The schema checked the value and gave the default: parsing cannot fail here.
    startAt: parseStartAt(mailbox.startAt)!,
    readOnly: false,
    password,
    oauth2,
    tlsCa: resolvePath(context.baseDir, mailbox.tlsCa),
    ...(smtp ? { smtp: resolveSmtp(mailbox, smtp, password, at, context) } : {}),
    // serviceIssues refused a canary without an address, so `user` is there when `to` is not.
    ...(canary ? { canary: { ...canary, to: canary.to ?? mailbox.user ?? '' } } : {}),
  };
}
