/**
 * Why a mailbox's rules do what they do with a message (issue 15: `test` and `run --dry-run`): each rule in order,
 * tried or not, matched or the condition that failed with the value it saw, and for a matched rule its handler's
 * argv and each action with its recipients and loop protection's verdict. Pure: the matcher's own evaluator
 * (`RuleMatcher.trace`, runtime/rules/matcher.ts) and the pipeline's loop-protection question
 * (runtime/rules/action-verdict.ts) decide; this module only says what they decided.
 *
 * @module
 */
import type { DiscoveredMessage } from '../../adapters/contract.js';
import { type ActionVerdictContext, actionVerdict, configuredRecipients } from './action-verdict.js';
import { normalizeAddress } from './addresses.js';
import { replyRecipient } from './loop-protection.js';
import type { ConditionMiss, RuleMatcher } from './matcher.js';
import type { Condition, Rule, RuleAction, StringTest } from './types.js';

/**
 * One action of a matched rule: its kind, and for mail its recipients (bare addresses) and, when loop protection
 * would not send it, `skipped` (the loop-protection code, as the journal's `action.skipped` has it) and `reason`.
 *
 * @example
 * ```ts
 * const a: ActionTrace = { kind: 'reply', to: ['ada@example.test'], skipped: 'AUTO_SUBMITTED', reason: '…' };
 * const b: ActionTrace = { kind: 'moveTo', folder: 'Done' };
 * ```
 */
export interface ActionTrace {
  readonly kind: RuleAction['kind'];
  readonly to?: readonly string[];
  readonly folder?: string;
  readonly flag?: string;
  readonly skipped?: string;
  readonly reason?: string;
}

/**
 * One rule as the trace shows it: not tried (an earlier matching rule had `stop: true`), tried and not matched
 * (`reason`), or matched (`handler`: the command's argv, or `["<function NAME>"]` for a host function; absent
 * without a handler; `actions` in order).
 *
 * @example
 * ```ts
 * const t: RuleTrace = { rule: 'bounces', tried: true, matched: false, reason: 'subject equals "x": saw "Hello"' };
 * ```
 */
export type RuleTrace =
  | { readonly rule: string; readonly tried: false }
  | { readonly rule: string; readonly tried: true; readonly matched: false; readonly reason: string }
  | {
      readonly rule: string;
      readonly tried: true;
      readonly matched: true;
      readonly handler?: readonly string[];
      readonly actions: readonly ActionTrace[];
    };

/**
 * One message of a trace: where it came from (`file` as given for `test`; `key` for a dry run), its mailbox, and
 * each rule in order, or `error` when it could not be tried (an unreadable file: `rules` is empty then).
 *
 * @example
 * ```ts
 * const m: MessageTrace = { file: 'a.eml', mailbox: 'support', rules: [{ rule: 'optin', tried: false }] };
 * ```
 */
export interface MessageTrace {
  readonly file?: string;
  readonly key?: string;
  readonly mailbox: string;
  readonly subject?: string;
  readonly error?: { readonly code: string; readonly message: string };
  readonly rules: readonly RuleTrace[];
}

/** Values longer than this are cut in a reason: a trace is for reading. */
const SEEN_CHARS = 200;

function quoted(value: string): string {
  return JSON.stringify(value.length > SEEN_CHARS ? `${value.slice(0, SEEN_CHARS)}…` : value);
}

function describeTest(test: StringTest): string {
  if (test.op === 'regex') return `matches /${test.source}/${test.flags}`;
  return `${test.op} ${quoted(test.value)}${test.caseSensitive ? ' (case-sensitive)' : ''}`;
}

/**
 * A condition as people read it.
 *
 * @example
 * ```ts
 * describeCondition({ kind: 'header', name: 'list-id', test: null }); // 'header list-id exists'
 * ```
 */
