/**
 * The rules of each mailbox checked with the rest of the config, so one report lists schema, rule and service
 * problems together (issue 13 point 6) instead of rules only after the schema is fixed.
 *
 * @module
 */
import { RuleConfigError, type RuleConfigIssue } from '../rules/config-issues.js';
import { parseRules } from '../rules/parse-rules.js';
import { assertMailboxRulesSupported } from '../service-capabilities.js';
import type { ConfigIssue } from './errors.js';
import type { MailboxConfig } from './resolve.js';

function ruleIndex(issue: RuleConfigIssue, rawRules: readonly unknown[]): number | undefined {
  const fallback = issue.rule === null ? undefined : /^rules\[(\d+)\]$/.exec(issue.rule)?.[1];
  if (fallback !== undefined) return Number(fallback);
  const index = rawRules.findIndex((rule) => (rule as { name?: unknown } | null)?.name === issue.rule);
  return index < 0 ? undefined : index;
}

function toConfigIssues(error: RuleConfigError, at: string, rawRules: readonly unknown[]): ConfigIssue[] {
  return error.issues.map((issue) => {
    const index = ruleIndex(issue, rawRules);
    const rulePath = index === undefined ? `${at}.rules` : `${at}.rules[${index}]`;
    const named = issue.rule !== null && !/^rules\[\d+\]$/.test(issue.rule);
    return {
      mailboxId: error.mailboxId,
      path: issue.path === '' ? rulePath : `${rulePath}.${issue.path}`,
      message: named ? `rule ${JSON.stringify(issue.rule)}: ${issue.message}` : issue.message,
    };
  });
}

/**
 * The problems of one mailbox's rules: their own (parse-rules) and, for a resolved mailbox, what its service cannot
 * do (Simple MAPI cannot move; mail sending without SMTP). `mailbox` is undefined when the mailbox itself is invalid:
 * its rules are still checked.
 *
 * @example
 * ```ts
 * const issues = ruleIssues(raw.rules, 'support', 'mailboxes[0]', resolved, { checkServices: true });
 * ```
 */
export function ruleIssues(
  rawRules: unknown,
  mailboxId: string,
  at: string,
  mailbox: MailboxConfig | undefined,
  options: { readonly checkServices: boolean },
): ConfigIssue[] {
  if (!Array.isArray(rawRules)) return [];
  try {
    const rules = parseRules(rawRules, mailboxId);
    if (mailbox && options.checkServices) assertMailboxRulesSupported(mailbox, rules);
    return [];
  } catch (error) {
    if (error instanceof RuleConfigError) return toConfigIssues(error, at, rawRules);
    throw error;
  }
}
