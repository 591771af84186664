/**
 * Evaluates rules against a discovered message: conditions are compiled once into closures (regexes built once),
 * and matching needs the envelope, headers, size and (where the server reports them) attachments; a body is fetched
 * only when {@link RuleMatcher.needsFacts} says a rule is undecided without it (issue 15 point 6). One evaluator
 * ({@link compileCheck}) answers both "does it match" (the pipeline) and "why not" (runtime/rules/explain.ts:
 * `test`, `run --dry-run`).
 *
 * (Slightly over 400 lines: the two-valued and the three-valued evaluation share the leaves and must stay together.)
 *
 * @module
 */
import type { AttachmentSummary, DiscoveredMessage, MailAddress } from '../../adapters/contract.js';
import type { Condition, Rule, StringTest } from './types.js';

/**
 * A compiled condition.
 *
 * @example
 * ```ts
 * const isBounce: MessagePredicate = compileCondition(rule.match);
 * if (isBounce(message)) { ... }
 * ```
 */
export type MessagePredicate = (message: DiscoveredMessage) => boolean;

/**
 * Only this much of a value is tested by a regex. Subjects and headers come from strangers; a pathological header
 * of megabytes must not make one regex run for minutes.
 *
 * @example
 * ```ts
 * const tested = value.slice(0, MAX_TESTED_LENGTH);
 * ```
 */
export const MAX_TESTED_LENGTH = 65_536;

/**
 * Compiles a string test into a predicate on one value.
 *
 * @example
 * ```ts
 * const test = compileStringTest({ op: 'contains', value: 'invoice', caseSensitive: false });
 * test('Your INVOICE 42'); // true
 * ```
 */
export function compileStringTest(test: StringTest): (value: string) => boolean {
  if (test.op === 'regex') {
    const regex = new RegExp(test.source, test.flags);
    return (value) => regex.test(value.length > MAX_TESTED_LENGTH ? value.slice(0, MAX_TESTED_LENGTH) : value);
  }
  const needle = test.caseSensitive ? test.value : test.value.toLowerCase();
  const fold = test.caseSensitive ? (v: string) => v : (v: string) => v.toLowerCase();
  switch (test.op) {
    case 'equals':
      return (value) => fold(value) === needle;
    case 'contains':
      return (value) => fold(value).includes(needle);
    case 'startsWith':
      return (value) => fold(value).startsWith(needle);
    case 'endsWith':
      return (value) => fold(value).endsWith(needle);
  }
}

/**
 * The forms an address is tested in: the bare address, and `Name <address>` when it has a display name.
 *
 * @example
 * ```ts
 * addressForms({ name: 'Ada', address: 'ada@example.test' }); // ['ada@example.test', 'Ada <ada@example.test>']
 * ```
 */
export function addressForms(address: MailAddress): string[] {
  if (address.name === '') return [address.address];
  if (address.address === '') return [address.name];
  return [address.address, `${address.name} <${address.address}>`];
}

function anyAddress(addresses: readonly MailAddress[], test: (value: string) => boolean): boolean {
  return addresses.some((address) => addressForms(address).some(test));
}

/**
 * Why a condition does not hold for a message: the condition that decided (the innermost leaf, or the `anyOf` /
 * `not` itself) and the values it saw. `seen` is empty when there was nothing to test (a header that is absent).
 *
 * @example
 * ```ts
 * const miss: ConditionMiss = { condition: { kind: 'subject', test }, seen: ['Hello'] };
 * ```
 */
export interface ConditionMiss {
  readonly condition: Condition;
  readonly seen: readonly string[];
  /** For `anyOf`: why each of its parts does not hold. */
  readonly parts?: readonly ConditionMiss[];
}

/**
 * A compiled condition that says why it does not hold: `null` when it holds, else the {@link ConditionMiss}. The
 * one evaluator of conditions: {@link compileCondition} (the pipeline) and runtime/rules/explain.ts (`test`,
 * `run --dry-run`) both use it, so what a trace says is what the pipeline decides.
 *
 * @example
 * ```ts
 * const check = compileCheck(rule.match);
 * const miss = check(message); // null: the rule matches
 * ```
 */
export type ConditionCheck = (message: DiscoveredMessage) => ConditionMiss | null;

const HOLDS = null;

/** The values a leaf condition tests (for a `not`, whose inner condition held: what that one saw). */
function seenBy(condition: Condition, m: DiscoveredMessage): readonly string[] {
  switch (condition.kind) {
    case 'subject':
      return [m.envelope.subject];
    case 'address':
      return m.envelope[condition.field].map((a) => addressForms(a).at(-1)!);
    case 'header':
      return m.headers.get(condition.name) ?? [];
    case 'size':
      return [`${m.size} bytes`];
    case 'attachment':
      return m.attachments === undefined
        ? ['(attachments not known)']
        : m.attachments.map((a) => `${a.filename ?? '(no name)'} ${a.contentType}`);
    case 'body':
      return m.bodyText === undefined ? ['(body not fetched)'] : [m.bodyText.slice(0, 80)];
    default:
      return [];
  }
}

