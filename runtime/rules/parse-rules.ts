/**
 * Parses a mailbox's `rules:` from the config into {@link Rule}s, reporting every problem at once with the
 * mailbox, rule and field path (a `RuleConfigError`), before anything connects.
 *
 * A rule in the config (issue 4's example):
 *
 * ```yaml
 * rules:
 *   - name: bounces
 *     subject: { regex: "^(Undelivered|Mail delivery failed)" }   # condition keys at the top level (all must hold)
 *     run: ["node", "handlers/bounce.js"]                         # or run: { command: [...], timeout: 30s, cwd, env }
 *     actions: [markRead]
 *   - name: optin
 *     match: { subject: { equals: "Newsletter confirmation" } }   # or under match: (not both)
 *     actions:
 *       - reply: { text: "Thank you, your subscription is confirmed." }
 *       - moveTo: Processed
 *     stop: true                                                  # no further rules for this message
 * ```
 *
 * @module
 */
import { hasControlCharacter, IssueList, isPlainObject, ParseContext, RuleConfigError, show } from './config-issues.js';
import { parseDuration } from './duration.js';
import { parseActions } from './parse-actions.js';
import { CONDITION_KEYS, parseCondition, parseConditionKeys } from './parse-condition.js';
import type { CommandHandlerSpec, Condition, Rule } from './types.js';

const RULE_KEYS = new Set<string>(['name', 'match', 'run', 'actions', 'stop', ...CONDITION_KEYS]);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The runtime sets these for every command (see runtime/handlers); a rule cannot override them. */
const RESERVED_ENV_PREFIX = 'MAIL_AUTOPILOT_';
const MAX_TIMEOUT_MS = 24 * 3_600_000;
const MAX_NAME_LENGTH = 200;

function parseCommand(raw: unknown, ctx: ParseContext): readonly string[] | undefined {
  if (typeof raw === 'string') {
    ctx.fail(
      `must be a list like ["node", "handlers/bounce.js"]: no shell is used, so a command line cannot be split ` +
        `safely, got ${show(raw)}`,
    );
    return undefined;
  }
  if (!Array.isArray(raw) || raw.length === 0) {
    ctx.fail(`must be a non-empty list: the program and its arguments, got ${show(raw)}`);
    return undefined;
  }
  let ok = true;
  raw.forEach((part, i) => {
    if (typeof part !== 'string' || part.includes('\0') || (i === 0 && part === '')) {
      ctx.at(i).fail(`must be a string${i === 0 ? ' naming the program' : ''}, got ${show(part)}`);
      ok = false;
    }
  });
  return ok ? (raw as string[]) : undefined;
}

function parseRun(raw: unknown, ctx: ParseContext): CommandHandlerSpec | undefined {
  if (!isPlainObject(raw)) {
    const command = parseCommand(raw, ctx);
    return command && { kind: 'command', command, timeoutMs: null, cwd: null, env: {} };
  }
  const unknown = Object.keys(raw).filter((k) => !['command', 'timeout', 'cwd', 'env', 'passEnv'].includes(k));
  if (unknown.length > 0) {
    ctx.fail(`unknown key ${show(unknown[0])} (expected command, timeout, cwd, env, passEnv)`);
    return undefined;
  }
  let ok = true;
  const command = parseCommand(raw.command, ctx.at('command'));
  let timeoutMs: number | null = null;
  if (raw.timeout !== undefined) {
    const parsed = parseDuration(raw.timeout);
    if (parsed === undefined || parsed <= 0 || parsed > MAX_TIMEOUT_MS) {
      ctx.at('timeout').fail(`must be a duration like 30s, 2m or 500ms (at most 24h), got ${show(raw.timeout)}`);
      ok = false;
    } else {
      timeoutMs = parsed;
    }
  }
  let cwd: string | null = null;
  if (raw.cwd !== undefined) {
    if (typeof raw.cwd !== 'string' || raw.cwd === '' || raw.cwd.includes('\0')) {
      ctx.at('cwd').fail(`must be a directory path, got ${show(raw.cwd)}`);
      ok = false;
    } else {
      cwd = raw.cwd;
    }
  }
  const env: Record<string, string> = {};
  if (raw.env !== undefined) {
    if (!isPlainObject(raw.env)) {
      ctx.at('env').fail(`must be a mapping of variable names to strings, got ${show(raw.env)}`);
      ok = false;
    } else {
      for (const [name, value] of Object.entries(raw.env)) {
        const at = ctx.at('env').at(name);
        if (!ENV_NAME.test(name)) at.fail('is not a valid environment variable name');
        else if (name.toUpperCase().startsWith(RESERVED_ENV_PREFIX)) at.fail(`${RESERVED_ENV_PREFIX}* is reserved`);
        else if (typeof value !== 'string' || value.includes('\0')) at.fail(`must be a string, got ${show(value)}`);
        else {
          env[name] = value;
          continue;
        }
        ok = false;
      }
    }
  }
  const passEnv = raw.passEnv === undefined ? undefined : parsePassEnv(raw.passEnv, ctx.at('passEnv'));
  if (raw.passEnv !== undefined && passEnv === undefined) ok = false;
  return ok && command ? { kind: 'command', command, timeoutMs, cwd, env, ...(passEnv ? { passEnv } : {}) } : undefined;
}

