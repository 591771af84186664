/**
 * Evaluates rules against a discovered message: conditions are compiled once into closures (regexes built once),
 * and matching needs only the envelope and headers, never the body.
 *
 * @module
 */
import type { DiscoveredMessage, MailAddress } from '../../adapters/contract.js';
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
 * Compiles a condition tree into one predicate.
 *
 * @example
 * ```ts
 * const matches = compileCondition({ kind: 'subject', test: { op: 'regex', source: '^Undelivered', flags: 'i' } });
 * matches(message);
 * ```
 */
export function compileCondition(condition: Condition): MessagePredicate {
  switch (condition.kind) {
    case 'all':
      return () => true;
    case 'subject': {
      const test = compileStringTest(condition.test);
      return (m) => test(m.envelope.subject);
    }
    case 'address': {
      const test = compileStringTest(condition.test);
      const field = condition.field;
      return (m) => anyAddress(m.envelope[field], test);
    }
    case 'header': {
      const name = condition.name;
      if (condition.test === null) return (m) => (m.headers.get(name)?.length ?? 0) > 0;
      const test = compileStringTest(condition.test);
      return (m) => m.headers.get(name)?.some(test) ?? false;
    }
    case 'allOf': {
      const parts = condition.conditions.map(compileCondition);
      return (m) => parts.every((p) => p(m));
    }
    case 'anyOf': {
      const parts = condition.conditions.map(compileCondition);
      return (m) => parts.some((p) => p(m));
    }
    case 'not': {
      const inner = compileCondition(condition.condition);
      return (m) => !inner(m);
    }
  }
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
  readonly #predicates: readonly MessagePredicate[];

  constructor(rules: readonly Rule<F>[]) {
    this.rules = rules;
    this.#predicates = rules.map((rule) => compileCondition(rule.match));
  }

  /** The matching rules, in order, ending at the first matching rule that stops. */
  match(message: DiscoveredMessage): Rule<F>[] {
    const matched: Rule<F>[] = [];
    for (let i = 0; i < this.rules.length; i++) {
      if (!this.#predicates[i]!(message)) continue;
      const rule = this.rules[i]!;
      matched.push(rule);
      if (rule.stop) break;
    }
    return matched;
  }
}
