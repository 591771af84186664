/**
 * The contract every JournalStore passes (memory, SQLite, and the PostgreSQL store of issue 9): ordering, positions,
 * per-stream versions, filtering, atomic batches, expected-version conflicts, and, where the store can do it,
 * persistence across reopening and two instances writing one journal.
 *
 * @example
 * ```ts
 * describeJournalStoreContract('SqliteJournalStore', async () => {
 *   const file = join(await mkdtemp(join(tmpdir(), 'journal-')), 'j.db');
 *   return { store: new SqliteJournalStore(file), reopen: async () => new SqliteJournalStore(file),
 *     openAnother: async () => new SqliteJournalStore(file), dispose: async () => {} };
 * });
 * ```
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../../runtime/journal/events.js';
import {
  isJournalConflictError,
  JournalConflictError,
  type JournalStore,
  SNAPSHOTS_KEPT,
} from '../../../runtime/journal/store.js';

/** What a store factory gives the contract. */
export interface JournalStoreHandle {
  readonly store: JournalStore;
  /** Opens the same journal again after `store` was closed (durable stores only). */
  readonly reopen?: () => Promise<JournalStore>;
  /** Opens a second, independent instance on the same journal while `store` is open (shared stores only). */
  readonly openAnother?: () => Promise<JournalStore>;
  /** Removes what the factory created (files, schemas). Stores are closed by the contract. */
  readonly dispose: () => Promise<void>;
}

const T0 = 1_700_000_000_000;

/** A message event of the 'support' stream (or another mailbox). */
export function messageEvent(
  type: 'message.discovered' | 'message.handled' | 'message.unmatched',
  key: string,
  mailboxId = 'support',
  at = T0,
): JournalEvent {
  return { type, mailboxId, at, key, messageId: `<${key}@example.test>` } as JournalEvent;
}

/** A lifecycle event (no key). */
export function attemptEvent(attempt: number, mailboxId = 'support', at = T0): JournalEvent {
  return { type: 'mailbox.attempt', mailboxId, at, attempt };
}

/**
 * Registers the contract tests for one store kind. The factory is called once per test and gives a fresh, empty
 * journal.
 */
