/**
 * Loads a configuration file: YAML or JSON, `${ENV}` substitution, validation against the schema and the rules of
 * the spec (S1, S2, S5), paths resolved relative to the file, secrets read from files. Nothing connects before the
 * whole file is valid.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { MissingEnvError, substituteEnv } from './env.js';
import { ConfigError, type ConfigIssue, pathToString } from './errors.js';
import { configSchema, type ParsedConfig, type ParsedMailbox } from './schema.js';

/**
 * How the configuration will be used: service mode makes some omissions errors (S2).
 *
 * @example
 * ```ts
 * const options: LoadOptions = { mode: 'service', env: process.env, platform: process.platform };
 * ```
 */
export interface LoadOptions {
  readonly mode?: 'app' | 'service';
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly platform?: NodeJS.Platform;
}

/**
 * A mailbox as the runtime uses it: validated, defaults applied, paths absolute, secrets read.
 *
 * @example
 * ```ts
 * const mailbox: MailboxConfig = config.mailboxes[0];
 * console.log(mailbox.id, mailbox.service, mailbox.pollInterval);
 * ```
 */
export type MailboxConfig = ParsedMailbox;

/**
 * The loaded configuration.
 *
 * @example
 * ```ts
 * const config = loadConfig('autopilot.yaml');
 * console.log(config.journal, config.mailboxes.map((m) => m.id));
 * ```
 */
export interface AutopilotConfig extends Omit<ParsedConfig, 'mailboxes'> {
  readonly mailboxes: readonly MailboxConfig[];
  /** Directory of the config file: command handlers run there, relative paths resolve from there. */
  readonly baseDir: string;
  /** The file it came from, if any. */
  readonly file?: string;
}

function issuesOfMailbox(mailbox: ParsedMailbox, index: number, options: LoadOptions): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const at = (field: string, message: string) =>
    issues.push({ mailboxId: mailbox.id, path: `mailboxes[${index}].${field}`, message });
  const platform = options.platform ?? process.platform;
  const isMapi = mailbox.service === 'mapi-extended' || mailbox.service === 'mapi-simple';

  if (isMapi && platform !== 'win32') {
    at('service', `${mailbox.service} needs Windows (MAPI exists only there, SPEC S1); this system is ${platform}`);
  }
  if (isMapi && options.mode === 'service' && !mailbox.profile) {
    at(
      'profile',
      'a MAPI profile name is required when running as a service (SPEC S2); an empty name means the default profile only in an application',
    );
  }
  if (!isMapi) {
    if (!mailbox.server)
      at('server', `expected the ${mailbox.service.toUpperCase()} server: host name, IP address or URL`);
    if (!mailbox.user) at('user', 'expected the user name');
    if (mailbox.password === undefined && mailbox.passwordFile === undefined && !mailbox.oauth2) {
      at('password', 'expected a password or passwordFile, or oauth2 for Exchange Online (then no password)');
    }
    if (mailbox.oauth2 && (mailbox.password !== undefined || mailbox.passwordFile !== undefined)) {
      at('oauth2', 'OAuth2 replaces the password (SPEC S3): remove password/passwordFile');
    }
    if (mailbox.profile !== undefined) at('profile', `profile applies only to MAPI services, not ${mailbox.service}`);
  }
  if (mailbox.service === 'pop3' && mailbox.unreadOnly !== undefined) {
    at(
      'unreadOnly',
      'POP3 always sees every message in the maildrop, so unreadOnly does not exist for pop3 (SPEC S5); remove it, and let a rule forward and delete what should not stay',
    );
  }
  if (isMapi && mailbox.smtp) at('smtp', 'MAPI mailboxes send through MAPI; remove smtp');
  return issues;
}

