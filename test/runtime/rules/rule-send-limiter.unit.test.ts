/**
 * The storm guard (issue 13 point 10): at most `perRulePerHour` automatic mails per rule of a mailbox in any hour,
 * counted from the journal (so restarts do not reset it); beyond it the executor skips the send, journaled and logged.
 */
import { describe, expect, it } from 'vitest';
import { Journal } from '../../../runtime/journal/journal.js';
import { MemoryJournalStore } from '../../../runtime/journal/memory-store.js';
import { RuleSendLimiter } from '../../../runtime/rules/rule-send-limiter.js';
import { messageEvents } from '../journal/builders.js';

describe('RuleSendLimiter', () => {
  it('allows perHour automatic mails of a rule within an hour, then refuses until the hour has passed', async () => {
    const guard = new RuleSendLimiter({ perHour: () => 2 });
    const journal = await Journal.open(new MemoryJournalStore(), { projections: [guard] });
    const t0 = 1_700_000_000_000;
    for (const [i, at] of [t0, t0 + 1_000].entries()) {
      await journal.append([messageEvents(`k${i}`, { at: () => at }).actionStarted('optin', 0, 'reply')]);
    }
    expect(guard.allows('support', 'optin', t0 + 2_000)).toBe(false);
    expect(guard.allows('support', 'other', t0 + 2_000)).toBe(true);
    expect(guard.allows('support', 'optin', t0 + 3_600_001)).toBe(true);
  });

  it('counts only automatic mails, and survives a restart (rebuilt from the journal)', async () => {
    const store = new MemoryJournalStore();
    const journal = await Journal.open(store);
    await journal.append([
      messageEvents('a').actionStarted('optin', 0, 'markRead'),
      messageEvents('b').actionStarted('optin', 1, 'forward'),
    ]);
    const guard = new RuleSendLimiter({ perHour: () => 1 });
    await Journal.open(store, { projections: [guard] });
    expect(guard.count('support', 'optin', 1_700_000_000_000)).toBe(1);
  });
});
