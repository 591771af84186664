/**
 * Which service capabilities a rule's actions need, so a rule the service cannot perform is a configuration error
 * naming the rule (adapters/contract.ts `MailServiceCapabilities`), found before anything connects.
 *
 * @module
 */
import type { MailServiceCapabilities } from '../../adapters/contract.js';
import { RuleConfigError, type RuleConfigIssue } from './config-issues.js';
import { conditionUses } from './matcher.js';
import type { Rule, RuleAction } from './types.js';

const NEEDS: Partial<Record<RuleAction['kind'], keyof MailServiceCapabilities>> = {
  markRead: 'markRead',
  flag: 'flag',
  moveTo: 'move',
  delete: 'delete',
};

/**
 * Checks every rule's actions against the service's capabilities and whether mail can be sent at all (an SMTP
 * transport or the service's own `send`), and that a service which reports no message size (`reportsSize: false`,
 * Simple MAPI) has no rule with a `size` condition: every message would count as 0 bytes there, so `under` would
 * hold for all and `over` for none. Throws a {@link RuleConfigError} listing each unsupported action or condition.
 *
 * @example
 * ```ts
 * assertRulesSupported(rules, service.capabilities, { mailboxId: 'support', canSendMail: config.smtp !== undefined });
 * ```
 */
export function assertRulesSupported(
  rules: readonly Rule<unknown>[],
  capabilities: MailServiceCapabilities,
  options: { mailboxId: string; serviceName?: string; canSendMail: boolean; reportsSize?: boolean },
): void {
  const issues: RuleConfigIssue[] = [];
  const service = options.serviceName ?? 'this mail service';
  for (const rule of rules) {
    if (options.reportsSize === false && conditionUses(rule.match, ['size'])) {
      issues.push({ rule: rule.name, path: 'size', message: `${service} reports no message size` });
    }
    rule.actions.forEach((action, i) => {
      const path = `actions[${i}].${action.kind}`;
      const needed = NEEDS[action.kind];
      if (needed !== undefined && !capabilities[needed]) {
        issues.push({ rule: rule.name, path, message: `${service} cannot ${action.kind} (no ${needed} capability)` });
      }
      if ((action.kind === 'reply' || action.kind === 'forward' || action.kind === 'send') && !options.canSendMail) {
        issues.push({ rule: rule.name, path, message: `needs a way to send mail: configure smtp for this mailbox` });
      }
    });
  }
  if (issues.length > 0) throw new RuleConfigError(options.mailboxId, issues);
}
