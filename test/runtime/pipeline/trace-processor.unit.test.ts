/**
 * The dry run's decisions (issue 15 point 2) as a real run's: regressions found by review.
 * - A message an earlier run examined (its old rules' server search ruled it out) was skipped even when a rule added
 *   since matches it; the real run's full pass searches with the current rules and handles it.
 * - A canary was traced as ordinary mail; a real run takes it away before the rules.
 */
import { describe, expect, it } from 'vitest';
import type { MailSession } from '../../../adapters/contract.js';
import { Journal } from '../../../runtime/journal/journal.js';
import { MemoryJournalStore } from '../../../runtime/journal/memory-store.js';
import { createTraceProcessor } from '../../../runtime/pipeline/trace-processor.js';
import type { MessageTrace } from '../../../runtime/rules/explain.js';
import { RuleMatcher } from '../../../runtime/rules/matcher.js';
import { parseRules } from '../../../runtime/rules/parse-rules.js';
import { testMessage } from '../rules/message.js';

async function traced(rules: unknown[], subject: string, extra: { canary?: boolean } = {}): Promise<MessageTrace[]> {
  const journal = await Journal.open(new MemoryJournalStore());
  // An earlier run examined UIDs 1..10 on the server: its rules matched none of them.
  await journal.append([
    {
      type: 'mailbox.examined',
      mailboxId: 'support',
      at: 1,
      folder: 'INBOX',
      uidValidity: '7',
      fromUid: 1,
      throughUid: 10,
      candidates: 10,
      hits: 0,
    },
  ]);
  const traces: MessageTrace[] = [];
  const process = createTraceProcessor({
    mailboxId: 'support',
    matcher: new RuleMatcher(parseRules(rules, 'support')),
    journal,
    bodyMatchBytes: 65_536,
    verdict: () => ({ ownAddresses: ['support@example.test'], now: 2 }),
    onTrace: (t) => traces.push(t),
    ...(extra.canary ? { isCanary: () => true } : {}),
  });
  await process([testMessage({ key: 'imap:INBOX:7:5', subject })], {} as MailSession);
  return traces;
}

describe('the dry run decides as a real run', () => {
  const invoices = [{ name: 'invoices', subject: { contains: 'invoice' }, actions: ['markRead'] }];

  it('traces an examined message that a rule added since matches', async () => {
    const traces = await traced(invoices, 'Your invoice 42');
    expect(traces.map((t) => t.key)).toEqual(['imap:INBOX:7:5']);
  });

  it('stays quiet about an examined message no rule matches', async () => {
    expect(await traced(invoices, 'Hello')).toEqual([]);
  });

  it('never shows a canary to the rules', async () => {
    expect(await traced(invoices, 'Your invoice 42', { canary: true })).toEqual([]);
  });
});
