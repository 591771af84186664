/**
 * Issue 16 part 1: when checkpoints are written — after `everyEvents` events, on the timer when events came, once on
 * a clean stop — and that a failed write is reported, not thrown into the message path.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Checkpointer, type CheckpointWritten } from '../../../runtime/journal/checkpointer.js';
import { Journal } from '../../../runtime/journal/journal.js';
import { MemoryJournalStore } from '../../../runtime/journal/memory-store.js';
import { attemptEvent } from './journal-store.contract.js';

/** Lets the setImmediate-deferred write and the store's promise settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Checkpointer', () => {
  it('writes a snapshot once everyEvents events came since the last one, after the append resolved', async () => {
    const store = new MemoryJournalStore();
    const journal = await Journal.open(store);
    const written: CheckpointWritten[] = [];
    const checkpointer = new Checkpointer(
      journal,
      { everyEvents: 5, everyMs: 3_600_000 },
      { now: () => 7, onError: (e) => expect.fail(String(e)), onWritten: (w) => written.push(w) },
    );
    checkpointer.start();
    await journal.append([attemptEvent(1), attemptEvent(2), attemptEvent(3), attemptEvent(4)]);
    await settle();
    expect(await store.latestSnapshot()).toBeUndefined();
    await journal.append([attemptEvent(5)]);
    // Not inside the append: the write is deferred past it.
    expect(await store.latestSnapshot()).toBeUndefined();
    await settle();
    expect(await store.latestSnapshot()).toMatchObject({ position: 5, at: 7 });
    expect(written).toEqual([
      { position: 5, bytes: expect.any(Number), blockedMs: expect.any(Number), totalMs: expect.any(Number) },
    ]);
    await journal.append([attemptEvent(6)]);
    await settle();
    expect((await store.latestSnapshot())?.position).toBe(5);
    await checkpointer.stop();
    // The clean stop covers the rest.
    expect((await store.latestSnapshot())?.position).toBe(6);
    expect(checkpointer.covered).toBe(6);
  });

  it('writes on the timer only when events came since, and a start that folded much writes at once', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const store = new MemoryJournalStore();
    await store.append(Array.from({ length: 20 }, (_, i) => attemptEvent(i + 1)));
    const journal = await Journal.open(store);
    const checkpointer = new Checkpointer(
      journal,
      { everyEvents: 10, everyMs: 60_000 },
      { now: () => 1, onError: (e) => expect.fail(String(e)) },
    );
    checkpointer.start();
    await settle();
    expect((await store.latestSnapshot())?.position).toBe(20);
    vi.advanceTimersByTime(60_000);
    await settle();
    expect(await store.latestSnapshot(20)).toBeUndefined(); // nothing new: no second write
    await journal.append([attemptEvent(21)]);
    vi.advanceTimersByTime(60_000);
    await settle();
    expect((await store.latestSnapshot())?.position).toBe(21);
    await checkpointer.stop(false);
  });

  it('reports a failed write and tries again at the next trigger', async () => {
    const store = new MemoryJournalStore();
    const journal = await Journal.open(store);
    const errors: unknown[] = [];
    let fail = true;
    const write = store.writeSnapshot.bind(store);
    store.writeSnapshot = async (s) => {
      if (fail) throw new Error('disk full');
      return write(s);
    };
    const checkpointer = new Checkpointer(
      journal,
      { everyEvents: 2, everyMs: 3_600_000 },
      { now: () => 1, onError: (e) => errors.push(e) },
    );
    checkpointer.start();
    await journal.append([attemptEvent(1), attemptEvent(2)]);
    await settle();
    expect(errors.map(String)).toEqual(['Error: disk full']);
    expect(checkpointer.covered).toBe(0);
    fail = false;
    await journal.append([attemptEvent(3)]);
    await settle();
    expect((await store.latestSnapshot())?.position).toBe(3);
    await checkpointer.stop();
  });
});
