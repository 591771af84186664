/**
 * Retention in the SQLite journal file (issue 16, part 3): the space a prune frees goes back to the file system
 * (bytes measured), also for a file created before retention existed (auto_vacuum NONE, converted once), and the
 * service's appends proceed while a long prune runs.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../../runtime/journal/events.js';
import { SqliteJournalStore } from '../../../runtime/journal/sqlite-store.js';

const OLD = 1_700_000_000_000;
const SUBJECT = 'x'.repeat(200); // a realistic event size, so pages fill as in a real journal

/** `messages` finished messages (discovered + handled), then one open message, in one append. */
function history(messages: number, mailboxId = 'support'): JournalEvent[] {
  const events: JournalEvent[] = [];
  for (let i = 0; i < messages; i++) {
    const base = { mailboxId, at: OLD, key: `imap:INBOX:1:${i}`, messageId: null };
    events.push({ ...base, type: 'message.discovered', subject: SUBJECT } as JournalEvent);
    events.push({ ...base, type: 'message.handled' } as JournalEvent);
  }
  events.push({ mailboxId, at: OLD, key: 'open', messageId: null, type: 'message.discovered' } as JournalEvent);
  return events;
}

async function bytes(file: string): Promise<number> {
  const sizes = await Promise.all(
    [file, `${file}-wal`].map((f) =>
      stat(f).then(
        (s) => s.size,
        () => 0,
      ),
    ),
  );
  return sizes[0]! + sizes[1]!;
}

describe('SqliteJournalStore retention', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  async function tempFile(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'journal-retention-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return join(dir, 'autopilot.db');
  }

  async function pruneNinetyPercent(file: string): Promise<{ before: number; after: number; autoVacuum: unknown }> {
    let store = new SqliteJournalStore(file, { synchronous: 'NORMAL' });
    await store.append(history(10_000));
    await store.close(); // the last connection's close checkpoints the WAL into the file
    const before = await bytes(file);
    store = new SqliteJournalStore(file, { synchronous: 'NORMAL' });
    cleanups.push(() => store.close());
    const pass = await store.pruneEvents({ throughPosition: 18_000, before: OLD + 1, at: OLD, batchSize: 5_000 });
    expect(pass.removed).toBe(18_000);
    expect((await store.read()).length).toBe(2_001);
    await store.close();
    const probe = new Database(file, { readonly: true });
    const autoVacuum = probe.pragma('auto_vacuum', { simple: true });
    probe.close();
    return { before, after: await bytes(file), autoVacuum };
  }

  it('creates new files with incremental auto-vacuum and gives the space of a prune back', async () => {
    const { before, after, autoVacuum } = await pruneNinetyPercent(await tempFile());
    expect(autoVacuum).toBe(2);
    // 90 % of the events went: the file must be well under half of what it was.
    expect(after).toBeLessThan(before / 2);
  });

  it('converts a file that predates retention (auto_vacuum NONE) on its first prune', async () => {
    const file = await tempFile();
    const legacy = new Database(file);
    legacy.pragma('journal_mode = WAL');
    legacy.exec('CREATE TABLE legacy_marker (a INTEGER)'); // a table exists: auto_vacuum can no longer change
    expect(legacy.pragma('auto_vacuum', { simple: true })).toBe(0);
    legacy.close();
    const { before, after, autoVacuum } = await pruneNinetyPercent(file);
    expect(autoVacuum).toBe(2);
    expect(after).toBeLessThan(before / 2);
  });

  it('lets appends proceed between the batches of a long prune', async () => {
    const store = new SqliteJournalStore(await tempFile(), { synchronous: 'NORMAL' });
    cleanups.push(() => store.close());
    await store.append(history(10_000));
    let pruned = false;
    const pruning = store
      .pruneEvents({ throughPosition: 20_000, before: OLD + 1, at: OLD, batchSize: 500 })
      .finally(() => {
        pruned = true;
      });
    let during = 0;
    while (!pruned) {
      // The service appends on I/O events, never in a microtask loop: yield to the event loop as it does.
      await nextTurn();
      await store.append([{ type: 'mailbox.attempt', mailboxId: 'other', at: OLD + 5, attempt: during + 1 }]);
      if (!pruned) during++;
    }
    expect((await pruning).removed).toBe(20_000);
    expect(during).toBeGreaterThanOrEqual(10); // 40 batches: the appender got in between them
    expect(await store.streamVersion('other')).toBeGreaterThanOrEqual(during);
  });
});