export function describeCondition(condition: Condition): string {
  switch (condition.kind) {
    case 'all':
      return 'every message';
    case 'subject':
      return `subject ${describeTest(condition.test)}`;
    case 'address':
      return `${condition.field} ${describeTest(condition.test)}`;
    case 'header':
      return condition.test === null
        ? `header ${condition.name} exists`
        : `header ${condition.name} ${describeTest(condition.test)}`;
    case 'allOf':
      return `all of (${condition.conditions.map(describeCondition).join('; ')})`;
    case 'anyOf':
      return `any of (${condition.conditions.map(describeCondition).join('; ')})`;
    case 'not':
      return `not ${describeCondition(condition.condition)}`;
    case 'size':
      return [
        condition.over !== undefined ? `size over ${condition.over} bytes` : '',
        condition.under !== undefined ? `size under ${condition.under} bytes` : '',
      ]
        .filter(Boolean)
        .join(' and ');
    case 'attachment': {
      const parts = [
        condition.name !== undefined ? `named ${quoted(condition.name)}` : '',
        condition.type !== undefined ? `of type ${condition.type}` : '',
      ].filter(Boolean);
      return parts.length === 0 ? 'has an attachment' : `has an attachment ${parts.join(' ')}`;
    }
    case 'body':
      return `body ${describeTest(condition.test)}`;
    default:
      // A condition kind this module does not know yet (a newer matcher): still name it.
      return `${(condition as { kind: string }).kind} condition`;
  }
}

function describeSeen(miss: ConditionMiss): string {
  if (miss.seen.length === 0) {
    const absent = ['header', 'address', 'attachment'].includes(miss.condition.kind);
    return absent ? 'saw none' : 'saw ""';
  }
  return `saw ${miss.seen.map(quoted).join(', ')}`;
}

/**
 * Why a condition failed: the condition and the value it saw.
 *
 * @example
 * ```ts
 * describeMiss({ condition: { kind: 'subject', test }, seen: ['Hello'] });
 * // 'subject equals "Newsletter confirmation": saw "Hello"'
 * ```
 */
export function describeMiss(miss: ConditionMiss): string {
  if (miss.parts) return `none of: ${miss.parts.map(describeMiss).join('; ')}`;
  return `${describeCondition(miss.condition)}: ${describeSeen(miss)}`;
}

/**
 * The argv a trace shows for a rule's handler, `undefined` without one.
 *
 * @example
 * ```ts
 * handlerArgv(rule); // ['node', 'handlers/optin.js'] or ['<function confirm>']
 * ```
 */
export function handlerArgv(rule: Rule<unknown>): readonly string[] | undefined {
  const handler = rule.handler;
  if (handler === null) return undefined;
  if (handler.kind === 'command') return [...handler.command];
  const name = (handler.fn as { name?: unknown } | null)?.name;
  return [`<function ${typeof name === 'string' && name !== '' ? name : 'anonymous'}>`];
}

function traceAction(message: DiscoveredMessage, action: RuleAction, context: ActionVerdictContext): ActionTrace {
  switch (action.kind) {
    case 'moveTo':
      return { kind: action.kind, folder: action.folder };
    case 'flag':
      return { kind: action.kind, flag: action.flag };
    case 'markRead':
    case 'delete':
      return { kind: action.kind };
  }
  const verdict = actionVerdict(message, action, context);
  if (verdict.ok) return { kind: action.kind, to: [...verdict.recipients] };
  const reply = action.kind === 'reply' ? replyRecipient(message) : null;
  const to = action.kind === 'reply' ? (reply === null ? [] : [reply]) : configuredRecipients(action);
  return { kind: action.kind, to: to.map(normalizeAddress), skipped: verdict.code, reason: verdict.reason };
}

/**
 * The trace of one message through a mailbox's rules.
 *
 * @example
 * ```ts
 * const rules = explainMessage(new RuleMatcher(parseRules(mailbox.rules, mailbox.id)), message, {
 *   ownAddresses: ['support@example.test'], now: Date.now(),
 * });
 * ```
 */
export function explainMessage<F>(
  matcher: RuleMatcher<F>,
  message: DiscoveredMessage,
  context: ActionVerdictContext,
): RuleTrace[] {
  return matcher.trace(message).map((step): RuleTrace => {
    const rule = step.rule.name;
    if (!step.tried) return { rule, tried: false };
    if (step.miss) return { rule, tried: true, matched: false, reason: describeMiss(step.miss) };
    const handler = handlerArgv(step.rule);
    return {
      rule,
      tried: true,
      matched: true,
      ...(handler ? { handler } : {}),
      actions: step.rule.actions.map((action) => traceAction(message, action, context)),
    };
  });
}