/**
 * A glob on a file name (`*` any run, `?` one character), as a case-insensitive whole-name regex.
 *
 * @example
 * ```ts
 * globRegex('*.pdf').test('Invoice.PDF'); // true
 * ```
 */
export function globRegex(glob: string): RegExp {
  const source = [...glob]
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 'is');
}

/** Whether one attachment fits an `attachment:` condition (no name and no type: any attachment). */
function attachmentTest(condition: { readonly name?: string; readonly type?: string }) {
  const name = condition.name === undefined ? undefined : globRegex(condition.name);
  const type = condition.type?.toLowerCase();
  const typeFits =
    type === undefined
      ? () => true
      : type.endsWith('/*')
        ? (t: string) => t.toLowerCase().startsWith(type.slice(0, -1))
        : (t: string) => t.toLowerCase() === type;
  return (a: AttachmentSummary) => typeFits(a.contentType) && (name === undefined || name.test(a.filename ?? ''));
}

/**
 * Whether a condition needs facts the message does not carry yet (its attachments, its body text): `true` only when
 * such a fact could still change the outcome — in `allOf` a part already false decides without them, in `anyOf` a
 * part already true. Three-valued (Kleene) logic over the same leaf checks {@link compileCheck} uses.
 *
 * @example
 * ```ts
 * const undecided = compileUndecided(rule.match);
 * if (undecided(message)) message = { ...message, bodyText: await fetchText(message) };
 * ```
 */
export function compileUndecided(condition: Condition): (message: DiscoveredMessage) => boolean {
  const tri = compileTri(condition);
  return (m) => tri(m) === undefined;
}

/** `true`/`false`, or `undefined` when facts the message lacks decide. */
function compileTri(condition: Condition): (m: DiscoveredMessage) => boolean | undefined {
  switch (condition.kind) {
    case 'allOf':
    case 'anyOf': {
      const parts = condition.conditions.map(compileTri);
      const decisive = condition.kind === 'anyOf';
      return (m) => {
        let unknown = false;
        for (const part of parts) {
          const value = part(m);
          if (value === decisive) return decisive;
          if (value === undefined) unknown = true;
        }
        return unknown ? undefined : !decisive;
      };
    }
    case 'not': {
      const inner = compileTri(condition.condition);
      return (m) => {
        const value = inner(m);
        return value === undefined ? undefined : !value;
      };
    }
    default: {
      const check = compileCheck(condition);
      const missing =
        condition.kind === 'attachment'
          ? (m: DiscoveredMessage) => m.attachments === undefined
          : condition.kind === 'body'
            ? (m: DiscoveredMessage) => m.bodyText === undefined
            : () => false;
      return (m) => (missing(m) ? undefined : check(m) === null);
    }
  }
}

/**
 * Compiles a condition tree into one {@link ConditionCheck} (string tests and regexes built once).
 *
 * @example
 * ```ts
 * const check = compileCheck({ kind: 'header', name: 'list-id', test: null });
 * check(message)?.seen; // [] when the message has no List-Id
 * ```
 */
export function compileCheck(condition: Condition): ConditionCheck {
  const miss = (m: DiscoveredMessage): ConditionMiss => ({ condition, seen: seenBy(condition, m) });
  switch (condition.kind) {
    case 'all':
      return () => HOLDS;
    case 'subject': {
      const test = compileStringTest(condition.test);
      return (m) => (test(m.envelope.subject) ? HOLDS : miss(m));
    }
    case 'address': {
      const test = compileStringTest(condition.test);
      const field = condition.field;
      return (m) => (anyAddress(m.envelope[field], test) ? HOLDS : miss(m));
    }
    case 'header': {
      const name = condition.name;
      if (condition.test === null) return (m) => ((m.headers.get(name)?.length ?? 0) > 0 ? HOLDS : miss(m));
      const test = compileStringTest(condition.test);
      return (m) => (m.headers.get(name)?.some(test) ? HOLDS : miss(m));
    }
    case 'size': {
      const { over, under } = condition;
      return (m) =>
        (over === undefined || m.size > over) && (under === undefined || m.size < under) ? HOLDS : miss(m);
    }
    case 'attachment': {
      const fits = attachmentTest(condition);
      return (m) => (m.attachments?.some(fits) ? HOLDS : miss(m));
    }
    case 'body': {
      const test = compileStringTest(condition.test);
      // bodyText is already cut to the mailbox's bodyMatchBytes; a regex still tests at most MAX_TESTED_LENGTH.
      return (m) => (m.bodyText !== undefined && test(m.bodyText) ? HOLDS : miss(m));
    }
    case 'allOf': {
      const parts = condition.conditions.map(compileCheck);
      return (m) => {
        for (const part of parts) {
          const failed = part(m);
          if (failed) return failed;
        }
        return HOLDS;
      };
    }
    case 'anyOf': {
      const parts = condition.conditions.map(compileCheck);
      return (m) => {
        const failed: ConditionMiss[] = [];
        for (const part of parts) {
          const one = part(m);
          if (one === null) return HOLDS;
          failed.push(one);
        }
        return { condition, seen: [], parts: failed };
      };
    }
    case 'not': {
      const inner = compileCheck(condition.condition);
      return (m) => (inner(m) === null ? { condition, seen: seenBy(condition.condition, m) } : HOLDS);
    }
  }
  // A host program's own predicate (`autopilot.rule(fn, handler)`, runtime/autopilot.ts): outside the config's
  // kinds, so not in the Condition type. Without this a function match left the matcher without a check.
  const host = condition as { readonly kind: string; readonly test?: unknown };
  if (host.kind === 'predicate' && typeof host.test === 'function') {
    const test = host.test as (message: DiscoveredMessage) => boolean;
    return (m) => (test(m) ? HOLDS : { condition, seen: [] });
  }
  throw new Error(`unknown condition kind ${JSON.stringify(host.kind)}`);
}

