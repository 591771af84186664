/**
 * Cluster bench (issue 9, item 5): 10,000 simulated mailboxes (services that discover nothing) shared by 4 host
 * processes through PostgreSQL (`bench/cluster-child.ts`), in a database of its own so its statistics count only
 * these hosts.
 *
 * (a) Time until all 10,000 mailboxes are owned by live hosts, counted from the moment the last of the 4 hosts
 *     registered (process start-up is reported separately), and until all 10,000 are watched (runners started).
 * (b) One host is SIGKILLed: time until its share is owned again by the live hosts, from the kill, and from the
 *     moment its lease ran out (the protocol's own reaction time).
 * (c) Database transactions per minute at rest (`pg_stat_database.xact_commit + xact_rollback` of the bench database
 *     over a window, minus the bench's own reads), 4 hosts and 10,000 mailboxes, nothing happening.
 *
 * `plain` is the lease for (a) and (b) (so the ratio is in lease periods), and for (c) the heartbeats the design
 * sends (one statement per host per heartbeat period); `adapter` is the measured figure.
 *
 * Run: `npm run bench -- cluster` or `npx tsx bench/cluster.ts [mailboxes] [lease ms]` (defaults 10,000 and 10 s).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PostgresJournalStore } from '../runtime/journal/postgres-store.js';
import { atMost, type BenchResult, formatNumber, formatResults } from './lib.js';

const SERVER = process.env.MAIL_AUTOPILOT_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const MAILBOXES = Number(process.env.BENCH_CLUSTER_MAILBOXES ?? process.argv[2] ?? 10_000);
const LEASE_MS = Number(process.env.BENCH_CLUSTER_LEASE_MS ?? process.argv[3] ?? 10_000);
const HOSTS = 4;
const REST_WINDOW_MS = 20_000;
const CHILD = join(fileURLToPath(new URL('.', import.meta.url)), 'cluster-child.ts');

interface Host {
  readonly id: string;
  readonly child: ChildProcess;
  running: number;
  readonly exited: Promise<void>;
}

function spawnHost(url: string, id: string): Host {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, url, id, String(LEASE_MS), String(MAILBOXES)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const host: Host = {
    id,
    child,
    running: 0,
    exited: new Promise((resolve) => child.once('exit', () => resolve())),
  };
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const fact = JSON.parse(line) as { type: string; count?: number };
      if (fact.type === 'running') host.running = fact.count!;
    }
  });
  return host;
}

async function until<T>(read: () => Promise<T | undefined>, timeoutMs: number, what: string, everyMs = 50): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Measures and returns the figures (see the module comment).
 *
 * @example
 * ```ts
 * console.log(formatResults(await run()));
 * ```
 */
