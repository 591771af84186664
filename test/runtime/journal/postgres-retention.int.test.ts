/**
 * Retention in the PostgreSQL journal (issue 16, part 3) on the real server: a large prune goes in batches, and
 * another instance's appends (another host, or this service's own writer) proceed while it runs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../../runtime/journal/events.js';
import { PostgresJournalStore } from '../../../runtime/journal/postgres-store.js';
import { freshSchema } from '../cluster/pg-schema.js';

const OLD = 1_700_000_000_000;

function finished(from: number, count: number): JournalEvent[] {
  const events: JournalEvent[] = [];
  for (let i = from; i < from + count; i++) {
    const base = { mailboxId: 'support', at: OLD, key: `imap:INBOX:1:${i}`, messageId: null };
    events.push(
      { ...base, type: 'message.discovered' } as JournalEvent,
      { ...base, type: 'message.handled' } as JournalEvent,
    );
  }
  return events;
}

describe('PostgresJournalStore retention', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('prunes a large history in batches while another instance keeps appending', async () => {
    const db = await freshSchema('retention_load');
    cleanups.push(db.drop);
    const pruner = await PostgresJournalStore.open(db.url);
    const writer = await PostgresJournalStore.open(db.url);
    cleanups.push(
      () => pruner.close(),
      () => writer.close(),
    );
    for (let i = 0; i < 4; i++) await writer.append(finished(i * 5_000, 5_000));
    await writer.append([{ type: 'mailbox.attempt', mailboxId: 'support', at: OLD, attempt: 1 }]);
    let pruned = false;
    const pruning = pruner
      .pruneEvents({ throughPosition: 40_000, before: OLD + 1, at: OLD, batchSize: 500 })
      .finally(() => {
        pruned = true;
      });
    let during = 0;
    while (!pruned) {
      await writer.append([{ type: 'mailbox.attempt', mailboxId: 'other', at: OLD + 5, attempt: during + 1 }]);
      if (!pruned) during++;
    }
    expect((await pruning).removed).toBe(40_000);
    // 80 delete statements: appends (under the journal's advisory lock, which a prune never takes) went between them.
    expect(during).toBeGreaterThanOrEqual(5);
    expect((await writer.read({ mailboxId: 'support' })).map((e) => e.type)).toEqual(['mailbox.attempt']);
    expect(await writer.streamVersion('support')).toBe(40_001);
    expect((await pruner.prunePasses()).map((p) => p.removed)).toEqual([40_000]);
  });
});
