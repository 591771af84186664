/**
 * Loop protection applied to one rule action: which kind of automatic mail it is, whom it goes to, and whether the
 * per-correspondent limit counts it. One place, so the pipeline (runtime/pipeline/message-steps.ts) and the rule
 * trace (`test`, `run --dry-run`: runtime/rules/explain.ts) ask loop protection the same question.
 *
 * @module
 */
import type { DiscoveredMessage } from '../../adapters/contract.js';
import { type AutoRespondVerdict, shouldAutoRespond } from './loop-protection.js';
import type { AutoReplyLimiter } from './reply-limiter.js';
import type { RuleAction } from './types.js';

/**
 * A rule action that sends mail.
 *
 * @example
 * ```ts
 * const action: MailRuleAction = { kind: 'reply', text: 'Thanks.' };
 * ```
 */
export type MailRuleAction = Extract<RuleAction, { kind: 'reply' | 'forward' | 'send' }>;

/**
 * What loop protection needs of the mailbox: its own addresses, the limiter (absent: no limit is checked, as in
 * `test`, which has no journal to count from) and the time.
 *
 * @example
 * ```ts
 * const context: ActionVerdictContext = { ownAddresses: ['support@example.test'], now: Date.now() };
 * ```
 */
export interface ActionVerdictContext {
  readonly ownAddresses: readonly string[];
  readonly limiter?: AutoReplyLimiter;
  readonly now: number;
}

/**
 * The configured recipients of a forward or send (To, then Cc): loop protection checks them all.
 *
 * @example
 * ```ts
 * configuredRecipients({ kind: 'forward', to: ['ops@example.test'], cc: ['lead@example.test'] }); // both
 * ```
 */
export function configuredRecipients(action: Exclude<MailRuleAction, { kind: 'reply' }>): string[] {
  return [...action.to, ...(action.cc ?? [])];
}

/**
 * Loop protection's verdict on a mail action for `message`.
 *
 * @example
 * ```ts
 * const verdict = actionVerdict(message, { kind: 'reply', text: 'Thanks.' }, { ownAddresses, limiter, now });
 * if (!verdict.ok) console.log(verdict.code); // 'AUTO_SUBMITTED'
 * ```
 */
export function actionVerdict(
  message: DiscoveredMessage,
  action: MailRuleAction,
  context: ActionVerdictContext,
): AutoRespondVerdict {
  return shouldAutoRespond(message, {
    ownAddresses: context.ownAddresses,
    kind: action.kind,
    recipients: action.kind === 'reply' ? undefined : configuredRecipients(action),
    // The per-correspondent limit is about answering people; forwards to fixed addresses are not limited.
    limiter: action.kind === 'reply' ? context.limiter : undefined,
    now: context.now,
  });
}
