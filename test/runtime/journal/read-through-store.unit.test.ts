/**
 * The dry run's journal (issue 15 point 2) reads the real store whole — events, snapshots, retention passes — and
 * writes nothing to it. Regression (review of issues 15/16): it was a copy of the events alone, renumbered, so after
 * retention a dry run folded what was left from the start and showed pruned handled mail as new.
 */
import { describe, expect, it } from 'vitest';
import { Journal } from '../../../runtime/journal/journal.js';
import { MemoryJournalStore } from '../../../runtime/journal/memory-store.js';
import { copyIntoMemory } from '../../../runtime/journal/read-only-copy.js';

const handled = (key: string, at: number) =>
  [
    { type: 'message.discovered', mailboxId: 'support', at, key, messageId: null, subject: 's', from: 'a@x.test' },
    { type: 'message.unmatched', mailboxId: 'support', at, key, messageId: null },
  ] as const;

describe('the read-through journal of a dry run', () => {
  it('starts from the real snapshot, sees pruned handled mail as handled, and keeps its appends to itself', async () => {
    const real = new MemoryJournalStore();
    const writer = await Journal.open(real, { recentFinished: 3 });
    await writer.append([...handled('pop3:support:a', 1), ...handled('pop3:support:b', 2)]);
    const covered = await writer.writeSnapshot(3);
    await real.pruneEvents({ throughPosition: covered, before: 10, at: 5, batchSize: 100 });
    expect(await real.read()).toHaveLength(1); // the newest event of the stream stays

    const store = await copyIntoMemory(real);
    const dry = await Journal.open(store, { recentFinished: 3 });
    expect(dry.restoredFrom).toBe(covered);
    expect(dry.isHandled({ mailboxId: 'support', key: 'pop3:support:a', messageId: null })).toBe(true);
    expect(await store.prunePasses()).toEqual(await real.prunePasses());

    await dry.append([{ type: 'mailbox.attempt', mailboxId: 'support', at: 6, attempt: 1 }]);
    expect(dry.position).toBe(covered + 1);
    expect(await real.read()).toHaveLength(1);
    expect((await store.read()).at(-1)).toMatchObject({ type: 'mailbox.attempt', position: covered + 1 });
    await store.close();
    expect(await real.read()).toHaveLength(1); // a host's store stays open: copyIntoMemory does not close it
  });
});
