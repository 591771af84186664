/**
 * Collecting rule configuration problems so one load reports all of them, each naming the mailbox, the rule and
 * the field path.
 *
 * @module
 */

/**
 * One problem in a mailbox's rules.
 *
 * @example
 * ```ts
 * const issue: RuleConfigIssue = { rule: 'bounces', path: 'subject.regex', message: 'invalid regular expression' };
 * ```
 */
export interface RuleConfigIssue {
  /** The rule's name, or `rules[i]` when it has no usable name; `null` for the rule list itself. */
  readonly rule: string | null;
  /** Dotted path inside the rule (`subject.regex`, `actions[1].moveTo`), or `''` for the rule itself. */
  readonly path: string;
  readonly message: string;
}

function describe(mailboxId: string, issue: RuleConfigIssue): string {
  const parts = [`mailbox ${JSON.stringify(mailboxId)}`];
  if (issue.rule !== null) parts.push(`rule ${JSON.stringify(issue.rule)}`);
  const head = parts.join(', ');
  return issue.path === '' ? `${head}: ${issue.message}` : `${head}, ${issue.path}: ${issue.message}`;
}

/**
 * The rules of a mailbox are invalid. `issues` lists every problem found; the message names each one.
 *
 * @example
 * ```ts
 * try { parseRules(config.rules, 'support'); }
 * catch (error) { if (error instanceof RuleConfigError) for (const i of error.issues) console.error(i.path, i.message); }
 * ```
 */
export class RuleConfigError extends Error {
  override readonly name = 'RuleConfigError';
  readonly code = 'RULE_CONFIG_INVALID';
  readonly mailboxId: string;
  readonly issues: readonly RuleConfigIssue[];

  constructor(mailboxId: string, issues: readonly RuleConfigIssue[]) {
    const lines = issues.map((issue) => describe(mailboxId, issue));
    super(lines.length === 1 ? lines[0]! : `${lines.length} problems in the rules:\n  ${lines.join('\n  ')}`);
    this.mailboxId = mailboxId;
    this.issues = issues;
  }
}

/**
 * A collector of issues while walking one rule. Paths are built by the walkers (`at`).
 *
 * @example
 * ```ts
 * const issues = new IssueList();
 * issues.add('bounces', 'subject', 'must be a string or a test object');
 * if (issues.length > 0) throw new RuleConfigError('support', issues.items);
 * ```
 */
export class IssueList {
  readonly items: RuleConfigIssue[] = [];

  get length(): number {
    return this.items.length;
  }

  add(rule: string | null, path: string, message: string): void {
    this.items.push({ rule, path, message });
  }
}

/**
 * The context a parser walks with: the issue list, the rule's display name and the path so far.
 *
 * @example
 * ```ts
 * const ctx = new ParseContext(new IssueList(), 'bounces', '');
 * ctx.at('subject').fail('must be a string');
 * ```
 */
export class ParseContext {
  constructor(
    readonly issues: IssueList,
    readonly rule: string | null,
    readonly path: string,
  ) {}

  /** A context one step deeper: `at('subject')`, `at(2)` for array items. */
  at(step: string | number): ParseContext {
    const path = typeof step === 'number' ? `${this.path}[${step}]` : this.path === '' ? step : `${this.path}.${step}`;
    return new ParseContext(this.issues, this.rule, path);
  }

  fail(message: string): void {
    this.issues.add(this.rule, this.path, message);
  }
}

/**
 * Whether a value is a plain object (a YAML/JSON mapping), not an array, `null` or a class instance like RegExp.
 *
 * @example
 * ```ts
 * isPlainObject({ regex: 'x' }); // true
 * ```
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A short, safe rendering of a config value for messages (never the whole of a long string).
 *
 * @example
 * ```ts
 * show(42); // '42'
 * ```
 */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Whether a string contains an ASCII control character (C0 or DEL): names and flags end up in headers, environment
 * variables and log lines, where those do harm.
 *
 * @example
 * ```ts
 * hasControlCharacter('bounces\n'); // true
 * ```
 */
export function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
