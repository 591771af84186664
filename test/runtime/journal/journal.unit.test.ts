import { describe, expect, it } from 'vitest';
import type { JournalEvent, StoredEvent } from '../../../runtime/journal/events.js';
import { Journal } from '../../../runtime/journal/journal.js';
import { MemoryJournalStore } from '../../../runtime/journal/memory-store.js';
import type { Projection } from '../../../runtime/journal/projection.js';
import { JournalConflictError } from '../../../runtime/journal/store.js';
import { messageEvents, testClock } from './builders.js';

const error = { code: 'CONNECTION_REFUSED', message: '127.0.0.1:1: connection refused', retryable: true };

/** A realistic mixed history: lifecycle, handled, failed-then-dead, in flight, unmatched, re-identified. */
function history(): JournalEvent[] {
  const clock = testClock();
  const at = clock.tick;
  const a = messageEvents('a', { at });
  const b = messageEvents('b', { at });
  const c = messageEvents('c', { at });
  const d = messageEvents('d', { at, mailboxId: 'sales' });
  return [
    { type: 'mailbox.attempt', mailboxId: 'support', at: at(), attempt: 1 },
    { type: 'mailbox.backoff', mailboxId: 'support', at: at(), attempt: 1, waitMs: 1000, nextAttemptAt: 5, error },
    { type: 'mailbox.attempt', mailboxId: 'support', at: at(), attempt: 2 },
    { type: 'mailbox.connected', mailboxId: 'support', at: at(), attempt: 2 },
    a.discovered(),
    a.matched('optin'),
    a.actionStarted('optin', 0, 'reply'),
    a.actionDone('optin', 0, 'reply', { recipients: ['ada@example.test'] }),
    a.handled(),
    b.discovered(),
    b.matched('bounces'),
    b.handlerStarted('bounces', 1),
    b.handlerFailed('bounces', 1),
    b.handlerStarted('bounces', 2),
    b.handlerFailed('bounces', 2),
    b.deadLettered('handler failed 2 times: exit code 1'),
    c.discovered(),
    c.matched('bounces'),
    c.handlerStarted('bounces', 1),
    { type: 'mailbox.attempt', mailboxId: 'sales', at: at(), attempt: 1 },
    { type: 'mailbox.connected', mailboxId: 'sales', at: at() },
    d.discovered(),
    d.unmatched(),
    a.reidentifiedAs('a2'),
    { type: 'mailbox.lost', mailboxId: 'sales', at: at(), error: { code: 'CONNECTION_LOST', message: 'gone' } },
  ];
}

/** What a person would see: a comparable summary of every projection. */
function view(journal: Journal) {
  return {
    position: journal.position,
    mailboxes: journal.mailboxes.all().map((s) => ({ ...s, counters: { ...s.counters } })),
    support: journal.messages.statusCounts('support'),
    sales: journal.messages.statusCounts('sales'),
    deadLetters: journal.messages.deadLetters().map((r) => ({ ...r })),
    inFlight: journal.inFlight().map((r) => ({ ...r })),
    pending: journal.messages.pending().map((r) => r.key),
  };
}