export async function run(): Promise<BenchResult[]> {
  const database = `ma_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: SERVER });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const base = new URL(SERVER);
  base.pathname = `/${database}`;
  const url = base.toString();
  const db = new pg.Client({ connectionString: url });
  const hosts: Host[] = [];
  try {
    await db.connect();
    // The schema first, so the figures are about ownership, not about migrating.
    await (await PostgresJournalStore.open(url)).close();
    const owned = async () =>
      (
        await db.query<{ owned: number; hosts: number }>(
          `SELECT (SELECT count(*) FROM mail_autopilot.cluster_mailboxes m JOIN mail_autopilot.cluster_hosts h
                     ON h.host_id = m.owner AND h.lease_until > clock_timestamp())::int AS owned,
                  (SELECT count(*) FROM mail_autopilot.cluster_hosts WHERE lease_until > clock_timestamp())::int AS hosts`,
        )
      ).rows[0]!;

    // (a) start 4 hosts.
    const spawnedAt = performance.now();
    for (let i = 0; i < HOSTS; i++) hosts.push(spawnHost(url, `host-${i + 1}`));
    const registeredAt = await until(
      async () => ((await owned()).hosts === HOSTS ? performance.now() : undefined),
      120_000,
      'all hosts registered',
    );
    const ownedAt = await until(
      async () => ((await owned()).owned === MAILBOXES ? performance.now() : undefined),
      120_000,
      `all ${MAILBOXES} mailboxes owned`,
    );
    const watchedAt = await until(
      async () => (hosts.reduce((sum, h) => sum + h.running, 0) === MAILBOXES ? performance.now() : undefined),
      300_000,
      `all ${MAILBOXES} mailboxes watched`,
    );
    const shares = hosts.map((h) => h.running);
    console.log(
      `cluster: hosts registered ${formatNumber(registeredAt - spawnedAt)} ms after spawn; all owned after ` +
        `${formatNumber(ownedAt - registeredAt)} ms, all watched after ${formatNumber(watchedAt - registeredAt)} ms; ` +
        `shares ${shares.join('/')}`,
    );

    // (c) at rest: wait until the start-up's journal appends are done, then count transactions.
    let head = -1;
    await until(
      async () => {
        const { rows } = await db.query<{ head: string }>(
          'SELECT coalesce(max(position), 0)::text AS head FROM mail_autopilot.journal_events',
        );
        const same = rows[0]!.head === String(head);
        head = Number(rows[0]!.head);
        return same ? true : undefined;
      },
      600_000,
      'the journal to stop growing',
      3_000,
    );
    const xacts = async () =>
      Number(
        (
          await db.query<{ n: string }>(
            'SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = current_database()',
          )
        ).rows[0]!.n,
      );
    // Statistics reach pg_stat_database up to ~1 s (busy) or ~10 s (idle) after the transactions: let the start-up's
    // reach it before the window opens.
    await sleep(11_000);
    const before = await xacts();
    const restStart = performance.now();
    await sleep(REST_WINDOW_MS);
    const after = await xacts();
    const restSeconds = (performance.now() - restStart) / 1000;
    const perSecondAtRest = (after - before - 1) / restSeconds;
    const heartbeatsPerSecond = (HOSTS * 1000) / Math.round(LEASE_MS / 3);
    console.log(
      `cluster: at rest ${formatNumber(perSecondAtRest, 2)} transactions/s over ${restSeconds.toFixed(0)} s ` +
        `(${HOSTS} hosts heartbeating every ${Math.round(LEASE_MS / 3)} ms: ${formatNumber(heartbeatsPerSecond, 2)}/s)`,
    );

    // (b) kill one host.
    const victim = hosts[1]!;
    const share = (
      await db.query<{ mailbox_id: string }>(
        'SELECT mailbox_id FROM mail_autopilot.cluster_mailboxes WHERE owner = $1',
        [victim.id],
      )
    ).rows.map((r) => r.mailbox_id);
    const killedAt = performance.now();
    victim.child.kill('SIGKILL');
    const [leaseEnd] = (
      await db.query<{ remaining: number }>(
        `SELECT extract(epoch FROM lease_until - clock_timestamp()) * 1000 AS remaining
         FROM mail_autopilot.cluster_hosts WHERE host_id = $1`,
        [victim.id],
      )
    ).rows;
    const leaseEndsAt = killedAt + Number(leaseEnd?.remaining ?? 0);
    const reownedAt = await until(
      async () => {
        const { rows } = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM mail_autopilot.cluster_mailboxes m JOIN mail_autopilot.cluster_hosts h
             ON h.host_id = m.owner AND h.lease_until > clock_timestamp()
           WHERE m.mailbox_id = ANY($1) AND m.owner <> $2`,
          [share, victim.id],
        );
        return rows[0]!.n === share.length ? performance.now() : undefined;
      },
      LEASE_MS * 3,
      "the dead host's mailboxes owned again",
      20,
    );
    const survivors = hosts.filter((h) => h !== victim);
    const rewatchedAt = await until(
      async () => (survivors.reduce((sum, h) => sum + h.running, 0) === MAILBOXES ? performance.now() : undefined),
      300_000,
      'all mailboxes watched by the survivors',
    );
    console.log(
      `cluster: ${share.length} mailboxes of the killed host owned again ${formatNumber(reownedAt - killedAt)} ms ` +
        `after the kill (${formatNumber(reownedAt - leaseEndsAt)} ms after its lease ran out), watched again after ` +
        `${formatNumber(rewatchedAt - killedAt)} ms; lease ${LEASE_MS} ms`,
    );

    const row = (
      id: string,
      title: string,
      unit: string,
      plain: number,
      value: number,
      note: string,
      goal?: number,
    ) => ({
      bench: 'cluster',
      id,
      title,
      unit,
      plain,
      adapter: value,
      ratio: value / plain,
      ...(goal === undefined ? {} : { goal: atMost(value / plain, goal) }),
      note,
    });
    return [
      row(
        'a',
        `all ${formatNumber(MAILBOXES)} mailboxes owned, from the last of ${HOSTS} hosts registering`,
        'ms',
        LEASE_MS,
        ownedAt - registeredAt,
        `plain: the lease; includes the join delay (a third of the lease, at most 2 s); shares ${shares.join('/')}; ` +
          `process start-up to registration ${formatNumber(registeredAt - spawnedAt)} ms`,
      ),
      row(
        'a2',
        `all ${formatNumber(MAILBOXES)} mailboxes watched (runners started)`,
        'ms',
        LEASE_MS,
        watchedAt - registeredAt,
        'plain: the lease',
      ),
      row(
        'b',
        `a dead host's ${formatNumber(share.length)} mailboxes owned again, from SIGKILL`,
        'ms',
        LEASE_MS,
        reownedAt - killedAt,
        `plain: the lease; ${formatNumber(reownedAt - leaseEndsAt)} ms after its lease ran out`,
        1.1,
      ),
      row(
        'b2',
        "… of which after the dead host's lease ran out",
        'ms',
        LEASE_MS,
        reownedAt - leaseEndsAt,
        'the reaction of the live hosts (timer at the lease end, view read, acquisition)',
      ),
      row(
        'c',
        `database transactions per minute at rest (${HOSTS} hosts, ${formatNumber(MAILBOXES)} mailboxes)`,
        'xact/min',
        heartbeatsPerSecond * 60,
        perSecondAtRest * 60,
        `pg_stat_database over ${restSeconds.toFixed(0)} s; plain: one heartbeat per host every ${Math.round(LEASE_MS / 3)} ms`,
      ),
    ];
  } finally {
    for (const host of hosts)
      if (host.child.exitCode === null && host.child.signalCode === null) host.child.kill('SIGTERM');
    await Promise.race([Promise.all(hosts.map((h) => h.exited)), sleep(20_000)]);
    for (const host of hosts)
      if (host.child.exitCode === null && host.child.signalCode === null) host.child.kill('SIGKILL');
    await db.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(formatResults(await run()));
}
