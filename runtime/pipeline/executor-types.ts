/**
 * What the executor of one mailbox needs: the journal it writes, the rules, the policies, the means to send and to
 * run handlers, the clock. Everything is injected, so the executor runs the same under a simulated clock.
 *
 * @module
 */
import type { DiscoveredMessage, Logger, MailServiceCapabilities } from '../../adapters/contract.js';
import type { SmtpMessage, SmtpSendResult } from '../../adapters/smtp/index.js';
import type { Journal } from '../journal/journal.js';
import type { RuleMatcher } from '../rules/matcher.js';
import type { AutoReplyLimiter } from '../rules/reply-limiter.js';
import type { RuleSendLimiter } from '../rules/rule-send-limiter.js';
import type { HostHandler } from './host-handler.js';
import type { CommandRunner } from './step-outcome.js';

/**
 * Everything the executor of one mailbox needs.
 *
 * @example
 * ```ts
 * const executor = createExecutor({ mailboxId: 'support', journal, matcher, capabilities, policy, from, ... });
 * ```
 */
export interface ProcessorDeps {
  readonly mailboxId: string;
  readonly journal: Journal;
  readonly matcher: RuleMatcher<HostHandler>;
  /** Characters of the text part `body:` conditions test (the mailbox's resolved `bodyMatchBytes`). */
  readonly bodyMatchBytes: number;
  readonly capabilities: MailServiceCapabilities;
  readonly policy: { readonly retries: number; readonly retryDelayMs: number };
  readonly send?: (message: SmtpMessage) => Promise<SmtpSendResult>;
  /** Sender address of automatic mail. */
  readonly from: string;
  /** The mailbox's own addresses: never answered, never forwarded to (loops). */
  readonly ownAddresses: readonly string[];
  /** The per-correspondent limit of automatic replies (fed by the journal). */
  readonly limiter: AutoReplyLimiter;
  /** The per-rule limit of automatic mails per hour (fed by the journal); absent: no per-rule limit. */
  readonly stormGuard?: RuleSendLimiter;
  /** Keep a copy of every automatic mail in the Sent folder where the session can (IMAP). Default false. */
  readonly saveSent?: boolean;
  readonly runCommand: CommandRunner;
  readonly now: () => number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Aborted when the autopilot stops (after the deadline for handlers in flight). */
  readonly signal: AbortSignal;
  /** Where failures, skipped mails and dead letters are logged (warn/error with mailbox, rule, message, code). */
  readonly logger?: Logger;
}

/**
 * A message with what the log lines about it say: Message-ID and subject.
 *
 * @example
 * ```ts
 * logger.error({ ...describeMessage(message), code }, 'dead-lettered');
 * ```
 */
export function describeMessage(message: DiscoveredMessage): Record<string, unknown> {
  return {
    key: message.identity.key,
    messageId: message.identity.messageId,
    subject: message.envelope.subject.slice(0, 200),
  };
}