describe('Journal', () => {
  it('rebuilds on open exactly what incremental appends built, reading in pages', async () => {
    const store = new MemoryJournalStore();
    const live = await Journal.open(store);
    for (const event of history()) await live.append([event]);

    const rebuilt = await Journal.open(store, { pageSize: 4 });
    expect(view(rebuilt)).toEqual(view(live));
    expect(rebuilt.position).toBe(history().length);
  });

  it('projects mailbox state, last error, connection times and counters', async () => {
    const journal = await Journal.open(new MemoryJournalStore());
    await journal.append(history());
    const support = journal.mailboxes.get('support')!;
    expect(support).toMatchObject({
      state: 'polling',
      attempt: 2,
      lastError: { ...error, at: expect.any(Number) },
      stopReason: null,
    });
    expect(support.connectedAt).not.toBeNull();
    expect(support.counters).toMatchObject({
      attempts: 2,
      connections: 1,
      discovered: 3,
      matched: 3,
      handlerRuns: 3,
      handlerFailed: 2,
      actionsDone: 1,
      handled: 1,
      deadLettered: 1,
      reidentified: 1,
    });
    const sales = journal.mailboxes.get('sales')!;
    expect(sales).toMatchObject({ state: 'backoff', connectedAt: null, lastError: { code: 'CONNECTION_LOST' } });
    expect(sales.lastConnectedAt).not.toBeNull();
    expect(sales.counters.unmatched).toBe(1);

    await journal.append([
      { type: 'mailbox.stopped', mailboxId: 'sales', at: 99, reason: 'gaveUp', error },
      { type: 'mailbox.unlimitedRetry', mailboxId: 'support', at: 100, nextAttemptAt: 3_600_100, error: null },
    ]);
    expect(journal.mailboxes.get('sales')).toMatchObject({ state: 'stopped', stopReason: 'gaveUp' });
    expect(journal.mailboxes.get('support')).toMatchObject({ state: 'unlimitedRetry', nextAttemptAt: 3_600_100 });
  });

  it('answers the restart questions: handled (HandledLookup), in flight, dead letters', async () => {
    const journal = await Journal.open(new MemoryJournalStore());
    await journal.append(history());
    const identity = (key: string, mailboxId = 'support') => ({ mailboxId, key, messageId: `<${key}@example.test>` });
    expect(journal.isHandled(identity('a2'))).toBe(true);
    expect(journal.isHandled(identity('b'))).toBe(true); // dead-lettered: waits for a person, not for the next poll
    expect(journal.isHandled(identity('c'))).toBe(false);
    expect(journal.isHandled(identity('d', 'sales'))).toBe(true);
    expect(journal.inFlight().map((r) => [r.key, r.inFlight?.step])).toEqual([['c', 'handler']]);
    expect(journal.messages.deadLetters().map((r) => r.deadLetter?.reason)).toEqual([
      'handler failed 2 times: exit code 1',
    ]);
  });

  it('tells subscribers about appended events in order, after the projections took them in', async () => {
    const journal = await Journal.open(new MemoryJournalStore());
    const seen: [number, string, string | undefined][] = [];
    const unsubscribe = journal.subscribe((events) => {
      for (const e of events) seen.push([e.position, e.type, journal.messages.get('support', 'k')?.status]);
    });
    const m = messageEvents('k');
    await Promise.all([journal.append([m.discovered(), m.matched('r')]), journal.append([m.unmatched()])]);
    unsubscribe();
    await journal.append([{ type: 'mailbox.attempt', mailboxId: 'support', at: 0, attempt: 1 }]);
    // The two appends were made together, so they went out as one write (group commit): the subscriber sees the
    // projection after all three.
    expect(seen).toEqual([
      [1, 'message.discovered', 'unmatched'],
      [2, 'message.matched', 'unmatched'],
      [3, 'message.unmatched', 'unmatched'],
    ]);
  });

  it('combines appends made during a write into one store write, each resolving with its own events', async () => {
    const store = new MemoryJournalStore();
    let writes = 0;
    const append = store.append.bind(store);
    store.append = (events, options) => {
      writes++;
      return append(events, options);
    };
    const journal = await Journal.open(store);
    const m = messageEvents('k');
    const first = journal.append([m.discovered()]);
    const rest = [journal.append([m.matched('r')]), journal.append([m.unmatched()])];
    const [a, b, c] = await Promise.all([first, rest[0]!, rest[1]!]);
    expect([a, b, c].map((stored) => stored.map((e) => e.position))).toEqual([[1], [2], [3]]);
    expect(writes).toBeLessThanOrEqual(2);
  });

  it('fails only the bad append of a group, the others are written', async () => {
    const journal = await Journal.open(new MemoryJournalStore());
    const m = messageEvents('k');
    const results = await Promise.allSettled([
      journal.append([m.discovered()]),
      journal.append([{ type: 'no.such.type' } as never]),
      journal.append([m.unmatched()]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(journal.messages.get('support', 'k')?.status).toBe('unmatched');
  });

  it('reports a throwing subscriber without failing the append', async () => {
    const errors: unknown[] = [];
    const journal = await Journal.open(new MemoryJournalStore(), { onListenerError: (e) => errors.push(e) });
    journal.subscribe(() => {
      throw new Error('listener bug');
    });
    const stored = await journal.append([{ type: 'mailbox.attempt', mailboxId: 'support', at: 0, attempt: 1 }]);
    expect(stored).toHaveLength(1);
    expect(errors).toEqual([new Error('listener bug')]);
  });

  it('feeds extra projections on open and on append', async () => {
    class Count implements Projection {
      n = 0;
      apply(event: StoredEvent): void {
        if (event.type === 'message.discovered') this.n++;
      }
    }
    const store = new MemoryJournalStore();
    await store.append(history());
    const count = new Count();
    const journal = await Journal.open(store, { projections: [count] });
    expect(count.n).toBe(4);
    await journal.append([messageEvents('e').discovered()]);
    expect(count.n).toBe(5);
  });

  it('refuses appends before open and a second open', async () => {
    const journal = new Journal(new MemoryJournalStore());
    await expect(journal.append([messageEvents('k').discovered()])).rejects.toThrow(/not open/);
    await journal.open();
    await expect(journal.open()).rejects.toThrow(/already open/);
  });

  it('leaves projections untouched when the store refuses an append, and keeps appending afterwards', async () => {
    const journal = await Journal.open(new MemoryJournalStore());
    await expect(
      journal.append([messageEvents('k').discovered(), { type: 'bogus' } as unknown as JournalEvent]),
    ).rejects.toThrow(TypeError);
    expect(journal.position).toBe(0);
    expect(journal.messages.get('support', 'k')).toBeUndefined();
    await journal.append([messageEvents('k').discovered()]);
    expect(journal.position).toBe(1);
  });
});

describe('Journal with two writers on one store', () => {
  it('makes the second writer of one mailbox fail with JournalConflictError (guarded streams)', async () => {
    const store = new MemoryJournalStore();
    const first = await Journal.open(store);
    const second = await Journal.open(store);
    await first.append([messageEvents('k1').discovered()]);
    await expect(second.append([messageEvents('k2').discovered()])).rejects.toBeInstanceOf(JournalConflictError);
    expect(second.messages.get('support', 'k2')).toBeUndefined();
    expect((await store.read()).map((e) => (e as { key?: string }).key)).toEqual(['k1']);
  });

  it('catches up with events of other mailboxes written meanwhile, in store order', async () => {
    const store = new MemoryJournalStore();
    const supportWriter = await Journal.open(store);
    const salesWriter = await Journal.open(store);
    await salesWriter.append([messageEvents('s1', { mailboxId: 'sales' }).discovered()]);
    const seen: number[] = [];
    supportWriter.subscribe((events) => seen.push(...events.map((e) => e.position)));
    await supportWriter.append([messageEvents('k1').discovered()]);
    expect(seen).toEqual([1, 2]);
    expect(supportWriter.position).toBe(2);
    expect(supportWriter.messages.get('sales', 's1')?.status).toBe('discovered');
    expect(view(supportWriter)).toEqual(view(await Journal.open(store)));
  });

  it('picks up another writer’s events on refresh', async () => {
    const store = new MemoryJournalStore();
    const reader = await Journal.open(store);
    const writer = await Journal.open(store);
    await writer.append(history());
    expect(await reader.refresh()).toBe(history().length);
    expect(view(reader)).toEqual(view(writer));
    expect(await reader.refresh()).toBe(0);
  });

  it('can be told to skip the stream guard', async () => {
    const store = new MemoryJournalStore();
    const first = await Journal.open(store, { guardStreams: false });
    const second = await Journal.open(store, { guardStreams: false });
    await first.append([messageEvents('k1').discovered()]);
    await second.append([messageEvents('k2').discovered()]);
    expect(second.messages.get('support', 'k1')?.status).toBe('discovered');
  });
});

describe('events --message for a message recorded with its range', () => {
  it('says that the server search examined it and no rule can match it', async () => {
    const { explainUnjournaled } = await import('../../../runtime/cli/events.js');
    const examined = {
      type: 'mailbox.examined' as const,
      mailboxId: 'support',
      at: 0,
      folder: 'INBOX',
      uidValidity: '7',
      fromUid: 1,
      throughUid: 100,
      candidates: 100,
      hits: 3,
      position: 1,
      version: 1,
    };
    expect(explainUnjournaled([examined], 'imap:INBOX:7:42')).toMatch(/no rule can match it/);
    expect(explainUnjournaled([examined], 'imap:INBOX:7:420')).toBeUndefined();
    expect(explainUnjournaled([examined], '<a@example.test>')).toMatch(/recorded as ranges/);
    expect(explainUnjournaled([], '<a@example.test>')).toBeUndefined();
  });
});