function resolvePath(baseDir: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

function readSecret(file: string, issues: ConfigIssue[], mailboxId: string, path: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    issues.push({ mailboxId, path, message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}` });
    return undefined;
  }
}

function mailboxIdAt(raw: unknown, index: number): string | undefined {
  const id = (raw as { mailboxes?: { id?: unknown }[] } | null)?.mailboxes?.[index]?.id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * Validates an already-parsed configuration object (from YAML/JSON or built by a host program).
 * Throws {@link ConfigError} listing every problem.
 *
 * @example
 * ```ts
 * const config = validateConfig({ mailboxes: [{ id: 'a', server: 'imaps://mail.example.test', user: 'a', password: 'x' }] }, { baseDir: process.cwd() });
 * ```
 */
export function validateConfig(
  raw: unknown,
  options: LoadOptions & { baseDir: string; file?: string },
): AutopilotConfig {
  let substituted: unknown;
  try {
    substituted = substituteEnv(raw, options.env ?? process.env);
  } catch (error) {
    if (error instanceof MissingEnvError) {
      const index = /^mailboxes\[(\d+)\]/.exec(error.path)?.[1];
      const mailboxId = index === undefined ? undefined : mailboxIdAt(raw, Number(index));
      throw new ConfigError(
        [{ mailboxId, path: error.path, message: `environment variable ${error.variable} is not set` }],
        options.file,
      );
    }
    throw error;
  }
  const result = configSchema.safeParse(substituted);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => {
      const index = issue.path[0] === 'mailboxes' && typeof issue.path[1] === 'number' ? issue.path[1] : undefined;
      return {
        mailboxId: index === undefined ? undefined : mailboxIdAt(substituted, index),
        path: pathToString(issue.path),
        message: issue.message,
      };
    });
    throw new ConfigError(issues, options.file);
  }
  const parsed = result.data;
  const issues: ConfigIssue[] = [];
  const seen = new Map<string, number>();
  parsed.mailboxes.forEach((mailbox, index) => {
    const first = seen.get(mailbox.id);
    if (first !== undefined) {
      issues.push({
        mailboxId: mailbox.id,
        path: `mailboxes[${index}].id`,
        message: `duplicate id (also mailboxes[${first}])`,
      });
    }
    seen.set(mailbox.id, index);
    issues.push(...issuesOfMailbox(mailbox, index, options));
  });

  const baseDir = options.baseDir;
  const mailboxes = parsed.mailboxes.map((mailbox, index) => {
    const password =
      mailbox.passwordFile !== undefined
        ? readSecret(
            resolvePath(baseDir, mailbox.passwordFile)!,
            issues,
            mailbox.id,
            `mailboxes[${index}].passwordFile`,
          )
        : mailbox.password;
    const smtp = mailbox.smtp && {
      ...mailbox.smtp,
      tlsCa: resolvePath(baseDir, mailbox.smtp.tlsCa),
      password:
        mailbox.smtp.passwordFile !== undefined
          ? readSecret(
              resolvePath(baseDir, mailbox.smtp.passwordFile)!,
              issues,
              mailbox.id,
              `mailboxes[${index}].smtp.passwordFile`,
            )
          : mailbox.smtp.password,
    };
    const oauth2 = mailbox.oauth2 && {
      ...mailbox.oauth2,
      certificate: mailbox.oauth2.certificate && {
        ...mailbox.oauth2.certificate,
        privateKeyFile: resolvePath(baseDir, mailbox.oauth2.certificate.privateKeyFile)!,
      },
    };
    return { ...mailbox, password, oauth2, tlsCa: resolvePath(baseDir, mailbox.tlsCa), smtp };
  });
  if (issues.length > 0) throw new ConfigError(issues, options.file);
  const journal = /^postgres(ql)?:\/\//.test(parsed.journal) ? parsed.journal : resolvePath(baseDir, parsed.journal)!;
  const tokenCache = resolvePath(baseDir, parsed.tokenCache ?? 'autopilot.tokens.json')!;
  return { ...parsed, journal, tokenCache, mailboxes, baseDir, file: options.file };
}

/**
 * Reads and validates a configuration file (YAML or JSON).
 *
 * @example
 * ```ts
 * const config = loadConfig('/etc/mail-autopilot/autopilot.yaml', { mode: 'service' });
 * ```
 */
export function loadConfig(file: string, options: LoadOptions = {}): AutopilotConfig {
  const absolute = resolve(file);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new ConfigError(
      [{ path: '(file)', message: `cannot read ${absolute}: ${(error as NodeJS.ErrnoException).code ?? error}` }],
      file,
    );
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    throw new ConfigError([{ path: '(syntax)', message: (error as Error).message }], file);
  }
  return validateConfig(raw, { ...options, baseDir: dirname(absolute), file });
}
