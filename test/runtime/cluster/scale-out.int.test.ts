/**
 * Scale-out on the real PostgreSQL and Dovecot (issue 9, item 4): three host processes share 30 mailboxes (Dovecot
 * users with distinct uids) while mail keeps arriving. One host is SIGKILLed: its mailboxes are owned again within
 * one lease period. Another is SIGSTOPped past its lease and then continued: it writes nothing more for the
 * mailboxes it lost and settles on its new share. At the end every message was handled exactly once in the journal,
 * and a handler ran again only for a message that was in flight on a host that was killed or stopped.
 *
 * The rule's handler is a shell command that appends a line to a file per message, so every run is visible.
 * Set SCALE_OUT_LOG=/some/prefix to keep each host's log lines in `<prefix>.<host>` when investigating a failure.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readClusterStatus } from '../../../runtime/cluster/status.js';
import { type MailServers, startMailServers } from '../../../scripts/harness/mail-servers.js';
import { freshSchema, type TestSchema } from './pg-schema.js';

const LEASE_MS = 2_000;
const USERS = 30;
const FIXTURE = join(import.meta.dirname, 'fixtures/host.ts');
/** Appends "<host> <attempt> <message-id>" to a file per message, then takes a moment (so kills find it in flight). */
const HANDLER = [
  'cat > /dev/null',
  'printf "%s %s %s\\n" "$SCALE_OUT_HOST" "$MAIL_AUTOPILOT_ATTEMPT" "$MAIL_AUTOPILOT_MESSAGE_ID" >> "$OUT_DIR/$MAIL_AUTOPILOT_MAILBOX.$MAIL_AUTOPILOT_IDEMPOTENCY_KEY"',
  'sleep 0.25',
].join('; ');

interface Host {
  readonly name: string;
  readonly child: ChildProcess;
  /** Mailboxes it watches, as it last reported. */
  running: string[];
  started: boolean;
  exited: Promise<void>;
  stderr: string;
}

interface EventRow {
  position: number;
  stream: string;
  type: string;
  writer: string;
  epoch: number | null;
  key: string | null;
  mid: string | null;
}

let servers: MailServers;
let db: TestSchema;
let dir: string;
const hosts = new Map<string, Host>();
/** The background delivery of new mail (stopped by the test, or by afterAll when the test failed). */
let delivering = false;
let delivery: Promise<void> = Promise.resolve();

function spawnHost(name: string, configFile: string): Host {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, configFile, name, String(LEASE_MS)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const host: Host = { name, child, running: [], started: false, stderr: '', exited: Promise.resolve() };
  host.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const fact = JSON.parse(line) as { type: string; mailboxes?: string[] };
      if (fact.type === 'started') host.started = true;
      if (fact.type === 'running') host.running = fact.mailboxes!;
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    host.stderr = (host.stderr + chunk.toString()).slice(-20_000);
    if (process.env.SCALE_OUT_LOG) appendFileSync(`${process.env.SCALE_OUT_LOG}.${name}`, chunk);
  });
  hosts.set(name, host);
  return host;
}

function diagnostics(): string {
  return [...hosts.values()]
    .map(
      (h) =>
        `--- ${h.name} (exit ${h.child.exitCode ?? h.child.signalCode ?? 'running'}) stderr tail:\n${h.stderr.slice(-3_000)}`,
    )
    .join('\n');
}

