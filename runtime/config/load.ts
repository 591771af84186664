/**
 * Loads a configuration: YAML or JSON, `${ENV}` substitution, the schema with its service checks (S1, S2, S5), the
 * rules, paths resolved relative to the file, secrets read from files. Every problem of a file is reported at once,
 * with its line and column and never with the file's text (issue 13 point 6). Nothing connects before the whole file
 * is valid.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { type EnvReference, substituteEnvCollecting } from './env.js';
import { ConfigError, type ConfigIssue, pathToString } from './errors.js';
import {
  type MailboxConfig,
  type ResolveContext,
  type ResolvedJournal,
  resolveJournal,
  resolveMailbox,
  resolvePath,
} from './resolve.js';
import { ruleIssues } from './rule-checks.js';
import { configSchema, mailboxSchema, type ParsedConfig, serviceIssues } from './schema.js';
import { type ConfigSource, parseConfigSource, pathSteps } from './source.js';

export type { MailboxConfig, ResolvedSmtp } from './resolve.js';

/**
 * How the configuration will be used.
 *
 * @example
 * ```ts
 * const options: LoadOptions = { mode: 'service', env: process.env, platform: process.platform, secrets: 'optional' };
 * ```
 */
export interface LoadOptions {
  /** Service mode makes some omissions errors (S2). */
  readonly mode?: 'app' | 'service';
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly platform?: NodeJS.Platform;
  /**
   * `required` (default; `run`, `login`, hosts): every `${VAR}` must be set and every `passwordFile` readable.
   * `optional` (`status`, `events`, `dead-letters`, `validate`): they are not problems, except in `journal`, which
   * those commands read; they are listed in {@link ConfigInspection.missingSecrets}.
   */
  readonly secrets?: 'required' | 'optional';
  /**
   * A host's own service factory (as `createAutopilot` takes it): then which actions a service supports is the
   * host's to decide, and the capability checks of the built-in services are skipped.
   */
  readonly services?: unknown;
}

/**
 * The loaded configuration.
 *
 * @example
 * ```ts
 * const config = loadConfig('autopilot.yaml');
 * console.log(config.journal, config.mailboxes.map((m) => m.id));
 * ```
 */
export interface AutopilotConfig extends Omit<ParsedConfig, 'mailboxes' | 'journal'> {
  readonly mailboxes: readonly MailboxConfig[];
  /**
   * Where the journal is ({@link ResolvedJournal.location}): an absolute SQLite path or the `postgres://` URL, from
   * either form of the `journal` setting.
   */
  readonly journal: string;
  /** `journal.retain` in ms ({@link ResolvedJournal.retainMs}); `undefined` when retention is off. */
  readonly journalRetainMs: number | undefined;
  /** Directory of the config file: command handlers run there, relative paths resolve from there. */
  readonly baseDir: string;
  /** The file it came from, if any. */
  readonly file?: string;
}

/**
 * Everything known about a configuration: the config when it is valid, every problem, the `${VAR}`s it uses and
 * the secrets missing now.
 *
 * @example
 * ```ts
 * const inspection = inspectConfigFile('autopilot.yaml', { secrets: 'optional' });
 * for (const v of inspection.variables) console.log(v.variable, v.set ? 'set' : 'NOT SET');
 * ```
 */
export interface ConfigInspection {
  readonly config: AutopilotConfig | undefined;
  readonly issues: readonly ConfigIssue[];
  readonly variables: readonly EnvReference[];
  /** With `secrets: 'optional'`: the unset variables and unreadable secret files `run` would fail on. */
  readonly missingSecrets: readonly ConfigIssue[];
  readonly file?: string;
}

const topSchema = configSchema.extend({
  mailboxes: mailboxSchema
    .array()
    .min(1, 'expected at least one mailbox')
    .transform(() => []),
});

function mailboxIdOf(raw: unknown): string | undefined {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
}

function zodIssues(error: z.ZodError, prefix: readonly (string | number)[], mailboxId?: string): ConfigIssue[] {
  return error.issues.flatMap((issue) => {
    const path = [...prefix, ...(issue.path as (string | number)[])];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ mailboxId, path: pathToString([...path, key]), message: 'unknown key' }));
    }
    return [{ mailboxId, path: pathToString(path), message: issue.message }];
  });
}

function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

/**
 * Checks an already-parsed configuration object (from YAML/JSON or built by a host program) and returns everything
 * found; never throws for a problem of the config.
 *
 * @example
 * ```ts
 * const { config, issues } = inspectConfig({ mailboxes: [] }, { baseDir: process.cwd() });
 * ```
 */
