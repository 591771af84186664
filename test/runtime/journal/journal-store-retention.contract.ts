/**
 * The retention part of the store contract (issue 16, part 3): `pruneEvents` removes exactly what the policy of
 * `runtime/journal/retention.ts` selects — finished messages' events and lifecycle events in range, never an
 * unfinished or dead-lettered message's, never a stream's newest event — and positions and versions go on counting.
 * Every store registers it next to the main contract.
 *
 * @example
 * ```ts
 * describeRetentionContract('SqliteJournalStore', async () => ({ store: new SqliteJournalStore(file), dispose }));
 * ```
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../../runtime/journal/events.js';
import { prunablePositions } from '../../../runtime/journal/retention.js';
import type { JournalStore } from '../../../runtime/journal/store.js';
import type { JournalStoreHandle } from './journal-store.contract.js';

const OLD = 1_700_000_000_000;
const NEW = OLD + 10 * 86_400_000;

function msg(type: string, key: string, at: number, extra: Record<string, unknown> = {}): JournalEvent {
  return { type, mailboxId: 'support', at, key, messageId: null, ...extra } as JournalEvent;
}

/** A journal with one message of each fate, old and new, and lifecycle events around them. */
export function retentionHistory(): JournalEvent[] {
  return [
    { type: 'mailbox.attempt', mailboxId: 'support', at: OLD, attempt: 1 }, // 1 lifecycle, old: goes
    msg('message.discovered', 'done', OLD), // 2 handled: goes
    msg('message.matched', 'done', OLD, { rules: ['r'] }), // 3
    msg('message.handled', 'done', OLD), // 4
    msg('message.discovered', 'skip', OLD), // 5 unmatched: goes
    msg('message.unmatched', 'skip', OLD), // 6
    msg('message.discovered', 'dead', OLD), // 7 dead-lettered: stays
    msg('message.deadLettered', 'dead', OLD, { reason: 'x' }), // 8
    msg('message.discovered', 'flight', OLD), // 9 in flight: stays
    msg('message.matched', 'flight', OLD, { rules: ['r'] }), // 10
    msg('message.discovered', 'late', OLD), // 11 finished after the bound: stays
    msg('message.handled', 'late', NEW), // 12
    { type: 'mailbox.attempt', mailboxId: 'other', at: OLD, attempt: 1 }, // 13 newest of 'other': stays
    msg('message.discovered', 'beyond', OLD), // 14 finished beyond throughPosition: stays
    msg('message.handled', 'beyond', OLD), // 15
    { type: 'mailbox.attempt', mailboxId: 'support', at: NEW, attempt: 2 }, // 16 new lifecycle: stays
  ];
}

const REQUEST = { throughPosition: 14, before: OLD + 1, at: NEW, batchSize: 5_000 };

async function positions(store: JournalStore): Promise<number[]> {
  return (await store.read()).map((event) => event.position);
}

/** Registers the retention contract for one store kind (fresh, empty journal per test). */
export function describeRetentionContract(name: string, factory: () => Promise<JournalStoreHandle>): void {
  describe(`JournalStore retention contract: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });
    async function open(): Promise<JournalStore> {
      const handle = await factory();
      cleanups.push(handle.dispose, () => handle.store.close());
      return handle.store;
    }

    it('removes finished messages and old lifecycle events a checkpoint covers, and nothing else', async () => {
      const store = await open();
      await store.append(retentionHistory());
      const expected = prunablePositions(await store.read(), REQUEST);
      expect(expected).toEqual([1, 2, 3, 4, 5, 6]);
      const pass = await store.pruneEvents(REQUEST);
      expect(pass).toEqual({ at: NEW, throughPosition: 14, before: OLD + 1, removed: 6 });
      expect(await positions(store)).toEqual([7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
      expect(await store.read({ mailboxId: 'support', key: 'done' })).toEqual([]);
      expect((await store.read({ mailboxId: 'support', key: 'dead' })).map((e) => e.type)).toEqual([
        'message.discovered',
        'message.deadLettered',
      ]);
    });

    it('keeps positions and stream versions counting after a prune', async () => {
      const store = await open();
      await store.append(retentionHistory());
      await store.pruneEvents({ ...REQUEST, throughPosition: 16, before: NEW + 1 });
      expect(await store.streamVersion('support')).toBe(15);
      expect(await store.streamVersion('other')).toBe(1);
      const [next] = await store.append([msg('message.discovered', 'n', NEW)], { expectedVersion: { support: 15 } });
      expect([next!.position, next!.version]).toEqual([17, 16]);
    });

    it('records the passes that removed something, oldest first, and not the ones that removed nothing', async () => {
      const store = await open();
      expect(await store.prunePasses()).toEqual([]);
      await store.append(retentionHistory());
      await store.pruneEvents(REQUEST);
      await store.pruneEvents({ ...REQUEST, at: NEW + 1 }); // nothing left in range
      await store.pruneEvents({ ...REQUEST, throughPosition: 16, before: NEW + 1, at: NEW + 2 });
      const passes = await store.prunePasses();
      expect(passes.map((p) => [p.at, p.throughPosition])).toEqual([
        [NEW, 14],
        [NEW + 2, 16],
      ]);
    });

    it('removes the same in small batches as in one', async () => {
      const store = await open();
      const many: JournalEvent[] = [];
      for (let i = 0; i < 40; i++)
        many.push(msg('message.discovered', `k${i}`, OLD), msg('message.handled', `k${i}`, OLD));
      many.push(msg('message.discovered', 'open', OLD));
      await store.append(many);
      const pass = await store.pruneEvents({ throughPosition: 81, before: OLD + 1, at: NEW, batchSize: 7 });
      expect(pass.removed).toBe(80);
      expect(await positions(store)).toEqual([81]);
    });

    it('rejects a malformed request and removes nothing', async () => {
      const store = await open();
      await store.append(retentionHistory());
      await expect(store.pruneEvents({ ...REQUEST, batchSize: 0 })).rejects.toThrow(RangeError);
      await expect(store.pruneEvents({ ...REQUEST, throughPosition: -1 })).rejects.toThrow(RangeError);
      expect((await store.read()).length).toBe(16);
    });
  });
}
