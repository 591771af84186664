/**
 * Retention in service mode (issue 16, part 3): `start()` with `journal.retain` schedules a pass on the host's clock
 * shortly after start (the mailbox meanwhile fails to connect to a closed port: retention does not depend on it),
 * and `stop()` cancels the schedule.
 */
import { describe, expect, it } from 'vitest';
import { createAutopilot } from '../../runtime/autopilot.js';
import { MemoryJournalStore } from '../../runtime/journal/memory-store.js';
import { RETENTION_EVERY_MS, RETENTION_FIRST_PASS_MS } from '../../runtime/journal/retention-runner.js';
import { handClock } from '../support/hand-clock.js';
import { retentionHistory } from './journal/journal-store-retention.contract.js';

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('retention in a started autopilot', () => {
  it('prunes once shortly after start on the injected clock, then waits an hour', async () => {
    const store = new MemoryJournalStore();
    await store.append(retentionHistory());
    // Two checkpoints the journal cannot read (it folds everything then): retention only needs their positions.
    await store.writeSnapshot({ position: 14, at: 0, data: new Uint8Array([1]) });
    await store.writeSnapshot({ position: 16, at: 0, data: new Uint8Array([2]) });
    const clock = handClock(Date.UTC(2030, 0, 1));
    const autopilot = createAutopilot(
      {
        journal: { path: './unused.db', retain: '1d' },
        mailboxes: [{ id: 'support', server: 'imap://127.0.0.1:1', allowPlaintext: true, user: 'u', password: 'p' }],
      },
      { journalStore: store, clock },
    );
    await autopilot.start();
    try {
      clock.advance(RETENTION_FIRST_PASS_MS - 1);
      await settle();
      expect(await store.prunePasses()).toEqual([]);
      clock.advance(1);
      await settle();
      const passes = await store.prunePasses();
      expect(passes.map((p) => p.throughPosition)).toEqual([14]);
      expect(passes[0]!.removed).toBeGreaterThan(0);
      expect(clock.pending()).toContain(RETENTION_EVERY_MS);
    } finally {
      await autopilot.stop({ deadlineMs: 1_000 });
    }
    expect(clock.pending()).not.toContain(RETENTION_EVERY_MS);
  });
});
