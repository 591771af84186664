/**
 * The message processor of `run --once --dry-run` (issue 15 point 2): in place of the executor, it decides each
 * discovered message as the executor would (skips what the journal has finished, matches the rest with the same
 * matcher, asks loop protection the same question) and reports the trace. It runs no handler, performs no action,
 * sends nothing and journals nothing.
 *
 * @module
 */
import type { DiscoveredMessage, MailSession } from '../../adapters/contract.js';
import { parseImapMessageKey } from '../../adapters/imap/index.js';
import { isTerminalStatus } from '../../machines/message/state.js';
import type { Journal } from '../journal/journal.js';
import { examinedKey } from '../journal/mailbox-projection.js';
import type { ActionVerdictContext } from '../rules/action-verdict.js';
import { explainMessage, type MessageTrace } from '../rules/explain.js';
import type { RuleMatcher } from '../rules/matcher.js';
import { withMatchFacts } from './match-facts.js';

/**
 * What the trace processor needs of the mailbox.
 *
 * @example
 * ```ts
 * const deps: TraceProcessorDeps = { mailboxId: 'support', matcher, journal, verdict: () => ({ ownAddresses, now: Date.now() }), onTrace };
 * ```
 */
export interface TraceProcessorDeps {
  readonly mailboxId: string;
  readonly matcher: RuleMatcher<unknown>;
  readonly journal: Journal;
  /** Loop protection's context at the time of the message (own addresses, the mailbox's limiter, the time). */
  readonly verdict: () => ActionVerdictContext;
  readonly onTrace: (trace: MessageTrace) => void;
}

/**
 * A processor (the runner's `process`) that traces each message instead of handling it.
 *
 * @example
 * ```ts
 * const process = createTraceProcessor({ mailboxId, matcher, journal, verdict, onTrace: (t) => traces.push(t) });
 * ```
 */
export function createTraceProcessor(
  deps: TraceProcessorDeps,
): (messages: readonly DiscoveredMessage[], session: MailSession) => Promise<void> {
  // The ranges earlier runs examined on the server (the rules' SEARCH found no match there): taken before this run
  // appends its own, so they mean what the real journal says.
  const examined = { ...deps.journal.mailboxes.get(deps.mailboxId)?.examinedThrough };
  const examinedBefore = (key: string) => {
    const imap = parseImapMessageKey(key);
    return imap !== undefined && imap.uid <= (examined[examinedKey(imap.folder, imap.uidValidity)] ?? 0);
  };
  return async (messages, session) => {
    for (const found of messages) {
      const identity = found.identity;
      const state = deps.journal.messages.lookup(identity);
      // The executor's own test: a message the journal has finished under this key is not handled again.
      if (state && isTerminalStatus(state.status) && state.key === identity.key) continue;
      // A real run's server search skips what an earlier run examined (the dry run fetches every candidate).
      if (state === undefined && examinedBefore(identity.key)) continue;
      // As the executor: body and attachment facts fetched (read-only) only when a rule is undecided without them.
      const message = await withMatchFacts(deps.matcher, found, session);
      if (message === undefined) continue;
      deps.onTrace({
        key: identity.key,
        mailbox: deps.mailboxId,
        subject: message.envelope.subject,
        rules: explainMessage(deps.matcher, message, deps.verdict()),
      });
    }
  };
}
