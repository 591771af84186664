/**
 * Exactly-once-effective processing under SIGKILL (issue 4, item 7): a folder of 500 messages, half of which match a
 * rule with a command handler and two built-in actions (flag, then move), and a quarter a rule of the same actions
 * without a handler, which the executor carries out in batches (issue 12: kills also land in the middle of a batch). The CLI process is killed at random points
 * six times and restarted each time; at the end every matching message was handled, the journal records each as
 * handled exactly once, no built-in action is journaled as done twice, and a handler ran more than once only for a
 * message that was in flight at a kill (the at-least-once contract of command handlers).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotencyKey } from '../../runtime/handlers/metadata.js';
import type { StoredEvent } from '../../runtime/journal/events.js';
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
let dir: string;

beforeAll(async () => {
  servers = await startMailServers({ users: ['crash'], smtp: false });
  const user = servers.user('crash');
  await servers.fill(
    user.user,
    Array.from({ length: TOTAL }, (_, i) => ({
      subject: `Item ${i}`,
      from: 'customer@example.test',
      text: `message ${i}\n`,
      messageId: `<item-${i}@example.test>`,
    })),
  );
  dir = mkdtempSync(join(tmpdir(), 'crash-recovery-'));
  writeFileSync(
    join(dir, 'autopilot.yaml'),
    [
      'journal: ./journal.db',
      'mailboxes:',
      '  - id: crash',
      `    server: imaps://127.0.0.1:${servers.ports.imaps}`,
      `    user: ${user.user}`,
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
    ].join('\n'),
  );
}, 120_000);

afterAll(() => servers?.stop());

function startCli(): ChildProcess {
  const [program, args] = cliCommand(['run', '--config', 'autopilot.yaml']);
  return spawn(program, args, {
    cwd: dir,
    env: { ...process.env, CRASH_PASSWORD: servers.user('crash').password, MAIL_AUTOPILOT_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

async function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Everything the journal holds (the process that wrote it is not running, or only appends). */
async function readJournal(): Promise<StoredEvent[]> {
  const file = join(dir, 'journal.db');
  if (!existsSync(file)) return [];
  const store = new SqliteJournalStore(file, { lock: false });
  try {
    return [...(await store.read({}))];
  } finally {
    await store.close();
  }
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

async function folderMessageIds(folder: string): Promise<string[]> {
  const client = await connectImap(servers, 'crash');
  try {
    await client.mailboxOpen(folder);
    const ids: string[] = [];
    for await (const message of client.fetch('1:*', { envelope: true })) ids.push(message.envelope?.messageId ?? '');
    return ids;
  } finally {
    await client.logout();
  }
}

describe('crash recovery (SIGKILL at random points)', () => {
  it('handles every matching message exactly once across six kills', async () => {
    const inFlightAtKills = new Set<string>();
    let kills = 0;
    for (; kills < KILLS; kills++) {
      const child = startCli();
      const before = (await readJournal()).filter((e) => e.type === 'message.handled').length;
      // Kill somewhere in the middle of the work: after a random time, once something new was handled.
      const delay = 300 + Math.floor(Math.random() * 1200);
      await new Promise((r) => setTimeout(r, delay));
      for (let i = 0; i < 100; i++) {
        const handled = (await readJournal()).filter((e) => e.type === 'message.handled').length;
        if (handled > before || handled >= TOTAL / 2 + TOTAL / 4) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGKILL');
      await exited(child);
      for (const key of handlersInFlight(await readJournal())) inFlightAtKills.add(key);
    }

    const final = startCli();
    let events: StoredEvent[] = [];
    for (let i = 0; i < 1200; i++) {
      events = await readJournal();
      const handled = new Set(events.filter((e) => e.type === 'message.handled').map((e) => e.messageId));
      if (handled.size >= TOTAL / 2 + TOTAL / 4) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    final.kill('SIGTERM');
    expect(await exited(final)).toBe(0);
    events = await readJournal();

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
    const moved = await folderMessageIds('Done');
    expect(moved.sort()).toEqual([...withHandler].sort());
    expect((await folderMessageIds('Batched')).sort()).toEqual([...batched].sort());
    expect((await folderMessageIds('INBOX')).length).toBe(TOTAL - expected.length);

    // Handlers re-ran only for messages in flight at a kill.
    const runs = readFileSync(join(dir, 'runs.log'), 'utf8').trim().split('\n');
    const counts = new Map<string, number>();
    for (const key of runs) counts.set(key, (counts.get(key) ?? 0) + 1);
    const repeated = [...counts].filter(([, n]) => n > 1).map(([key]) => key);
    for (const key of repeated)
      expect(inFlightAtKills.has(key), `handler ${key} re-ran without being in flight`).toBe(true);
    expect(counts.size).toBe(withHandler.length);
    expect(kills).toBe(KILLS);
  }, 240_000);
});
