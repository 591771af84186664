/**
 * The start-up guard of retention (issue 16, part 3): after a prune, a journal that started from a checkpoint
 * covering it may be used; one that could not use a checkpoint (both kept ones unreadable) is refused with
 * JOURNAL_HISTORY_PRUNED instead of forgetting the pruned messages.
 */
import { describe, expect, it } from 'vitest';
import { Journal } from '../../../runtime/journal/journal.js';
import { MemoryJournalStore } from '../../../runtime/journal/memory-store.js';
import { assertPrunedHistoryCovered, JournalHistoryPrunedError } from '../../../runtime/journal/retention-guard.js';
import { runRetentionPass } from '../../../runtime/journal/retention-runner.js';
import { retentionHistory } from './journal-store-retention.contract.js';

const NOW = Date.UTC(2030, 0, 1);
const attempt = (n: number) => ({ type: 'mailbox.attempt' as const, mailboxId: 'support', at: NOW, attempt: n });

async function prunedJournal(): Promise<MemoryJournalStore> {
  const store = new MemoryJournalStore();
  const journal = await Journal.open(store);
  await journal.append(retentionHistory());
  await journal.writeSnapshot(NOW);
  await journal.append([attempt(3)]);
  await journal.writeSnapshot(NOW);
  expect((await runRetentionPass(store, 86_400_000, NOW))?.removed).toBeGreaterThan(0);
  return store;
}

describe('retention start-up guard', () => {
  it('lets a journal through that started from a checkpoint covering the prune, and one never pruned', async () => {
    const store = await prunedJournal();
    const reopened = await Journal.open(store);
    expect(reopened.restoredFrom).toBe(17);
    await expect(assertPrunedHistoryCovered(reopened)).resolves.toBeUndefined();
    await expect(assertPrunedHistoryCovered(await Journal.open(new MemoryJournalStore()))).resolves.toBeUndefined();
  });

  it('refuses a journal that had to fold from the start after a prune', async () => {
    const store = await prunedJournal();
    await store.append([attempt(4)]);
    await store.writeSnapshot({ position: 18, at: NOW, data: new Uint8Array([1]) });
    await store.append([attempt(5)]);
    await store.writeSnapshot({ position: 19, at: NOW, data: new Uint8Array([2]) });
    const reopened = await Journal.open(store, { onSnapshotIgnored: () => undefined });
    expect(reopened.restoredFrom).toBe(0);
    const error = await assertPrunedHistoryCovered(reopened).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JournalHistoryPrunedError);
    expect(error).toMatchObject({ code: 'JOURNAL_HISTORY_PRUNED', prunedThrough: 16, restoredFrom: 0 });
  });
});