export function inspectConfig(
  raw: unknown,
  options: LoadOptions & { readonly baseDir: string; readonly file?: string; readonly source?: ConfigSource },
): ConfigInspection {
  const secretsRequired = options.secrets !== 'optional';
  const { value, references, unset } = substituteEnvCollecting(raw, options.env ?? process.env);
  const issues: ConfigIssue[] = [];
  const missingSecrets: ConfigIssue[] = [];

  const top = topSchema.safeParse(value);
  if (!top.success) issues.push(...zodIssues(top.error, []).filter((issue) => !/^mailboxes\[\d+\]/.test(issue.path)));
  const rawMailboxes = Array.isArray((value as { mailboxes?: unknown } | null)?.mailboxes)
    ? ((value as { mailboxes: unknown[] }).mailboxes as unknown[])
    : [];
  const context: ResolveContext = { baseDir: options.baseDir, secretsRequired, issues, missingSecrets };
  const seen = new Map<string, number>();
  const mailboxes: MailboxConfig[] = [];
  rawMailboxes.forEach((rawMailbox, index) => {
    const at = `mailboxes[${index}]`;
    const id = mailboxIdOf(rawMailbox);
    const parsed = mailboxSchema.safeParse(rawMailbox);
    let resolved: MailboxConfig | undefined;
    if (!parsed.success) {
      issues.push(...zodIssues(parsed.error, ['mailboxes', index], id));
    } else {
      const mailbox = parsed.data;
      const first = seen.get(mailbox.id);
      if (first !== undefined) {
        issues.push({ mailboxId: mailbox.id, path: `${at}.id`, message: `duplicate id (also mailboxes[${first}])` });
      }
      seen.set(mailbox.id, index);
      const serviceContext = { platform: options.platform ?? process.platform, mode: options.mode ?? 'app' } as const;
      for (const issue of serviceIssues(mailbox, serviceContext)) {
        issues.push({ mailboxId: mailbox.id, path: `${at}.${issue.field}`, message: issue.message });
      }
      resolved = resolveMailbox(mailbox, index, context);
      mailboxes.push(resolved);
    }
    const rules = (rawMailbox as { rules?: unknown } | null)?.rules;
    issues.push(...ruleIssues(rules, id ?? at, at, resolved, { checkServices: options.services === undefined }));
  });

  // A field made of an unset variable: one problem saying so (or none, when secrets are not needed and the field is
  // not the journal), instead of what its empty value then fails.
  const kept: ConfigIssue[] = [];
  for (const issue of issues) {
    if (!unset.some((reference) => under(issue.path, reference.path))) kept.push(issue);
  }
  for (const reference of unset) {
    const index = /^mailboxes\[(\d+)\]/.exec(reference.path)?.[1];
    const issue: ConfigIssue = {
      mailboxId: index === undefined ? undefined : mailboxIdOf(rawMailboxes[Number(index)]),
      path: reference.path,
      message: `environment variable ${reference.variable} is not set`,
    };
    if (secretsRequired || under(reference.path, 'journal')) kept.push(issue);
    else missingSecrets.push(issue);
  }
  const located = kept.map((issue) => locate(issue, options.source));

  let config: AutopilotConfig | undefined;
  if (located.length === 0 && top.success) {
    const parsedTop = top.data;
    const resolvedJournal = resolveJournal(parsedTop.journal, options.baseDir);
    const tokenCache = resolvePath(options.baseDir, parsedTop.tokenCache ?? 'autopilot.tokens.json')!;
    config = {
      ...parsedTop,
      journal: resolvedJournal.location,
      journalRetainMs: resolvedJournal.retainMs,
      tokenCache,
      mailboxes,
      baseDir: options.baseDir,
      file: options.file,
    };
  }
  return {
    config,
    issues: located,
    variables: references,
    missingSecrets: missingSecrets.map((issue) => locate(issue, options.source)),
    file: options.file,
  };
}

function locate(issue: ConfigIssue, source: ConfigSource | undefined): ConfigIssue {
  const position = source?.positionOf(pathSteps(issue.path));
  return position ? { ...issue, line: position.line, column: position.column } : issue;
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
  options: LoadOptions & { readonly baseDir: string; readonly file?: string; readonly source?: ConfigSource },
): AutopilotConfig {
  const inspection = inspectConfig(raw, options);
  if (!inspection.config) throw new ConfigError(inspection.issues, options.file);
  return inspection.config;
}

/**
 * Reads a configuration file (YAML or JSON) and inspects it; a file that cannot be read or parsed gives issues with
 * line and column, never the text.
 *
 * @example
 * ```ts
 * const inspection = inspectConfigFile('autopilot.yaml', { secrets: 'optional' });
 * if (!inspection.config) console.error(new ConfigError(inspection.issues, inspection.file).message);
 * ```
 */
export function inspectConfigFile(file: string, options: LoadOptions = {}): ConfigInspection {
  const absolute = resolve(file);
  const empty = { config: undefined, variables: [], missingSecrets: [], file };
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const message = `cannot read ${absolute}: ${(error as NodeJS.ErrnoException).code ?? error}`;
    return { ...empty, issues: [{ path: '(file)', message }] };
  }
  const source = parseConfigSource(text);
  if (source.problems.length > 0) {
    return {
      ...empty,
      issues: source.problems.map((problem) => ({ path: '(syntax)', ...problem })),
    };
  }
  return inspectConfig(source.value, { ...options, baseDir: dirname(absolute), file, source });
}

/**
 * Reads and validates a configuration file (YAML or JSON); throws {@link ConfigError} listing every problem.
 *
 * @example
 * ```ts
 * const config = loadConfig('/etc/mail-autopilot/autopilot.yaml', { mode: 'service' });
 * ```
 */
export function loadConfig(file: string, options: LoadOptions = {}): AutopilotConfig {
  const inspection = inspectConfigFile(file, options);
  if (!inspection.config) throw new ConfigError(inspection.issues, file);
  return inspection.config;
}