async function eventually<T>(
  read: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  ms: number,
): Promise<T> {
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
      throw new Error(
        `not within ${ms} ms: ${what}${last ? ` (last error: ${(last as Error).message})` : ''}\n${diagnostics()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function ownersNow(): Promise<Map<string, { owner: string | null; live: boolean; epoch: number }>> {
  const status = await readClusterStatus(db.url);
  return new Map(status.mailboxes.map((m) => [m.mailboxId, { owner: m.owner, live: m.ownerLive, epoch: m.epoch }]));
}

async function events(): Promise<EventRow[]> {
  const rows = await db.query<{
    position: string;
    stream: string;
    type: string;
    writer: string;
    epoch: string | null;
    key: string | null;
    mid: string | null;
  }>(
    "SELECT position, stream, type, writer, epoch, msg_key AS key, data->>'messageId' AS mid FROM $schema.journal_events ORDER BY position",
  );
  return rows.map((r) => ({ ...r, position: Number(r.position), epoch: r.epoch === null ? null : Number(r.epoch) }));
}

beforeAll(async () => {
  [servers, db] = await Promise.all([
    startMailServers({ users: USERS, distinctUids: true, smtp: false }),
    freshSchema('scaleout'),
  ]);
  dir = mkdtempSync(join(tmpdir(), 'scale-out-'));
});

afterAll(async () => {
  delivering = false;
  await delivery.catch(() => undefined);
  for (const host of hosts.values()) {
    if (host.child.exitCode === null && host.child.signalCode === null) {
      host.child.kill('SIGCONT');
      host.child.kill('SIGKILL');
    }
    await host.exited;
  }
  await servers?.stop();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('three hosts sharing 30 mailboxes through PostgreSQL', () => {
  it('survives a SIGKILL and a SIGSTOP: re-owned within a lease, fenced, every message handled once', async () => {
    const outDir = join(dir, 'runs');
    mkdirSync(outDir);
    const mailboxes = servers.users.map((user, i) => ({
      id: `box${String(i).padStart(2, '0')}`,
      server: `imap://127.0.0.1:${servers.ports.imap}`,
      user: user.user,
      password: user.password,
      // Plaintext on loopback: with TLS, each of the ~100 connections of this test builds a TLS context from every
      // root certificate (tens of ms of CPU each), which on 2 cores stalls hosts past a 2 s lease.
      allowPlaintext: true,
      pollInterval: '2s',
      handler: { retries: 3, retryDelay: '100ms', timeout: '20s' },
      rules: [
        {
          name: 'jobs',
          subject: { startsWith: 'Job' },
          run: { command: ['/bin/sh', '-c', HANDLER], env: { OUT_DIR: outDir }, passEnv: ['SCALE_OUT_HOST'] },
        },
      ],
    }));
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ baseDir: dir, config: { journal: db.url, mailboxes } }));

    const tStart = performance.now();
    // --- three hosts, an even share each -----------------------------------------------------------------------
    for (const name of ['a', 'b', 'c']) spawnHost(name, configFile);
    await eventually(
      async () => {
        const owners = await ownersNow();
        const counts = ['a', 'b', 'c'].map((h) => [...owners.values()].filter((o) => o.owner === h && o.live).length);
        return (
          owners.size === USERS &&
          counts.every((n) => n === USERS / 3) &&
          ['a', 'b', 'c'].every((h) => hosts.get(h)!.running.length === USERS / 3)
        );
      },
      'all 30 mailboxes owned and watched, 10 per host',
      30_000,
    );

    const t0 = performance.now();
    const phase = (what: string) =>
      console.log(`scale-out: ${what} at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    console.log(`scale-out: hosts up after ${((t0 - tStart) / 1000).toFixed(1)} s`);
    phase('30 mailboxes owned, 10 per host');

    // --- mail arrives throughout -------------------------------------------------------------------------------
    const delivered: { mailboxId: string; messageId: string }[] = [];
    delivering = true;
    delivery = (async () => {
      for (let n = 0; delivering; n++) {
        const i = n % USERS;
        const messageId = `<job-${n}@scale.test>`;
        await servers.deliver(servers.users[i]!.user, {
          subject: `Job ${n}`,
          from: 'client@example.test',
          text: `job ${n}`,
          messageId,
        });
        delivered.push({ mailboxId: mailboxes[i]!.id, messageId });
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    })();
    const inFlightOn = async (host: string) =>
      (await events()).filter((e) => e.writer === host && e.type === 'handler.started').length > 0 &&
      (
        await db.query(
          `SELECT 1 FROM $schema.journal_events s WHERE s.writer = $1 AND s.type = 'handler.started'
           AND NOT EXISTS (SELECT 1 FROM $schema.journal_events o WHERE o.stream = s.stream AND o.msg_key = s.msg_key
                           AND o.position > s.position AND o.type IN ('handler.succeeded', 'handler.failed'))`,
          [host],
        )
      ).length > 0;

    // --- SIGKILL a: its mailboxes are owned again within one lease period ------------------------------------
    await eventually(() => inFlightOn('a'), 'host a handling a message', 15_000).catch(() => undefined);
    phase('killing a');
    const ofA = [...(await ownersNow())].filter(([, o]) => o.owner === 'a').map(([id]) => id);
    const killedAt = performance.now();
    hosts.get('a')!.child.kill('SIGKILL');
    await eventually(
      async () => {
        const owners = await ownersNow();
        return ofA.every((id) => owners.get(id)!.live && owners.get(id)!.owner !== 'a');
      },
      "a's mailboxes owned by live hosts",
      LEASE_MS * 4,
    );
    const reownedMs = performance.now() - killedAt;
    console.log(
      `scale-out: ${ofA.length} mailboxes of the killed host owned again after ${reownedMs.toFixed(0)} ms (lease ${LEASE_MS} ms)`,
    );
    // One lease period, plus what it takes a loaded 2-core machine to notice and take them.
    expect(reownedMs).toBeLessThan(LEASE_MS + 750);

    // --- SIGSTOP b past its lease, then SIGCONT --------------------------------------------------------------
    await eventually(() => inFlightOn('b'), 'host b handling a message', 10_000).catch(() => undefined);
    phase('stopping b');
    const b = hosts.get('b')!;
    const ofB = [...(await ownersNow())].filter(([, o]) => o.owner === 'b').map(([id]) => id);
    b.child.kill('SIGSTOP');
    const stoppedAt = performance.now();
    await eventually(
      async () => {
        const owners = await ownersNow();
        return ofB.every((id) => owners.get(id)!.live && owners.get(id)!.owner === 'c');
      },
      "b's mailboxes owned by c while b is stopped",
      LEASE_MS * 4,
    );
    // The epochs c took b's mailboxes with: b's old leases end there.
    const takeoverEpochs = new Map(
      [...(await ownersNow())].filter(([id]) => ofB.includes(id)).map(([id, o]) => [id, o.epoch]),
    );
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, stoppedAt + LEASE_MS + 500 - performance.now())));
    phase('continuing b');
    b.child.kill('SIGCONT');
    // b notices, stops what it lost, rejoins, and the two live hosts settle on 15 each.
    await eventually(
      async () => {
        const owners = await ownersNow();
        const ownedByB = [...owners]
          .filter(([, o]) => o.owner === 'b' && o.live)
          .map(([id]) => id)
          .sort();
        const ownedByC = [...owners].filter(([, o]) => o.owner === 'c' && o.live).length;
        return ownedByB.length === USERS / 2 && ownedByC === USERS / 2 && b.running.join() === ownedByB.join();
      },
      'b and c settled on 15 mailboxes each, b watching exactly what it owns',
      15_000,
    );

    phase('b and c settled');
    // --- the end: every message handled ----------------------------------------------------------------------
    delivering = false;
    await delivery;
    await eventually(
      async () => {
        const handled = new Set(
          (await events()).filter((e) => e.type === 'message.handled').map((e) => `${e.stream} ${e.mid}`),
        );
        return delivered.every((d) => handled.has(`${d.mailboxId} ${d.messageId}`));
      },
      `all ${delivered.length} delivered messages handled`,
      30_000,
    );
    phase('all handled; stopping b and c');
    for (const name of ['b', 'c']) hosts.get(name)!.child.kill('SIGTERM');
    await Promise.all(['b', 'c'].map((name) => hosts.get(name)!.exited));
    expect(['b', 'c'].map((name) => hosts.get(name)!.child.exitCode)).toEqual([0, 0]);
    phase('b and c stopped');

    const all = await events();
    // Every message handled exactly once in the journal.
    const handledCount = new Map<string, number>();
    for (const e of all.filter((x) => x.type === 'message.handled')) {
      handledCount.set(`${e.stream} ${e.mid}`, (handledCount.get(`${e.stream} ${e.mid}`) ?? 0) + 1);
    }
    expect(delivered.length).toBeGreaterThan(40);
    for (const d of delivered) expect(handledCount.get(`${d.mailboxId} ${d.messageId}`), d.messageId).toBe(1);

    // Fencing: within a stream, epochs never go back, each epoch has one writer, and b wrote nothing for a
    // mailbox it lost after c took it over.
    const writerOf = new Map<string, string>();
    const lastEpoch = new Map<string, number>();
    for (const e of all) {
      expect(e.epoch, `event ${e.position} carries an epoch`).not.toBeNull();
      expect(e.epoch!, `epochs of ${e.stream} never go back (position ${e.position})`).toBeGreaterThanOrEqual(
        lastEpoch.get(e.stream) ?? 0,
      );
      lastEpoch.set(e.stream, e.epoch!);
      const epochKey = `${e.stream}@${e.epoch}`;
      expect(writerOf.get(epochKey) ?? e.writer, `one writer per epoch of ${e.stream}`).toBe(e.writer);
      writerOf.set(epochKey, e.writer);
    }
    for (const [stream, epoch] of takeoverEpochs) {
      const firstNew = Math.min(...all.filter((e) => e.stream === stream && e.epoch! >= epoch).map((e) => e.position));
      const stale = all.filter(
        (e) => e.stream === stream && e.writer === 'b' && e.epoch! < epoch && e.position > firstNew,
      );
      expect(stale, `b wrote to ${stream} under its old lease after c took it over`).toEqual([]);
    }

    // Handlers: every message's handler ran; more than once only when a run was in flight on a killed or stopped
    // host (its start journaled by a or b, with no outcome journaled by that host).
    const runs = new Map<string, number>();
    for (const file of readdirSync(outDir)) {
      for (const line of readFileSync(join(outDir, file), 'utf8').trim().split('\n')) {
        const [, , messageId] = line.split(' ');
        const mailboxId = file.split('.')[0]!;
        runs.set(`${mailboxId} ${messageId}`, (runs.get(`${mailboxId} ${messageId}`) ?? 0) + 1);
      }
    }
    // A run was in flight at a kill or stop when its start, journaled by a or b, is not followed by its outcome
    // under the same lease (same writer and epoch) before the next start.
    const disrupted = new Set<string>();
    const handlerEvents = all.filter((e) => e.type.startsWith('handler.'));
    for (const [i, start] of handlerEvents.entries()) {
      if (start.type !== 'handler.started' || (start.writer !== 'a' && start.writer !== 'b')) continue;
      const next = handlerEvents.slice(i + 1).find((e) => e.stream === start.stream && e.key === start.key);
      const finished =
        next && next.type !== 'handler.started' && next.writer === start.writer && next.epoch === start.epoch;
      if (!finished) disrupted.add(`${start.stream} ${start.mid}`);
    }
    const reruns: string[] = [];
    for (const d of delivered) {
      const id = `${d.mailboxId} ${d.messageId}`;
      expect(runs.get(id) ?? 0, `handler ran for ${id}`).toBeGreaterThanOrEqual(1);
      if ((runs.get(id) ?? 0) > 1) reruns.push(id);
    }
    console.log(
      `scale-out: ${delivered.length} messages, ${reruns.length} handler re-run(s), ${disrupted.size} run(s) in flight at the kill/stop`,
    );
    const unexplained = reruns
      .filter((id) => !disrupted.has(id))
      .map((id) => {
        const [stream, mid] = id.split(' ');
        const history = all
          .filter((e) => e.stream === stream && e.mid === mid)
          .map((e) => `${e.position}:${e.type}:${e.writer}@${e.epoch}`);
        return `${id} ran ${runs.get(id)} times, journal: ${history.join(' ')}`;
      });
    expect(unexplained, 'handler re-runs of messages that were not in flight at a kill or stop').toEqual([]);
  }, 150_000);
});
