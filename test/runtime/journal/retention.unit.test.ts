/**
 * Retention (issue 16, part 3): the bounds of a pass (`retention.ts`) and its schedule (`retention-runner.ts`) on
 * a hand-driven clock and the memory store.
 */
import { describe, expect, it } from 'vitest';
import { MemoryJournalStore } from '../../../runtime/journal/memory-store.js';
import { PRUNE_BATCH, prunablePositions, retentionBound } from '../../../runtime/journal/retention.js';
import {
  RETENTION_EVERY_MS,
  RETENTION_FIRST_PASS_MS,
  RetentionRunner,
  runRetentionPass,
} from '../../../runtime/journal/retention-runner.js';
import { handClock } from '../../support/hand-clock.js';
import { retentionHistory } from './journal-store-retention.contract.js';

const DAY = 86_400_000;

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('retention policy', () => {
  it('is off without retain, and reaches nothing before two snapshots exist', () => {
    expect(retentionBound({ older: { position: 5 }, now: 10 * DAY, retainMs: undefined })).toBeUndefined();
    expect(retentionBound({ older: undefined, now: 10 * DAY, retainMs: DAY })).toBeUndefined();
    expect(retentionBound({ older: { position: 0 }, now: 10 * DAY, retainMs: DAY })).toBeUndefined();
  });

  it('bounds a pass by the older snapshot and by now - retain', () => {
    expect(retentionBound({ older: { position: 42 }, now: 10 * DAY, retainMs: 3 * DAY })).toEqual({
      throughPosition: 42,
      before: 7 * DAY,
      at: 10 * DAY,
      batchSize: PRUNE_BATCH,
    });
  });

  it('never selects an unfinished message, even when its events are old and covered', () => {
    const events = retentionHistory().map((e, i) => ({ ...e, position: i + 1, version: i + 1 }));
    const doomed = prunablePositions(events, { throughPosition: 16, before: Number.MAX_SAFE_INTEGER });
    for (const key of ['dead', 'flight']) {
      const positions = events.filter((e) => (e as { key?: string }).key === key).map((e) => e.position);
      expect(doomed.filter((p) => positions.includes(p))).toEqual([]);
    }
  });
});

describe('RetentionRunner', () => {
  async function journalWithSnapshots(at: number): Promise<MemoryJournalStore> {
    const store = new MemoryJournalStore();
    await store.append(retentionHistory());
    await store.writeSnapshot({ position: 14, at, data: new Uint8Array([1]) });
    await store.writeSnapshot({ position: 16, at, data: new Uint8Array([2]) });
    return store;
  }

  it('prunes through the older of the two snapshots only', async () => {
    const store = await journalWithSnapshots(0);
    const pass = await runRetentionPass(store, DAY, Date.UTC(2030, 0, 1));
    expect(pass?.throughPosition).toBe(14);
    // 'late' (11, 12) is finished within 14 and older than the bound; 'beyond' finishes at 15, past the snapshot.
    expect((await store.read()).map((e) => e.position)).toEqual([7, 8, 9, 10, 13, 14, 15, 16]);
  });

  it('does nothing without two snapshots', async () => {
    const store = new MemoryJournalStore();
    await store.append(retentionHistory());
    await store.writeSnapshot({ position: 16, at: 0, data: new Uint8Array([1]) });
    expect(await runRetentionPass(store, DAY, Date.UTC(2030, 0, 1))).toBeUndefined();
    expect((await store.read()).length).toBe(16);
  });

  it('runs once shortly after start, then hourly, on the given clock, until stopped', async () => {
    const store = await journalWithSnapshots(0);
    const clock = handClock(Date.UTC(2030, 0, 1));
    const runner = new RetentionRunner({ store, retainMs: DAY, clock });
    runner.start();
    expect(clock.pending()).toEqual([RETENTION_FIRST_PASS_MS]);
    clock.advance(RETENTION_FIRST_PASS_MS - 1);
    await settle();
    expect((await store.prunePasses()).length).toBe(0);
    clock.advance(1);
    await settle();
    expect((await store.prunePasses()).length).toBe(1);
    expect(clock.pending()).toEqual([RETENTION_EVERY_MS]);
    await runner.stop();
    expect(clock.pending()).toEqual([]);
  });

  it('logs a failed pass and keeps its schedule', async () => {
    const store = await journalWithSnapshots(0);
    const warnings: unknown[] = [];
    const clock = handClock(Date.UTC(2030, 0, 1));
    const runner = new RetentionRunner({
      store,
      retainMs: DAY,
      clock,
      logger: { info: () => undefined, error: () => undefined, warn: (obj) => warnings.push(obj) },
    });
    await store.close(); // every store call now rejects
    runner.start();
    clock.advance(RETENTION_FIRST_PASS_MS);
    await settle();
    expect(warnings).toHaveLength(1);
    expect(clock.pending()).toEqual([RETENTION_EVERY_MS]);
    await runner.stop();
  });
});
