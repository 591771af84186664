/**
 * The wiring of issue 9 in `createAutopilot`: a `postgres://` journal in the config gives the PostgreSQL store and,
 * by default, mailbox ownership — the host takes the leases, writes its events under them, shows in the cluster
 * status, and gives the leases back on stop. `ownership: false` keeps a plain PostgreSQL journal.
 */
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAutopilot } from '../../../runtime/autopilot.js';
import { readClusterStatus } from '../../../runtime/cluster/status.js';
import { validateConfig } from '../../../runtime/config/load.js';
import { PostgresJournalStore } from '../../../runtime/journal/postgres-store.js';
import { type MailServers, startMailServers } from '../../../scripts/harness/mail-servers.js';
import { freshSchema, type TestSchema } from './pg-schema.js';

let servers: MailServers;
const schemas: TestSchema[] = [];

beforeAll(async () => {
  servers = await startMailServers({ users: ['support', 'sales'], smtp: false });
});
afterAll(async () => {
  await servers?.stop();
  for (const db of schemas) await db.drop();
});

async function eventually<T>(read: () => Promise<T | undefined | false>, what: string, ms = 10_000): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await read();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function configFor(db: TestSchema) {
  return validateConfig(
    {
      journal: db.url,
      mailboxes: ['support', 'sales'].map((name) => ({
        id: name,
        server: `imap://127.0.0.1:${servers.ports.imap}`,
        user: servers.user(name).user,
        password: servers.user(name).password,
        allowPlaintext: true,
      })),
    },
    { baseDir: servers.dir, env: {}, platform: 'linux' },
  );
}

describe('createAutopilot with a postgres:// journal', () => {
  it('shares the mailboxes by default: leases taken, events fenced under them, leases given back on stop', async () => {
    const db = await freshSchema('wiring');
    schemas.push(db);
    const autopilot = createAutopilot(configFor(db));
    await autopilot.start();
    const status = await eventually(async () => {
      const s = await readClusterStatus(db.url);
      return s.mailboxes.length === 2 && s.unowned === 0 ? s : undefined;
    }, 'both mailboxes owned');
    const [host] = status.hosts;
    expect(status.hosts).toHaveLength(1);
    expect(status.mailboxes.map((m) => m.owner)).toEqual([host!.hostId, host!.hostId]);
    await eventually(async () => autopilot.states().filter((s) => s.state === 'polling').length === 2, 'both polling');

    await autopilot.stop({ deadlineMs: 2_000 });
    const rows = await db.query<{ stream: string; type: string; writer: string; epoch: string }>(
      'SELECT stream, type, writer, epoch FROM $schema.journal_events ORDER BY position',
    );
    expect(new Set(rows.map((r) => r.stream))).toEqual(new Set(['support', 'sales']));
    expect(rows.every((r) => r.writer === host!.hostId && r.epoch === '1')).toBe(true);
    // The mailboxes' last events (stopped) were written before the leases went back.
    expect(rows.filter((r) => r.type === 'mailbox.stopped')).toHaveLength(2);
    const after = await readClusterStatus(db.url);
    expect(after.hosts).toEqual([]);
    expect(after.mailboxes.map((m) => m.owner)).toEqual([null, null]);
  });

  it('with ownership: false, is a plain PostgreSQL journal', async () => {
    const db = await freshSchema('plain');
    schemas.push(db);
    const autopilot = createAutopilot(configFor(db), { ownership: false });
    await autopilot.start();
    await eventually(async () => autopilot.states().filter((s) => s.state === 'polling').length === 2, 'both polling');
    await autopilot.stop({ deadlineMs: 2_000 });
    const store = await PostgresJournalStore.open(db.url);
    try {
      expect(
        (await store.read())
          .filter((e) => e.type === 'mailbox.connected')
          .map((e) => e.mailboxId)
          .sort(),
      ).toEqual(['sales', 'support']);
    } finally {
      await store.close();
    }
    expect((await readClusterStatus(db.url)).hosts).toEqual([]);
  });
});