export function describeJournalStoreContract(name: string, factory: () => Promise<JournalStoreHandle>): void {
  describe(`JournalStore contract: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function open(): Promise<JournalStoreHandle> {
      const handle = await factory();
      cleanups.push(handle.dispose);
      cleanups.push(() => handle.store.close());
      return handle;
    }

    /** Registers a store the test opened itself, so it is closed even when the test fails. */
    function track(store: JournalStore): JournalStore {
      cleanups.push(() => store.close());
      return store;
    }

    it('starts empty', async () => {
      const { store } = await open();
      expect(await store.read()).toEqual([]);
      expect(await store.streamVersion('support')).toBe(0);
    });

    it('assigns global positions from 1 and versions per mailbox stream', async () => {
      const { store } = await open();
      const stored = await store.append([
        attemptEvent(1),
        messageEvent('message.discovered', 'k1'),
        attemptEvent(1, 'sales'),
        messageEvent('message.handled', 'k1'),
      ]);
      expect(stored.map((e) => [e.position, e.mailboxId, e.version])).toEqual([
        [1, 'support', 1],
        [2, 'support', 2],
        [3, 'sales', 1],
        [4, 'support', 3],
      ]);
      const more = await store.append([messageEvent('message.discovered', 'k2', 'sales')]);
      expect(more.map((e) => [e.position, e.version])).toEqual([[5, 2]]);
      expect(await store.streamVersion('support')).toBe(3);
      expect(await store.streamVersion('sales')).toBe(2);
      expect(await store.streamVersion('nobody')).toBe(0);
    });

    it('keeps every field of an event and returns the same as append gave', async () => {
      const { store } = await open();
      const events: JournalEvent[] = [
        { type: 'message.matched', mailboxId: 'support', at: T0 + 1, key: 'k', messageId: null, rules: ['a', 'b'] },
        {
          type: 'action.done',
          mailboxId: 'support',
          at: T0 + 2,
          key: 'k',
          messageId: null,
          rule: 'a',
          index: 0,
          kind: 'reply',
          sentMessageId: '<r@example.test>',
          recipients: ['ada@example.test'],
        },
        {
          type: 'mailbox.backoff',
          mailboxId: 'support',
          at: T0 + 3,
          attempt: 2,
          waitMs: 2000,
          nextAttemptAt: T0 + 2003,
          error: { code: 'CONNECTION_REFUSED', message: 'refused', retryable: true },
        },
      ];
      const stored = await store.append(events);
      expect(await store.read()).toEqual(stored);
      expect(stored.map(({ position: _p, version: _v, ...rest }) => rest)).toEqual(events);
    });

    it('is not changed by mutating what was appended or read', async () => {
      const { store } = await open();
      const event = {
        type: 'message.matched',
        mailboxId: 'support',
        at: T0,
        key: 'k',
        messageId: null,
        rules: ['a'],
      } as const satisfies JournalEvent;
      const mutable = structuredClone(event) as unknown as { rules: string[] };
      await store.append([mutable as unknown as JournalEvent]);
      mutable.rules.push('injected');
      const [read] = await store.read();
      expect(read).toMatchObject({ rules: ['a'] });
      try {
        (read as unknown as { rules: string[] }).rules.push('again');
      } catch {
        // Frozen by some stores: also fine.
      }
      expect((await store.read())[0]).toMatchObject({ rules: ['a'] });
    });

    it('reads in position order from a position, with a limit', async () => {
      const { store } = await open();
      for (let i = 1; i <= 5; i++) await store.append([attemptEvent(i)]);
      const all = await store.read();
      expect(all.map((e) => e.position)).toEqual([1, 2, 3, 4, 5]);
      expect((await store.read({ fromPosition: 3 })).map((e) => e.position)).toEqual([3, 4, 5]);
      expect((await store.read({ fromPosition: 2, limit: 2 })).map((e) => e.position)).toEqual([2, 3]);
      expect(await store.read({ limit: 0 })).toEqual([]);
      expect(await store.read({ fromPosition: 6 })).toEqual([]);
    });

    it('filters by mailbox, by key, and by both', async () => {
      const { store } = await open();
      await store.append([
        attemptEvent(1),
        messageEvent('message.discovered', 'k1'),
        messageEvent('message.discovered', 'k1', 'sales'),
        messageEvent('message.discovered', 'k2'),
        messageEvent('message.handled', 'k1'),
      ]);
      expect((await store.read({ mailboxId: 'support' })).map((e) => e.position)).toEqual([1, 2, 4, 5]);
      expect((await store.read({ key: 'k1' })).map((e) => e.position)).toEqual([2, 3, 5]);
      expect((await store.read({ mailboxId: 'support', key: 'k1' })).map((e) => e.position)).toEqual([2, 5]);
      expect((await store.read({ mailboxId: 'support', fromPosition: 3, limit: 1 })).map((e) => e.position)).toEqual([
        4,
      ]);
    });

    it('rejects a malformed event and writes nothing of its batch', async () => {
      const { store } = await open();
      const bad = [attemptEvent(1), { type: 'message.handled', mailboxId: 'support', at: T0 } as JournalEvent];
      await expect(store.append(bad)).rejects.toThrow(TypeError);
      await expect(store.append([{ type: 'nope', mailboxId: 'x', at: 0 } as never])).rejects.toThrow(/unknown type/);
      expect(await store.read()).toEqual([]);
      expect(await store.streamVersion('support')).toBe(0);
    });

    it('rejects invalid read queries', async () => {
      const { store } = await open();
      await expect(store.read({ fromPosition: 0 })).rejects.toThrow(RangeError);
      await expect(store.read({ limit: -1 })).rejects.toThrow(RangeError);
    });

    it('appends when the expected versions hold', async () => {
      const { store } = await open();
      await store.append([attemptEvent(1)], { expectedVersion: { support: 0 } });
      await store.append([attemptEvent(2), attemptEvent(1, 'sales')], { expectedVersion: { support: 1, sales: 0 } });
      expect(await store.streamVersion('support')).toBe(2);
      expect(await store.streamVersion('sales')).toBe(1);
    });

    it('refuses a whole batch with JournalConflictError when an expected version does not hold', async () => {
      const { store } = await open();
      await store.append([attemptEvent(1), attemptEvent(2)]);
      const attempt = store.append([attemptEvent(1, 'sales'), attemptEvent(3)], {
        expectedVersion: { sales: 0, support: 1 },
      });
      await expect(attempt).rejects.toBeInstanceOf(JournalConflictError);
      const error = await attempt.catch((e: unknown) => e);
      expect(isJournalConflictError(error)).toBe(true);
      expect(error).toMatchObject({
        mailboxId: 'support',
        expectedVersion: 1,
        actualVersion: 2,
        code: 'JOURNAL_CONFLICT',
      });
      expect(await store.read()).toHaveLength(2);
      expect(await store.streamVersion('sales')).toBe(0);
    });

    it('checks an expected version of a stream the batch does not write', async () => {
      const { store } = await open();
      await store.append([attemptEvent(1, 'sales')]);
      await expect(store.append([attemptEvent(1)], { expectedVersion: { sales: 0 } })).rejects.toBeInstanceOf(
        JournalConflictError,
      );
      expect(await store.streamVersion('support')).toBe(0);
    });

    it('lets exactly one of two appends with the same expected version succeed', async () => {
      const { store } = await open();
      const results = await Promise.allSettled([
        store.append([messageEvent('message.discovered', 'a')], { expectedVersion: { support: 0 } }),
        store.append([messageEvent('message.discovered', 'b')], { expectedVersion: { support: 0 } }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.filter((r) => r.status === 'rejected');
      expect(rejected).toHaveLength(1);
      expect((rejected[0] as PromiseRejectedResult).reason).toBeInstanceOf(JournalConflictError);
      expect(await store.read()).toHaveLength(1);
    });

    it('commits concurrent appends in call order; a conflicting one in the middle fails alone (issue 12.4)', async () => {
      const { store } = await open();
      // Issued together: a store that groups them (PostgreSQL's group commit) must give the outcome of one after
      // the other, in call order, as the stores that run them one by one do.
      const results = await Promise.allSettled([
        store.append([messageEvent('message.discovered', 'a1'), messageEvent('message.discovered', 'a2')], {
          expectedVersion: { support: 0 },
        }),
        store.append([messageEvent('message.discovered', 'b1'), attemptEvent(1, 'sales')], {
          expectedVersion: { support: 0 },
        }),
        store.append([messageEvent('message.discovered', 'c1')], { expectedVersion: { support: 2 } }),
        store.append([attemptEvent(1, 'sales')], { expectedVersion: { sales: 0 } }),
        store.append([attemptEvent(2, 'sales')]),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({
        name: 'JournalConflictError',
        mailboxId: 'support',
        expectedVersion: 0,
        actualVersion: 2,
      });
      const stored = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
      expect(stored.map((e) => [e.position, e.mailboxId, e.version])).toEqual([
        [1, 'support', 1],
        [2, 'support', 2],
        [3, 'support', 3],
        [4, 'sales', 1],
        [5, 'sales', 2],
      ]);
      expect(await store.read()).toEqual(stored);
      expect(await store.streamVersion('sales')).toBe(2);
    });

    it('keeps positions dense and versions per stream over many concurrent multi-event appends', async () => {
      const { store } = await open();
      const boxes = ['m0', 'm1', 'm2', 'm3'];
      // Each mailbox appends batches one after another with its expected version; the mailboxes run at once, and
      // every third round one stale append (the version before) is thrown in and must fail without harm.
      const rounds = 6;
      const stale: PromiseSettledResult<unknown>[] = [];
      await Promise.all(
        boxes.map(async (box, b) => {
          let version = 0;
          for (let round = 0; round < rounds; round++) {
            const size = 1 + ((b * 7 + round * 13) % 40);
            const batch = Array.from({ length: size }, (_, i) =>
              messageEvent('message.discovered', `${round}-${i}`, box),
            );
            const [done, late] = await Promise.allSettled([
              store.append(batch, { expectedVersion: { [box]: version } }),
              round % 3 === 2
                ? store.append([attemptEvent(round, box)], { expectedVersion: { [box]: version } })
                : Promise.resolve([]),
            ]);
            expect(done.status).toBe('fulfilled');
            stale.push(late);
            version += size;
          }
        }),
      );
      const refused = stale.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      expect(refused).toHaveLength(boxes.length * 2);
      for (const r of refused) expect(r.reason).toBeInstanceOf(JournalConflictError);
      const all = await store.read();
      expect(all.map((e) => e.position)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
      for (const box of boxes) {
        const versions = all.filter((e) => e.mailboxId === box).map((e) => e.version);
        expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => i + 1));
        expect(all.filter((e) => e.mailboxId === box).every((e) => e.type === 'message.discovered')).toBe(true);
        expect(await store.streamVersion(box)).toBe(versions.length);
      }
    });

    it('treats an empty append as a no-op', async () => {
      const { store } = await open();
      expect(await store.append([])).toEqual([]);
      await store.append([attemptEvent(1)]);
      expect(await store.append([])).toEqual([]);
      expect((await store.append([attemptEvent(2)]))[0]?.position).toBe(2);
    });

    it('refuses calls after close, and close is idempotent', async () => {
      const { store } = await open();
      await store.close();
      await store.close();
      await expect(store.read()).rejects.toThrow(/closed/);
      await expect(store.append([attemptEvent(1)])).rejects.toThrow(/closed/);
      await expect(store.streamVersion('support')).rejects.toThrow(/closed/);
    });

    it('has no snapshot at first, and gives back the bytes, position and time of one written', async () => {
      const { store } = await open();
      expect(await store.latestSnapshot()).toBeUndefined();
      await store.append([attemptEvent(1), attemptEvent(2), attemptEvent(3)]);
      const data = new Uint8Array([0, 1, 2, 250, 255, 0, 7]);
      await store.writeSnapshot({ position: 2, at: T0 + 5, data });
      data[0] = 99; // the store kept its own copy
      const latest = await store.latestSnapshot();
      expect(latest).toEqual({ position: 2, at: T0 + 5, data: new Uint8Array([0, 1, 2, 250, 255, 0, 7]) });
      expect(latest?.data).toBeInstanceOf(Uint8Array);
    });

    it('answers the snapshot with the highest position, and the one before it on request', async () => {
      const { store } = await open();
      await store.append(Array.from({ length: 10 }, (_, i) => attemptEvent(i + 1)));
      await store.writeSnapshot({ position: 4, at: T0, data: new Uint8Array([4]) });
      await store.writeSnapshot({ position: 9, at: T0 + 1, data: new Uint8Array([9]) });
      // Written later but covering less: it does not become the latest.
      await store.writeSnapshot({ position: 6, at: T0 + 2, data: new Uint8Array([6]) });
      expect((await store.latestSnapshot())?.position).toBe(9);
      expect((await store.latestSnapshot(9))?.position).toBe(6);
      expect(await store.latestSnapshot(1)).toBeUndefined();
      // Only the newest SNAPSHOTS_KEPT positions stay: 4 was pruned when 6 came.
      expect(SNAPSHOTS_KEPT).toBe(2);
      expect(await store.latestSnapshot(6)).toBeUndefined();
    });

    it('replaces a snapshot written again at the same position', async () => {
      const { store } = await open();
      await store.append([attemptEvent(1), attemptEvent(2)]);
      await store.writeSnapshot({ position: 2, at: T0, data: new Uint8Array([1]) });
      await store.writeSnapshot({ position: 2, at: T0 + 1, data: new Uint8Array([2, 2]) });
      expect(await store.latestSnapshot()).toEqual({ position: 2, at: T0 + 1, data: new Uint8Array([2, 2]) });
      expect(await store.latestSnapshot(2)).toBeUndefined();
    });

    it('refuses a snapshot beyond the head or with a malformed position, and stores nothing then', async () => {
      const { store } = await open();
      await store.append([attemptEvent(1), attemptEvent(2)]);
      await expect(store.writeSnapshot({ position: 3, at: T0, data: new Uint8Array() })).rejects.toThrow(RangeError);
      await expect(store.writeSnapshot({ position: -1, at: T0, data: new Uint8Array() })).rejects.toThrow(RangeError);
      await expect(store.writeSnapshot({ position: 1.5, at: T0, data: new Uint8Array() })).rejects.toThrow(RangeError);
      await expect(store.latestSnapshot(-2)).rejects.toThrow(RangeError);
      expect(await store.latestSnapshot()).toBeUndefined();
      // The head itself and position 0 (an empty fold) are fine.
      await store.writeSnapshot({ position: 0, at: T0, data: new Uint8Array() });
      await store.writeSnapshot({ position: 2, at: T0, data: new Uint8Array([1]) });
      expect((await store.latestSnapshot())?.position).toBe(2);
      expect((await store.latestSnapshot(2))?.position).toBe(0);
    });

    it('refuses snapshot calls after close', async () => {
      const { store } = await open();
      await store.close();
      await expect(store.latestSnapshot()).rejects.toThrow(/closed/);
      await expect(store.writeSnapshot({ position: 0, at: T0, data: new Uint8Array() })).rejects.toThrow(/closed/);
    });

    it('keeps snapshots across close and reopen', async (context) => {
      const handle = await open();
      if (!handle.reopen) return context.skip();
      await handle.store.append([attemptEvent(1), attemptEvent(2)]);
      await handle.store.writeSnapshot({ position: 2, at: T0, data: new Uint8Array([42, 0, 1]) });
      await handle.store.close();
      const reopened = track(await handle.reopen());
      expect(await reopened.latestSnapshot()).toEqual({ position: 2, at: T0, data: new Uint8Array([42, 0, 1]) });
    });

    it('shows a snapshot one instance wrote to another on the same journal', async (context) => {
      const handle = await open();
      if (!handle.openAnother) return context.skip();
      const other = track(await handle.openAnother());
      await handle.store.append([attemptEvent(1)]);
      await other.writeSnapshot({ position: 1, at: T0, data: new Uint8Array([1]) });
      expect((await handle.store.latestSnapshot())?.data).toEqual(new Uint8Array([1]));
    });

    it('keeps events across close and reopen, and continues their numbering', async (context) => {
      const handle = await open();
      if (!handle.reopen) return context.skip();
      await handle.store.append([attemptEvent(1), messageEvent('message.discovered', 'k1'), attemptEvent(1, 'sales')]);
      await handle.store.close();
      const reopened = track(await handle.reopen());
      expect((await reopened.read()).map((e) => [e.position, e.mailboxId, e.version])).toEqual([
        [1, 'support', 1],
        [2, 'support', 2],
        [3, 'sales', 1],
      ]);
      const next = await reopened.append([messageEvent('message.handled', 'k1')], { expectedVersion: { support: 2 } });
      expect(next.map((e) => [e.position, e.version])).toEqual([[4, 3]]);
    });

    it('lets only one of two instances append on the same expected version', async (context) => {
      const handle = await open();
      if (!handle.openAnother) return context.skip();
      const other = track(await handle.openAnother());
      const [seenByFirst, seenBySecond] = [
        await handle.store.streamVersion('support'),
        await other.streamVersion('support'),
      ];
      expect([seenByFirst, seenBySecond]).toEqual([0, 0]);
      const results = await Promise.allSettled([
        handle.store.append([messageEvent('message.discovered', 'from-first')], { expectedVersion: { support: 0 } }),
        other.append([messageEvent('message.discovered', 'from-second')], { expectedVersion: { support: 0 } }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(failed.reason).toBeInstanceOf(JournalConflictError);
      // Both instances see the same single event afterwards.
      expect(await handle.store.read()).toEqual(await other.read());
      expect(await other.read()).toHaveLength(1);
    });

    it('gives unique, increasing positions when two instances interleave appends', async (context) => {
      const handle = await open();
      if (!handle.openAnother) return context.skip();
      const other = track(await handle.openAnother());
      for (let i = 1; i <= 10; i++) {
        await (i % 2 === 0 ? other : handle.store).append([attemptEvent(i, i % 2 === 0 ? 'sales' : 'support')]);
      }
      const all = await handle.store.read();
      expect(all.map((e) => e.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(all.filter((e) => e.mailboxId === 'sales').map((e) => e.version)).toEqual([1, 2, 3, 4, 5]);
      expect(await other.streamVersion('support')).toBe(5);
    });
  });
}
