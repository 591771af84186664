/**
 * Mailbox ownership on the real PostgreSQL (issue 9, item 2), with in-process coordinators: the share of each host,
 * takeover of a dead host's mailboxes when its lease expires (not before), hand-over on join and leave without two
 * hosts ever watching one mailbox, fencing of journal appends, and a host that finds its own lease lapsed.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReleaseReason } from '../../../runtime/cluster/ownership.js';
import { PostgresMailboxOwnership } from '../../../runtime/cluster/postgres-ownership.js';
import { readClusterStatus } from '../../../runtime/cluster/status.js';
import type { JournalEvent } from '../../../runtime/journal/events.js';
import { Journal } from '../../../runtime/journal/journal.js';
import { JournalFencedError } from '../../../runtime/journal/postgres/fence.js';
import { PostgresJournalStore } from '../../../runtime/journal/postgres-store.js';
import { freshSchema, type TestSchema } from './pg-schema.js';

const LEASE_MS = 1_500;
const MAILBOXES = Array.from({ length: 12 }, (_, i) => `m${String(i).padStart(2, '0')}`);

interface LogEntry {
  readonly host: string;
  readonly what: 'acquired' | ReleaseReason;
  readonly mailboxId: string;
}

interface TestHost {
  readonly name: string;
  readonly ownership: PostgresMailboxOwnership;
  readonly journal: Journal;
  /** Mailboxes this host's handlers were told to watch and not yet to stop. */
  readonly watching: Set<string>;
  skewMs: number;
  close(): Promise<void>;
}

