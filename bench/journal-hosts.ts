/**
 * Journal throughput of several hosts on one PostgreSQL journal (issue 12, item 4): message facts per second in
 * all, with host processes (`bench/journal-hosts-child.ts`) appending at once, each with several mailboxes
 * appending one after the other with their expected versions, as the runtime does.
 *
 * (a) Baseline, as before issue 12.4: 4 hosts, one fact per append, group commit off — one insert and one commit
 *     per fact, all hosts' commits one at a time under the journal lock.
 * (b) 4 hosts, one fact per append, group commit on (a host's appends that arrive during a commit share the next).
 * (c) 1 host, discovery batches of 100–500 facts per append, group commit on.
 * (d) 4 hosts, the same batches: the issue's goal is at least 20,000 facts/s.
 *
 * `plain` is (a), `adapter` the figure, `ratio` adapter / (a). Each figure is the median of `BENCH_JOURNAL_HOSTS_ROUNDS`
 * (default 3) rounds of `BENCH_JOURNAL_HOSTS_WINDOW_MS` (default 5,000) ms, each round in a fresh schema. PostgreSQL
 * is the server at 127.0.0.1:5432 (`MAIL_AUTOPILOT_BENCH_PG` overrides) with its defaults (`synchronous_commit=on`).
 *
 * Run: `npm run bench -- journal-hosts` or `npx tsx bench/journal-hosts.ts`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PostgresJournalStore } from '../runtime/journal/postgres-store.js';
import { type BenchResult, formatNumber, formatResults, median, perSecond } from './lib.js';

const PG_URL = process.env.MAIL_AUTOPILOT_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROUNDS = Number(process.env.BENCH_JOURNAL_HOSTS_ROUNDS ?? 3);
const WINDOW_MS = Number(process.env.BENCH_JOURNAL_HOSTS_WINDOW_MS ?? 5_000);
const MAILBOXES_PER_HOST = 4;
const GOAL_FACTS_PER_SECOND = 20_000;
const CHILD = join(fileURLToPath(new URL('.', import.meta.url)), 'journal-hosts-child.ts');

/** Hosts, the smallest and largest batch per append, and whether each host groups its appends. */
type Setup = {
  readonly hosts: number;
  readonly minBatch: number;
  readonly maxBatch: number;
  readonly grouping: 'on' | 'off';
};

interface ChildFigures {
  readonly facts: number;
  readonly appends: number;
  readonly groups: number;
  readonly calls: number;
}

/** Starts one host; `ready` resolves once it is connected, `figures` once it reported after the window. */
function runHost(url: string, host: string, setup: Setup) {
  const args = [CHILD, url, host, String(MAILBOXES_PER_HOST), String(setup.minBatch), String(setup.maxBatch)];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args, setup.grouping, String(WINDOW_MS)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let figures: ChildFigures | undefined;
  const ready = new Promise<void>((resolve) => {
    child.on('message', (message: { ready?: boolean } & Partial<ChildFigures>) => {
      if (message.ready) resolve();
      else figures = message as ChildFigures;
    });
  });
  const done = new Promise<ChildFigures>((resolve, reject) => {
    child.once('exit', (code) => {
      if (code === 0 && figures) resolve(figures);
      else reject(new Error(`journal-hosts child ${host} exited with code ${code} without figures`));
    });
  });
  return { ready, done, start: (startAt: number) => child.send({ startAt }) };
}

/** One round of a setup in a fresh schema: facts/s of all hosts together, and the average calls per group. */
async function round(setup: Setup): Promise<{ factsPerSecond: number; callsPerGroup: number }> {
  const schema = `bench_hosts_${randomBytes(4).toString('hex')}`;
  const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
  try {
    await (await PostgresJournalStore.open(url)).close(); // migrate before the hosts start
    const hosts = Array.from({ length: setup.hosts }, (_, i) => runHost(url, `host${i}`, setup));
    // Start together, once every child has loaded its modules and connected.
    await Promise.all(hosts.map((h) => h.ready));
    const startAt = Date.now() + 200;
    for (const h of hosts) h.start(startAt);
    const figures = await Promise.all(hosts.map((h) => h.done));
    const facts = figures.reduce((sum, f) => sum + f.facts, 0);
    const groups = figures.reduce((sum, f) => sum + f.groups, 0);
    const calls = figures.reduce((sum, f) => sum + f.calls, 0);
    return { factsPerSecond: perSecond(facts, WINDOW_MS), callsPerGroup: calls / Math.max(1, groups) };
  } finally {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

async function measure(label: string, setup: Setup): Promise<{ factsPerSecond: number; callsPerGroup: number }> {
  const rounds: { factsPerSecond: number; callsPerGroup: number }[] = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push(await round(setup));
  const factsPerSecond = median(rounds.map((r) => r.factsPerSecond));
  const callsPerGroup = median(rounds.map((r) => r.callsPerGroup));
  console.log(
    `journal-hosts ${label}: ${formatNumber(factsPerSecond)} facts/s ` +
      `(rounds: ${rounds.map((r) => formatNumber(r.factsPerSecond)).join(', ')}; ${callsPerGroup.toFixed(1)} appends per commit)`,
  );
  return { factsPerSecond, callsPerGroup };
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
  // [label, hosts, smallest and largest batch, group commit]
  const setups: [string, number, number, number, 'on' | 'off'][] = [
    ['a (4 hosts, 1 fact per append, no group commit)', 4, 1, 1, 'off'],
    ['b (4 hosts, 1 fact per append, group commit)', 4, 1, 1, 'on'],
    ['c (1 host, 100–500 facts per append)', 1, 100, 500, 'on'],
    ['d (4 hosts, 100–500 facts per append)', 4, 100, 500, 'on'],
  ];
  const measured: { factsPerSecond: number; callsPerGroup: number }[] = [];
  for (const [label, hosts, minBatch, maxBatch, grouping] of setups) {
    measured.push(await measure(label, { hosts, minBatch, maxBatch, grouping }));
  }
  const [baseline, single, oneHost, fourHosts] = measured as [
    (typeof measured)[0],
    (typeof measured)[0],
    (typeof measured)[0],
    (typeof measured)[0],
  ];
  const plain = baseline.factsPerSecond;
  const note = (m: { callsPerGroup: number }) =>
    `${MAILBOXES_PER_HOST} mailboxes per host; ${m.callsPerGroup.toFixed(1)} appends per commit; median of ${ROUNDS} × ${WINDOW_MS / 1000} s`;
  const row = (id: string, title: string, m: { factsPerSecond: number; callsPerGroup: number }): BenchResult => ({
    bench: 'journal-hosts',
    id,
    title,
    unit: 'facts/s',
    plain,
    adapter: m.factsPerSecond,
    ratio: m.factsPerSecond / plain,
    note: note(m),
  });
  return [
    row('a', 'PostgreSQL, 4 hosts, 1 fact per append, no group commit (baseline)', baseline),
    row('b', 'PostgreSQL, 4 hosts, 1 fact per append, group commit', single),
    row('c', 'PostgreSQL, 1 host, 100–500 facts per append', oneHost),
    {
      ...row('d', 'PostgreSQL, 4 hosts, 100–500 facts per append', fourHosts),
      goal: {
        text: `≥ ${formatNumber(GOAL_FACTS_PER_SECOND)} facts/s`,
        met: fourHosts.factsPerSecond >= GOAL_FACTS_PER_SECOND,
      },
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(formatResults(await run()));
}