/**
 * Compiles a condition tree into one predicate (the {@link compileCheck} evaluator, answering yes or no).
 *
 * @example
 * ```ts
 * const matches = compileCondition({ kind: 'subject', test: { op: 'regex', source: '^Undelivered', flags: 'i' } });
 * matches(message);
 * ```
 */
export function compileCondition(condition: Condition): MessagePredicate {
  const check = compileCheck(condition);
  return (m) => check(m) === null;
}

/**
 * One rule as {@link RuleMatcher.trace} saw it: not tried (an earlier matching rule stopped the search), matched
 * (`miss: null`), or not matched and why.
 *
 * @example
 * ```ts
 * const step: RuleTry<unknown> = { rule, tried: true, miss: null };
 * ```
 */
export interface RuleTry<F> {
  readonly rule: Rule<F>;
  readonly tried: boolean;
  readonly miss: ConditionMiss | null;
}

/**
 * The rules of one mailbox, compiled. `match` tries them in order and returns every rule whose condition holds, up
 * to and including the first matching rule with `stop`.
 *
 * @example
 * ```ts
 * const matcher = new RuleMatcher(parseRules(config.rules, 'support'));
 * const matched = matcher.match(message);
 * if (matched.length === 0) await journal.append([{ type: 'message.unmatched', ...identityOf(message) }]);
 * ```
 */
export class RuleMatcher<F = (...args: any[]) => unknown> {
  readonly rules: readonly Rule<F>[];
  readonly #checks: readonly ConditionCheck[];
  readonly #undecided: readonly ((message: DiscoveredMessage) => boolean)[];
  /** Whether some rule has an `attachment` or `body` condition (else {@link needsFacts} is always false). */
  readonly usesFetchedFacts: boolean;

  constructor(rules: readonly Rule<F>[]) {
    this.rules = rules;
    this.#checks = rules.map((rule) => compileCheck(rule.match));
    this.#undecided = rules.map((rule) => compileUndecided(rule.match));
    this.usesFetchedFacts = rules.some((rule) => conditionUses(rule.match, ['attachment', 'body']));
  }

  /**
   * Whether the outcome for this message depends on facts it does not carry yet (attachments, body text): some
   * rule, tried in order up to the first matching rule that stops, is undecided without them. Only then does the
   * runtime fetch the body (issue 15 point 6: never for a message whose other conditions already fail).
   */
  needsFacts(message: DiscoveredMessage): boolean {
    if (!this.usesFetchedFacts) return false;
    for (let i = 0; i < this.rules.length; i++) {
      if (this.#undecided[i]!(message)) return true;
      if (this.rules[i]!.stop && this.#checks[i]!(message) === null) return false;
    }
    return false;
  }

  /** The matching rules, in order, ending at the first matching rule that stops. */
  match(message: DiscoveredMessage): Rule<F>[] {
    const matched: Rule<F>[] = [];
    for (let i = 0; i < this.rules.length; i++) {
      if (this.#checks[i]!(message) !== null) continue;
      const rule = this.rules[i]!;
      matched.push(rule);
      if (rule.stop) break;
    }
    return matched;
  }

  /** Every rule in order: whether it was tried, and why it did not match (the one evaluation `match` uses). */
  trace(message: DiscoveredMessage): RuleTry<F>[] {
    const steps: RuleTry<F>[] = [];
    let stopped = false;
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i]!;
      if (stopped) {
        steps.push({ rule, tried: false, miss: null });
        continue;
      }
      const miss = this.#checks[i]!(message);
      steps.push({ rule, tried: true, miss });
      if (miss === null && rule.stop) stopped = true;
    }
    return steps;
  }
}

/**
 * Whether a condition tree contains a condition of one of the kinds.
 *
 * @example
 * ```ts
 * conditionUses(rule.match, ['body']); // true when the rule tests the body somewhere
 * ```
 */
export function conditionUses(condition: Condition, kinds: readonly Condition['kind'][]): boolean {
  if (kinds.includes(condition.kind)) return true;
  if (condition.kind === 'allOf' || condition.kind === 'anyOf')
    return condition.conditions.some((c) => conditionUses(c, kinds));
  if (condition.kind === 'not') return conditionUses(condition.condition, kinds);
  return false;
}
