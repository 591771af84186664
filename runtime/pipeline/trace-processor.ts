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
  /** Characters of the text part `body:` conditions test (the mailbox's resolved `bodyMatchBytes`). */
  readonly bodyMatchBytes: number;
  readonly journal: Journal;
  /** Loop protection's context at the time of the message (own addresses, the mailbox's limiter, the time). */
  readonly verdict: () => ActionVerdictContext;
  readonly onTrace: (trace: MessageTrace) => void;
  /** Recognises the mailbox's canaries (issue 15 point 5), which a real run takes away before the rules. */
  readonly isCanary?: (message: DiscoveredMessage) => boolean;
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
      // A canary is never shown to rules: a real run takes it away (the dry run leaves it where it is).
      if (deps.isCanary?.(found)) continue;
      // As the executor: body and attachment facts fetched (read-only) only when a rule is undecided without them.
      const message = (await withMatchFacts(deps.matcher, found, session, deps.bodyMatchBytes))?.message;
      if (message === undefined) continue;
      // What an earlier run examined and no rule matches now stays quiet, as in a real run. Regression (review of
      // issue 15): it was skipped even when a rule added since matches it — which a real run then handles.
      if (state === undefined && examinedBefore(identity.key) && deps.matcher.match(message).length === 0) continue;
      deps.onTrace({
        key: identity.key,
        mailbox: deps.mailboxId,
        subject: message.envelope.subject,
        rules: explainMessage(deps.matcher, message, deps.verdict()),
      });
    }
  };
}