async function eventually<T>(read: () => Promise<T | undefined> | T | undefined, what: string, ms = 8_000): Promise<T> {
  const deadline = performance.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await read();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (performance.now() > deadline) {
      throw new Error(`not within ${ms} ms: ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
}

const attempt = (mailboxId: string): JournalEvent => ({
  type: 'mailbox.attempt',
  mailboxId,
  at: Date.now(),
  attempt: 1,
});

describe('PostgresMailboxOwnership', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  let db: TestSchema;
  let log: LogEntry[];
  let hosts: TestHost[];
  /** Problems seen by the handlers (two hosts watching one mailbox); asserted empty by each test. */
  let violations: string[];

  async function setup(label: string): Promise<void> {
    db = await freshSchema(label);
    cleanups.push(db.drop);
    log = [];
    hosts = [];
    violations = [];
  }

  async function startHost(name: string, mailboxes = MAILBOXES, leaseMs = LEASE_MS): Promise<TestHost> {
    const host: TestHost = {
      name,
      watching: new Set(),
      skewMs: 0,
      ownership: undefined as never,
      journal: undefined as never,
      close: async () => undefined,
    };
    const ownership = new PostgresMailboxOwnership({
      url: db.url,
      hostId: name,
      leaseMs,
      joinDelayMs: 100,
      handoverDeadlineMs: 1_000,
      now: () => performance.now() + host.skewMs,
    });
    const journal = await Journal.open(ownership.guard(new PostgresJournalStore(db.url, { writer: name })));
    Object.assign(host, { ownership, journal });
    await ownership.start(mailboxes, journal, {
      acquired: async (ids) => {
        for (const id of ids) {
          const other = hosts.find((h) => h !== host && h.watching.has(id));
          if (other) violations.push(`${name} acquired ${id} while ${other.name} still watched it`);
          host.watching.add(id);
          log.push({ host: name, what: 'acquired', mailboxId: id });
        }
      },
      released: async (ids, reason) => {
        for (const id of ids) {
          host.watching.delete(id);
          log.push({ host: name, what: reason, mailboxId: id });
        }
      },
    });
    let closed = false;
    host.close = async () => {
      if (closed) return;
      closed = true;
      // As autopilot.stop() does: no more moves, stop watching everything, then give the leases back.
      await ownership.freeze();
      host.watching.clear();
      await ownership.leave();
      await journal.close();
      hosts.splice(hosts.indexOf(host), 1);
    };
    cleanups.push(host.close);
    hosts.push(host);
    return host;
  }

  async function owners(): Promise<Map<string, { owner: string | null; epoch: number; live: boolean }>> {
    const status = await readClusterStatus(db.url);
    return new Map(status.mailboxes.map((m) => [m.mailboxId, { owner: m.owner, epoch: m.epoch, live: m.ownerLive }]));
  }

  function shares(): number[] {
    return hosts.map((h) => h.watching.size).sort((a, b) => a - b);
  }

  it('gives each of three hosts an even, disjoint share, and status shows who owns what since when', async () => {
    await setup('share');
    await Promise.all(['a', 'b', 'c'].map((name) => startHost(name)));
    await eventually(() => shares().join() === '4,4,4', `every host watching 4 mailboxes (now ${shares()})`);
    const all = hosts.flatMap((h) => [...h.watching]).sort();
    expect(all).toEqual(MAILBOXES);
    for (const host of hosts) expect([...host.ownership.held().keys()].sort()).toEqual([...host.watching].sort());

    const status = await hosts[0]!.ownership.status();
    expect(status.hosts.map((h) => [h.hostId, h.live, h.mailboxes])).toEqual([
      ['a', true, 4],
      ['b', true, 4],
      ['c', true, 4],
    ]);
    expect(status.unowned).toBe(0);
    for (const m of status.mailboxes) {
      expect(hosts.find((h) => h.name === m.owner)?.watching.has(m.mailboxId)).toBe(true);
      expect(m.since?.getTime()).toBeLessThanOrEqual(status.at.getTime());
    }
    for (const h of status.hosts) expect(h.lastHeartbeatAt.getTime()).toBeLessThanOrEqual(status.at.getTime());
    expect(violations).toEqual([]);
  });

  it('takes a dead host’s mailboxes over when its lease expires, not before', async () => {
    await setup('dead');
    // A host that heartbeat once, took half the mailboxes, and died. (Opening a store creates the schema.)
    await (await PostgresJournalStore.open(db.url)).close();
    await db.query(
      `INSERT INTO $schema.cluster_hosts (host_id, lease_until, lease_ms)
       VALUES ('ghost', clock_timestamp() + interval '${LEASE_MS} milliseconds', ${LEASE_MS})`,
    );
    const ghostly = MAILBOXES.slice(0, 6);
    await db.query(
      "INSERT INTO $schema.cluster_mailboxes (mailbox_id, owner, epoch, acquired_at) SELECT unnest($1::text[]), 'ghost', 1, clock_timestamp()",
      [ghostly],
    );
    await Promise.all(['a', 'b'].map((name) => startHost(name)));
    await eventually(
      async () => [...(await owners()).values()].every((o) => o.live && o.owner !== 'ghost'),
      'every mailbox owned by a live host',
    );
    const [ghost] = await db.query<{ lease_until: Date; heartbeat_at: Date }>(
      "SELECT lease_until, heartbeat_at FROM $schema.cluster_hosts WHERE host_id = 'ghost'",
    );
    const takeovers = await db.query<{ mailbox_id: string; epoch: string; acquired_at: Date }>(
      'SELECT mailbox_id, epoch, acquired_at FROM $schema.cluster_mailboxes WHERE mailbox_id = ANY($1) ORDER BY 1',
      [ghostly],
    );
    for (const row of takeovers) {
      expect(row.epoch).toBe('2');
      // Not before the lease ran out, and within one lease period of the dead host's last heartbeat (plus the
      // reaction time of a loaded machine).
      expect(row.acquired_at.getTime()).toBeGreaterThanOrEqual(ghost!.lease_until.getTime());
      expect(row.acquired_at.getTime() - ghost!.heartbeat_at.getTime()).toBeLessThan(LEASE_MS + 750);
    }
    await eventually(() => shares().join() === '6,6', `two hosts watching 6 each (now ${shares()})`);
    expect(violations).toEqual([]);
  });

  it('moves mailboxes to a host that joins and back when it leaves, released before taken', async () => {
    await setup('join');
    await Promise.all(['a', 'b'].map((name) => startHost(name)));
    await eventually(() => shares().join() === '6,6', `6 + 6 (now ${shares()})`);
    const c = await startHost('c');
    await eventually(() => shares().join() === '4,4,4', `4 + 4 + 4 after c joined (now ${shares()})`);
    const moved = log.filter((e) => e.host === 'c' && e.what === 'acquired').map((e) => e.mailboxId);
    expect(moved).toHaveLength(4);
    for (const id of moved) {
      const history = log.filter((e) => e.mailboxId === id).map((e) => `${e.host}:${e.what}`);
      // The old owner let go (finishing in-flight work first) before c took it.
      expect(history.slice(-2)).toEqual([expect.stringMatching(/^[ab]:rebalance$/), 'c:acquired']);
    }

    const [cLease] = await db.query<{ lease_until: Date }>(
      "SELECT lease_until FROM $schema.cluster_hosts WHERE host_id = 'c'",
    );
    await c.close();
    await eventually(() => shares().join() === '6,6', `6 + 6 after c left (now ${shares()})`);
    const taken = await db.query<{ acquired_at: Date }>(
      'SELECT acquired_at FROM $schema.cluster_mailboxes WHERE mailbox_id = ANY($1)',
      [moved],
    );
    // A graceful leave hands over at once (NOTIFY), not when the lease would have run out.
    for (const row of taken) expect(row.acquired_at.getTime()).toBeLessThan(cLease!.lease_until.getTime());
    expect(violations).toEqual([]);
  });

  it('fences journal appends: not held → refused here; taken over → refused by the database', async () => {
    await setup('fence');
    // A long lease: no heartbeat of a's can notice the takeover below before its append does.
    const a = await startHost('a', ['m00', 'm01'], 60_000);
    await eventually(() => a.watching.size === 2, 'a watching both mailboxes');
    const epoch = a.ownership.held().get('m00')!;
    await a.journal.append([attempt('m00')]);

    await expect(a.journal.append([attempt('elsewhere')])).rejects.toBeInstanceOf(JournalFencedError);

    // Another host takes m00 over (as it would after a's lease expired) while a still believes it holds it.
    await db.query(
      `INSERT INTO $schema.cluster_hosts (host_id, lease_until, lease_ms) VALUES ('thief', clock_timestamp() + interval '1 hour', 3600000)`,
    );
    await db.query("UPDATE $schema.cluster_mailboxes SET owner = 'thief', epoch = epoch + 1 WHERE mailbox_id = 'm00'");
    const refused = a.journal.append([attempt('m00')]);
    await expect(refused).rejects.toBeInstanceOf(JournalFencedError);
    await expect(refused).rejects.toMatchObject({ mailboxId: 'm00', currentOwner: 'thief', claimedEpoch: epoch });
    await eventually(
      () => log.some((e) => e.host === 'a' && e.mailboxId === 'm00' && e.what === 'fenced'),
      'm00 stopped as fenced',
    );
    expect(a.watching.has('m00')).toBe(false);

    const rows = await db.query<{ stream: string; writer: string; epoch: string }>(
      'SELECT stream, writer, epoch FROM $schema.journal_events ORDER BY position',
    );
    expect(rows).toEqual([{ stream: 'm00', writer: 'a', epoch: String(epoch) }]);
  });

  it('a host whose own lease lapsed (paused) refuses to append before asking anyone, then recovers its share', async () => {
    await setup('lapse');
    const a = await startHost('a', ['m00']);
    await eventually(() => a.watching.has('m00'), 'a watching m00');
    const before = a.ownership.held().get('m00')!;
    // As if the process had been stopped for longer than its lease: its monotonic clock jumps ahead.
    a.skewMs += LEASE_MS * 3;
    await expect(a.journal.append([attempt('m00')])).rejects.toBeInstanceOf(JournalFencedError);
    await eventually(() => log.some((e) => e.mailboxId === 'm00' && e.what !== 'acquired'), 'm00 stopped');
    // The next heartbeat renews the lease; the mailbox is still assigned to a, so a takes it again, fenced anew.
    await eventually(() => (a.ownership.held().get('m00') ?? 0) > before && a.watching.has('m00'), 'm00 re-acquired');
    await a.journal.refresh();
    await a.journal.append([attempt('m00')]);
    expect(await db.query('SELECT 1 FROM $schema.journal_events')).toHaveLength(1);
  });
});
