/**
 * Rules (issue 4, SPEC S13): the rule model, the config parser, the matcher, and loop protection for automatic mail.
 *
 * @example
 * ```ts
 * import { parseRules, RuleMatcher, shouldAutoRespond } from './runtime/rules/index.js';
 * const matcher = new RuleMatcher(parseRules(mailboxConfig.rules, mailboxConfig.id));
 * for (const rule of matcher.match(message)) console.log('matched', rule.name);
 * ```
 * @module
 */

export { parseDuration } from '../config/duration.js';
export { AddressSet, baseAddress, localPart, normalizeAddress, returnPathAddress } from './addresses.js';
export { assertRulesSupported } from './capabilities.js';
export type { RuleConfigIssue } from './config-issues.js';
export { IssueList, ParseContext, RuleConfigError } from './config-issues.js';
export type { AutoMailKind, AutoRespondOptions, AutoRespondVerdict, LoopProtectionCode } from './loop-protection.js';
export { autoHeaders, replyHeaders, replyRecipient, replySubject, shouldAutoRespond } from './loop-protection.js';
export type { MessagePredicate } from './matcher.js';
export { addressForms, compileCondition, compileStringTest, MAX_TESTED_LENGTH, RuleMatcher } from './matcher.js';
export type { ParsedActions } from './parse-actions.js';
export { parseActions } from './parse-actions.js';
export { CONDITION_KEYS, parseCondition, parseStringTest } from './parse-condition.js';
export { parseMatch, parseRules } from './parse-rules.js';
export type { AutoReplyLimiterOptions } from './reply-limiter.js';
export { AutoReplyLimiter } from './reply-limiter.js';
export { compileConditionFilter, compileSearchFilter, searchPieces } from './search-pushdown.js';
export type {
  AddressField,
  CommandHandlerSpec,
  Condition,
  HostHandlerSpec,
  Rule,
  RuleAction,
  RuleActionKind,
  StringTest,
} from './types.js';
export { DEFAULT_HANDLER_TIMEOUT_MS } from './types.js';
