/**
 * The PostgreSQL journal store (issue 9) on the real server at 127.0.0.1:5432: the shared store contract, plus what
 * only a shared database has — migrations under concurrency, fencing tokens, dense positions under concurrent
 * writers, and notifications to other instances.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from '../../../runtime/journal/journal.js';
import { JournalFencedError } from '../../../runtime/journal/postgres/fence.js';
import { parsePostgresLocation } from '../../../runtime/journal/postgres/location.js';
import { MIGRATIONS } from '../../../runtime/journal/postgres/migrations.js';
import { PostgresJournalStore } from '../../../runtime/journal/postgres-store.js';
import { JournalConflictError } from '../../../runtime/journal/store.js';
import { freshSchema, type TestSchema } from '../cluster/pg-schema.js';
import { attemptEvent, describeJournalStoreContract, messageEvent } from './journal-store.contract.js';
import { describeRetentionContract } from './journal-store-retention.contract.js';

describeJournalStoreContract('PostgresJournalStore (a schema per test)', async () => {
  const db = await freshSchema('contract');
  return {
    store: new PostgresJournalStore(db.url),
    reopen: async () => new PostgresJournalStore(db.url),
    openAnother: async () => new PostgresJournalStore(db.url),
    dispose: db.drop,
  };
});

describeRetentionContract('PostgresJournalStore (a schema per test)', async () => {
  const db = await freshSchema('retention');
  return { store: new PostgresJournalStore(db.url), dispose: db.drop };
});

describe('PostgresJournalStore specifics', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function schema(label: string): Promise<TestSchema> {
    const db = await freshSchema(label);
    cleanups.push(db.drop);
    return db;
  }

  function track<T extends { close(): Promise<void> }>(store: T): T {
    cleanups.push(() => store.close());
    return store;
  }

  it('reads the schema from the URL and keeps it out of the driver URL', () => {
    expect(parsePostgresLocation('postgres://u:p%40ss@db:5432/mail?schema=team_a&sslmode=require')).toEqual({
      connectionString: 'postgres://u:p%40ss@db:5432/mail?sslmode=require',
      schema: 'team_a',
    });
    expect(parsePostgresLocation('postgresql://db/mail').schema).toBe('mail_autopilot');
    expect(() => parsePostgresLocation('postgres://db/mail?schema=Robert%27);DROP')).toThrow(TypeError);
  });

  it('migrates once when several hosts open an empty schema at the same moment', async () => {
    const db = await schema('migrate');
    const stores = await Promise.all(
      Array.from({ length: 6 }, () => PostgresJournalStore.open(db.url).then((store) => track(store))),
    );
    const applied = await db.query<{ id: number }>('SELECT id FROM $schema.schema_migrations ORDER BY id');
    expect(applied.map((row) => row.id)).toEqual(MIGRATIONS.map((m) => m.id));
    // Every instance can use it at once.
    await Promise.all(stores.map((store, i) => store.append([attemptEvent(1, `m${i}`)])));
    expect((await stores[0]!.read()).map((e) => e.position)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('refuses a schema migrated by a newer program instead of writing into it', async () => {
    const db = await schema('newer');
    await (await PostgresJournalStore.open(db.url)).close();
    await db.query("INSERT INTO $schema.schema_migrations (id, name) VALUES (99, 'from the future')");
    await expect(PostgresJournalStore.open(db.url)).rejects.toThrow(/migration\(s\) 99 .*newer version/);
  });

  it('gives dense positions in commit order when many writers append at once', async () => {
    const db = await schema('dense');
    const a = track(await PostgresJournalStore.open(db.url, { poolSize: 4 }));
    const b = track(await PostgresJournalStore.open(db.url, { poolSize: 4 }));
    // A reader polling while the writers run must never see position n without every position below n.
    let reading = true;
    const gaps: string[] = [];
    const reader = (async () => {
      while (reading) {
        const seen = (await a.read()).map((e) => e.position);
        if (seen.some((p, i) => p !== i + 1)) gaps.push(seen.join(','));
      }
    })();
    await Promise.all(
      Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? a : b).append([attemptEvent(i, `box${i % 5}`)])),
    );
    reading = false;
    await reader;
    expect(gaps).toEqual([]);
    const all = await b.read();
    expect(all.map((e) => e.position)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    for (let box = 0; box < 5; box++) {
      expect(all.filter((e) => e.mailboxId === `box${box}`).map((e) => e.version)).toEqual(
        Array.from({ length: 16 }, (_, i) => i + 1),
      );
    }
  });

  it('records the writer and refuses an append whose fencing token is not the current lease', async () => {
    const db = await schema('fence');
    const store = track(await PostgresJournalStore.open(db.url, { writer: 'host-a' }));
    await db.query(
      "INSERT INTO $schema.cluster_mailboxes (mailbox_id, owner, epoch) VALUES ('support', 'host-a', 3), ('sales', NULL, 4)",
    );
    await store.append([attemptEvent(1)], { fence: { owner: 'host-a', epochs: { support: 3 } } });

    const stale = store.append([attemptEvent(2)], { fence: { owner: 'host-a', epochs: { support: 2 } } });
    await expect(stale).rejects.toBeInstanceOf(JournalFencedError);
    await expect(stale).rejects.toBeInstanceOf(JournalConflictError);
    await expect(stale).rejects.toMatchObject({ mailboxId: 'support', currentOwner: 'host-a', claimedEpoch: 2 });
    await expect(
      store.append([attemptEvent(1, 'sales')], { fence: { owner: 'host-a', epochs: { sales: 4 } } }),
    ).rejects.toMatchObject({ name: 'JournalConflictError', mailboxId: 'sales', currentOwner: null });
    await expect(
      store.append([attemptEvent(1, 'nowhere')], { fence: { owner: 'host-a', epochs: { nowhere: 1 } } }),
    ).rejects.toBeInstanceOf(JournalFencedError);

    const rows = await db.query<{ stream: string; writer: string; epoch: string }>(
      'SELECT stream, writer, epoch FROM $schema.journal_events ORDER BY position',
    );
    expect(rows).toEqual([{ stream: 'support', writer: 'host-a', epoch: '3' }]);
  });

  it('commits appends issued together as one group; a fenced or conflicting call in it fails alone (issue 12.4)', async () => {
    const db = await schema('group');
    const store = track(await PostgresJournalStore.open(db.url, { writer: 'host-a' }));
    await db.query(
      "INSERT INTO $schema.cluster_mailboxes (mailbox_id, owner, epoch) VALUES ('support', 'host-a', 3), ('sales', 'host-b', 1)",
    );
    const before = store.groupStats;
    const fence = (stream: string, epoch: number) => ({ owner: 'host-a', epochs: { [stream]: epoch } });
    const results = await Promise.allSettled([
      store.append([attemptEvent(1)], { fence: fence('support', 3) }),
      store.append([attemptEvent(2), attemptEvent(3)], { fence: fence('support', 3), expectedVersion: { support: 1 } }),
      store.append([attemptEvent(1, 'sales')], { fence: fence('sales', 1) }),
      store.append([attemptEvent(4)], { fence: fence('support', 3), expectedVersion: { support: 1 } }),
      store.append([attemptEvent(5)], { fence: fence('support', 3), expectedVersion: { support: 3 } }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(JournalFencedError);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ mailboxId: 'sales', currentOwner: 'host-b' });
    expect((results[3] as PromiseRejectedResult).reason).toMatchObject({ expectedVersion: 1, actualVersion: 3 });
    expect(store.groupStats.calls - before.calls).toBe(5);
    // Issued in one turn of the event loop: one transaction, the journal lock taken once.
    expect(store.groupStats.groups - before.groups).toBe(1);
    const rows = await db.query<{ position: string; stream: string; version: number; epoch: string }>(
      'SELECT position, stream, version, epoch FROM $schema.journal_events ORDER BY position',
    );
    expect(rows.map((r) => [Number(r.position), r.stream, r.version, r.epoch])).toEqual([
      [1, 'support', 1, '3'],
      [2, 'support', 2, '3'],
      [3, 'support', 3, '3'],
      [4, 'support', 4, '3'],
    ]);
  });

  it('retries the calls of a group one by one when its statement fails, so only the culprit fails', async () => {
    const db = await schema('split');
    const store = track(await PostgresJournalStore.open(db.url));
    // A message key with a NUL character passes the event check, but PostgreSQL cannot extract it as text: the
    // group's statement fails as a whole, for a reason no per-call check sees coming.
    const nul = messageEvent('message.discovered', 'bad\u0000key', 'sales');
    const results = await Promise.allSettled([
      store.append([attemptEvent(1)]),
      store.append([attemptEvent(2)]),
      store.append([attemptEvent(1, 'sales'), nul]),
      store.append([attemptEvent(3)]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: '22P05' });
    expect((await store.read()).map((e) => [e.position, e.mailboxId, e.version])).toEqual([
      [1, 'support', 1],
      [2, 'support', 2],
      [3, 'support', 3],
    ]);
  });

  it('tells other instances about appends through LISTEN/NOTIFY, so their journal can refresh', async () => {
    const db = await schema('notify');
    const writer = track(await PostgresJournalStore.open(db.url));
    const readerStore = track(await PostgresJournalStore.open(db.url));
    const journal = await Journal.open(readerStore);
    const heads: number[] = [];
    const lastB = { mailboxId: 'support', key: 'last-b', messageId: null };
    const refreshed = new Promise<void>((resolve) => {
      readerStore.onAppended((head) => {
        heads.push(head);
        void journal.refresh().then(() => {
          if (journal.messages.lookup(lastB)) resolve();
        });
      });
    });
    // The LISTEN connection opens asynchronously: append until the first notification arrives.
    for (let i = 1; heads.length === 0 && i <= 100; i++) {
      await writer.append([messageEvent('message.discovered', `k${i}`)]);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(heads.length, 'a notification within 2 s of appending').toBeGreaterThan(0);
    await writer.append([messageEvent('message.discovered', 'last-a'), messageEvent('message.discovered', 'last-b')]);
    // Only notifications make this journal read again: it sees the last append without being asked.
    await refreshed;
    expect(journal.position).toBe((await writer.read()).length);
  });
});
