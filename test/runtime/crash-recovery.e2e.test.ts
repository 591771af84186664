/**
 * Exactly-once-effective processing under SIGKILL (issue 4, item 7): a folder of 500 messages, half of which match a
 * rule with a command handler and two built-in actions (flag, then move), and a quarter a rule of the same actions
 * without a handler, which the executor carries out in batches (issue 12: kills also land in the middle of a batch). The CLI process is killed at random points
 * six times and restarted each time; at the end every matching message was handled, the journal records each as
 * handled exactly once, no built-in action is journaled as done twice, and a handler ran more than once only for a
 * message that was in flight at a kill (the at-least-once contract of command handlers).
 *
 * Issue 16: the same six kills again with checkpoints every 50 events, so restarts begin from a snapshot taken in
 * the middle of the work and fold only what came after it: exactly-once holds the same. And once more with a
 * retention pass after every kill, removing the finished history a checkpoint covers: still exactly once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotencyKey } from '../../runtime/handlers/metadata.js';
import type { StoredEvent } from '../../runtime/journal/events.js';
import { runRetentionPass } from '../../runtime/journal/retention-runner.js';
import { SqliteJournalStore } from '../../runtime/journal/sqlite-store.js';
import { type MailServers, startMailServers } from '../../scripts/harness/mail-servers.js';
import { cliCommand } from '../support/cli.js';
import { connectImap } from '../support/imap-folder.js';

const TOTAL = 500;
const KILLS = 6;
const isMatching = (i: number) => i % 2 === 0;
/** Issue 12: a quarter of the messages match a rule of folder actions only, which the executor runs as batches. */
const isBatched = (i: number) => i % 4 === 1;

let servers: MailServers;

/** The rules of the scenario, under `mailboxes[0]` of a config for `user`, with more top-level lines. */
function configFor(user: string, top: readonly string[]): string {
  const account = servers.user(user);
  return [
    'journal: ./journal.db',
    ...top,
    'mailboxes:',
    `  - id: ${user}`,
    `    server: imaps://127.0.0.1:${servers.ports.imaps}`,
    `    user: ${account.user}`,
    '    password: ${CRASH_PASSWORD}',
    `    tlsCa: ${servers.caFile}`,
    '    unreadOnly: true',
    '    pollInterval: 1s',
    '    handler: { retries: 3, retryDelay: 50ms }',
    '    rules:',
    '      - name: even',
    '        subject: { regex: "^Item \\\\d*[02468]$" }',
    '        run: ["sh", "-c", "echo \\"$MAIL_AUTOPILOT_IDEMPOTENCY_KEY\\" >> runs.log"]',
    '        actions:',
    '          - flag: Processed',
    '          - moveTo: Done',
    '      - name: batch',
    '        subject: { regex: "^Item (\\\\d*[02468][159]|\\\\d*[13579][37]|[159])$" }',
    '        actions:',
    '          - flag: Batched',
    '          - moveTo: Batched',
  ].join('\n');
}

/** One scenario: a mailbox of TOTAL messages and a directory with its config. */
interface Scenario {
  readonly user: string;
  readonly dir: string;
}

async function prepare(user: string, top: readonly string[] = []): Promise<Scenario> {
  await servers.fill(
    servers.user(user).user,
    Array.from({ length: TOTAL }, (_, i) => ({
      subject: `Item ${i}`,
      from: 'customer@example.test',
      text: `message ${i}\n`,
      messageId: `<item-${i}@example.test>`,
    })),
  );
  const dir = mkdtempSync(join(tmpdir(), 'crash-recovery-'));
  writeFileSync(join(dir, 'autopilot.yaml'), configFor(user, top));
  return { user, dir };
}

beforeAll(async () => {
  servers = await startMailServers({ users: ['crash', 'checkpoint', 'retention'], smtp: false });
}, 120_000);

afterAll(() => servers?.stop());