/** `passEnv: [NAME, …]`: variable names of the service's environment to hand on (issue 13.5). */
function parsePassEnv(raw: unknown, ctx: ParseContext): string[] | undefined {
  if (!Array.isArray(raw)) {
    ctx.fail(`must be a list of environment variable names, got ${show(raw)}`);
    return undefined;
  }
  let ok = true;
  raw.forEach((name, i) => {
    const at = ctx.at(i);
    if (typeof name !== 'string' || !ENV_NAME.test(name))
      at.fail(`is not a valid environment variable name: ${show(name)}`);
    else if (name.toUpperCase().startsWith(RESERVED_ENV_PREFIX)) at.fail(`${RESERVED_ENV_PREFIX}* is reserved`);
    else return;
    ok = false;
  });
  return ok ? (raw as string[]) : undefined;
}

function parseRule(raw: unknown, index: number, issues: IssueList, names: Set<string>): Rule<never> | undefined {
  const fallbackName = `rules[${index}]`;
  if (!isPlainObject(raw)) {
    issues.add(fallbackName, '', `must be a mapping with name, conditions and run/actions, got ${show(raw)}`);
    return undefined;
  }
  const rawName = raw.name;
  const nameOk =
    typeof rawName === 'string' &&
    rawName.trim() !== '' &&
    rawName.length <= MAX_NAME_LENGTH &&
    !hasControlCharacter(rawName);
  const ctx = new ParseContext(issues, nameOk ? rawName : fallbackName, '');
  const before = issues.length;
  if (!nameOk) {
    ctx.at('name').fail(`must be a one-line string of at most ${MAX_NAME_LENGTH} characters, got ${show(rawName)}`);
  } else if (names.has(rawName)) {
    ctx.at('name').fail('is used by an earlier rule of this mailbox: names must be unique (the journal records them)');
  } else {
    names.add(rawName);
  }

  const unknown = Object.keys(raw).filter((k) => !RULE_KEYS.has(k));
  for (const key of unknown) ctx.at(key).fail(`is not a rule key (expected ${[...RULE_KEYS].join(', ')})`);

  const topLevel = parseConditionKeys(raw, ctx);
  let match = topLevel;
  if (raw.match !== undefined) {
    if (topLevel !== null) ctx.fail('give the conditions either under match: or at the top level, not both');
    else match = parseCondition(raw.match, ctx.at('match'));
  } else if (topLevel === null) {
    ctx.fail(`has no condition (${CONDITION_KEYS.join(', ')}); use matchAll: true to select every message`);
  }

  const handler = raw.run === undefined ? null : parseRun(raw.run, ctx.at('run'));
  const parsedActions =
    raw.actions === undefined ? { actions: [], stop: false } : parseActions(raw.actions, ctx.at('actions'));
  let stop = parsedActions?.stop ?? false;
  if (raw.stop !== undefined) {
    if (typeof raw.stop !== 'boolean') ctx.at('stop').fail(`must be true or false, got ${show(raw.stop)}`);
    else stop = stop || raw.stop;
  }
  if (raw.run === undefined && (parsedActions?.actions.length ?? 0) === 0 && !stop && parsedActions !== undefined) {
    ctx.fail('does nothing: give run, actions or stop: true');
  }
  if (issues.length > before || !match || handler === undefined || parsedActions === undefined) return undefined;
  return { name: rawName as string, match, handler, actions: parsedActions.actions, stop };
}

/**
 * Validates and normalises a mailbox's rules from the config (YAML/JSON already parsed). Missing or `null` means
 * no rules. Throws a {@link RuleConfigError} listing every problem, each with the mailbox, the rule and the path.
 *
 * @example
 * ```ts
 * const rules = parseRules(
 *   [{ name: 'bounces', subject: { regex: '^(Undelivered|Mail delivery failed)' }, run: ['node', 'bounce.js'],
 *      actions: ['markRead'] }],
 *   'support',
 * );
 * rules[0].handler; // { kind: 'command', command: ['node', 'bounce.js'], timeoutMs: null, cwd: null, env: {} }
 * ```
 */
export function parseRules(raw: unknown, mailboxId: string): Rule<never>[] {
  if (raw === undefined || raw === null) return [];
  const issues = new IssueList();
  if (!Array.isArray(raw)) {
    issues.add(null, 'rules', `must be a list of rules, got ${show(raw)}`);
    throw new RuleConfigError(mailboxId, issues.items);
  }
  const names = new Set<string>();
  const rules: Rule<never>[] = [];
  raw.forEach((item, index) => {
    const rule = parseRule(item, index, issues, names);
    if (rule) rules.push(rule);
  });
  if (issues.length > 0) throw new RuleConfigError(mailboxId, issues.items);
  return rules;
}

/**
 * Parses a match condition given by the host program (`autopilot.rule(match, handler)`), with the same format and
 * errors as the config.
 *
 * @example
 * ```ts
 * const match = parseMatch({ subject: /^Order \d+/ , from: { endsWith: '@shop.test' } }, 'support', 'orders');
 * ```
 */
export function parseMatch(raw: unknown, mailboxId: string, ruleName: string): Condition {
  const issues = new IssueList();
  const condition = parseCondition(raw, new ParseContext(issues, ruleName, ''));
  if (issues.length > 0 || condition === undefined) throw new RuleConfigError(mailboxId, issues.items);
  return condition;
}