function startCli({ user, dir }: Scenario): ChildProcess {
  const [program, args] = cliCommand(['run', '--config', 'autopilot.yaml']);
  return spawn(program, args, {
    cwd: dir,
    env: { ...process.env, CRASH_PASSWORD: servers.user(user).password, MAIL_AUTOPILOT_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

async function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Opens the scenario's journal beside the running process (or after it), for one read. */
async function withJournal<T>({ dir }: Scenario, read: (store: SqliteJournalStore) => Promise<T>, empty: T) {
  const file = join(dir, 'journal.db');
  if (!existsSync(file)) return empty;
  const store = new SqliteJournalStore(file, { lock: false });
  try {
    return await read(store);
  } finally {
    await store.close();
  }
}

/** Everything the journal holds (the process that wrote it is not running, or only appends). */
function readStore(scenario: Scenario): Promise<StoredEvent[]> {
  return withJournal(scenario, async (store) => [...(await store.read({}))], []);
}

/** Idempotency keys of the handlers that started and have no outcome: in flight at the kill. */
function handlersInFlight(events: readonly StoredEvent[]): Set<string> {
  const open = new Map<string, string>();
  for (const event of events) {
    if (event.type === 'handler.started') {
      open.set(event.key, idempotencyKey({ mailboxId: event.mailboxId, key: event.key, rule: event.rule }));
    }
    if (event.type === 'handler.succeeded' || event.type === 'handler.failed') open.delete(event.key);
  }
  return new Set(open.values());
}

async function folderMessageIds(user: string, folder: string): Promise<string[]> {
  const client = await connectImap(servers, user);
  try {
    await client.mailboxOpen(folder);
    const ids: string[] = [];
    for await (const message of client.fetch('1:*', { envelope: true })) ids.push(message.envelope?.messageId ?? '');
    return ids;
  } finally {
    await client.logout();
  }
}

/**
 * Kills the CLI six times at random points, restarts it until the work is done, and checks exactly-once.
 * `afterKill` runs between a kill and the next start (the checkpoint case looks at the snapshot there).
 */
async function killSixTimesAndCheck(
  scenario: Scenario,
  afterKill: () => Promise<void> = async () => {},
  removed: readonly StoredEvent[] = [],
) {
  // Issue 16: events a retention pass removed (the retention case keeps them here) still count as what happened.
  const readJournal = async (of: Scenario) => [...removed, ...(await readStore(of))];
  const inFlightAtKills = new Set<string>();
  let kills = 0;
  for (; kills < KILLS; kills++) {
    const child = startCli(scenario);
    const before = (await readJournal(scenario)).filter((e) => e.type === 'message.handled').length;
    // Kill somewhere in the middle of the work: after a random time, once something new was handled.
    const delay = 300 + Math.floor(Math.random() * 1200);
    await new Promise((r) => setTimeout(r, delay));
    for (let i = 0; i < 100; i++) {
      const handled = (await readJournal(scenario)).filter((e) => e.type === 'message.handled').length;
      if (handled > before || handled >= TOTAL / 2 + TOTAL / 4) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await exited(child);
    for (const key of handlersInFlight(await readJournal(scenario))) inFlightAtKills.add(key);
    await afterKill();
  }

  const final = startCli(scenario);
  let events: StoredEvent[] = [];
  for (let i = 0; i < 1200; i++) {
    events = await readJournal(scenario);
    const handled = new Set(events.filter((e) => e.type === 'message.handled').map((e) => e.messageId));
    if (handled.size >= TOTAL / 2 + TOTAL / 4) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  final.kill('SIGTERM');
  expect(await exited(final)).toBe(0);
  events = await readJournal(scenario);

  // Every matching message handled, each exactly once; every other one journaled as unmatched.
  const handled = events.filter((e) => e.type === 'message.handled').map((e) => e.messageId);
  const ids = (keep: (i: number) => boolean) =>
    Array.from({ length: TOTAL }, (_, i) => i)
      .filter(keep)
      .map((i) => `<item-${i}@example.test>`);
  const expected = ids((i) => isMatching(i) || isBatched(i));
  const withHandler = ids(isMatching);
  const batched = ids(isBatched);
  expect(new Set(handled)).toEqual(new Set(expected));
  expect(handled).toHaveLength(expected.length);
  expect(events.filter((e) => e.type === 'message.deadLettered')).toEqual([]);

  // No built-in action journaled as done twice.
  const done = events
    .filter((e) => e.type === 'action.done')
    .map((e) => `${e.key}|${(e as { rule: string }).rule}|${(e as { index: number }).index}`);
  expect(done.length).toBe(new Set(done).size);
  expect(done.length).toBe(expected.length * 2);

  // On the server: every matching message moved once, the rest untouched in INBOX.
  const moved = await folderMessageIds(scenario.user, 'Done');
  expect(moved.sort()).toEqual([...withHandler].sort());
  expect((await folderMessageIds(scenario.user, 'Batched')).sort()).toEqual([...batched].sort());
  expect((await folderMessageIds(scenario.user, 'INBOX')).length).toBe(TOTAL - expected.length);

  // Handlers re-ran only for messages in flight at a kill.
  const runs = readFileSync(join(scenario.dir, 'runs.log'), 'utf8').trim().split('\n');
  const counts = new Map<string, number>();
  for (const key of runs) counts.set(key, (counts.get(key) ?? 0) + 1);
  const repeated = [...counts].filter(([, n]) => n > 1).map(([key]) => key);
  for (const key of repeated)
    expect(inFlightAtKills.has(key), `handler ${key} re-ran without being in flight`).toBe(true);
  expect(counts.size).toBe(withHandler.length);
  expect(kills).toBe(KILLS);
  return events;
}

describe('crash recovery (SIGKILL at random points)', () => {
  it('handles every matching message exactly once across six kills', async () => {
    await killSixTimesAndCheck(await prepare('crash'));
  }, 240_000);

  it('handles every matching message exactly once across six kills with checkpoints in the middle', async () => {
    // A snapshot every 50 events: restarts begin from one taken mid-work and fold only the events after it.
    const scenario = await prepare('checkpoint', ['checkpoint: { everyEvents: 50, every: 1s }']);
    const startsFromSnapshot: number[] = [];
    const events = await killSixTimesAndCheck(scenario, async () => {
      const snapshot = await withJournal(scenario, (store) => store.latestSnapshot(), undefined);
      const head = (await readStore(scenario)).length;
      // The next start begins from this snapshot when it covers part, not all, of the journal.
      if (snapshot && snapshot.position > 0 && snapshot.position < head) startsFromSnapshot.push(snapshot.position);
    });
    expect(startsFromSnapshot.length, 'no restart began from a mid-work snapshot').toBeGreaterThan(0);
    // The clean stop at the end wrote the last one: the next start folds nothing.
    const last = await withJournal(scenario, (store) => store.latestSnapshot(), undefined);
    expect(last?.position).toBe(events.length);
  }, 240_000);

  it('handles every matching message exactly once across six kills with a retention pass after each', async () => {
    // Issue 16: frequent checkpoints (so two exist after the first run: a pass reaches the older of the two), and
    // after every kill a retention pass (bound 1 ms) removes the finished history the older snapshot covers; the
    // restart begins from a snapshot and must not redo a pruned message.
    const scenario = await prepare('retention', ['checkpoint: { everyEvents: 10, every: 200ms }']);
    const removed: StoredEvent[] = [];
    await killSixTimesAndCheck(
      scenario,
      async () => {
        const before = await readStore(scenario);
        const pass = await withJournal(scenario, (store) => runRetentionPass(store, 1, Date.now()), undefined);
        const left = new Set((await readStore(scenario)).map((e) => e.position));
        const gone = before.filter((e) => !left.has(e.position));
        expect(gone.length).toBe(pass?.removed ?? 0);
        removed.push(...gone);
      },
      removed,
    );
    expect(
      removed.filter((e) => e.type === 'message.handled').length,
      'no pass removed a handled message',
    ).toBeGreaterThan(0);
  }, 240_000);
});
