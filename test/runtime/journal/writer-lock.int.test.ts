/**
 * Issue 13.3 and 13.7: one writer per SQLite journal (a lock file with the holder's pid, stale when that process is
 * gone or its pid was reused), readers beside it, and private file modes for everything the store creates.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteJournalStore } from '../../../runtime/journal/sqlite-store.js';
import { JournalLockedError } from '../../../runtime/journal/writer-lock.js';

const FIXTURE = join(import.meta.dirname, 'fixtures/hold-journal.ts');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function journalFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'journal-lock-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'autopilot.db');
}

/** Starts the fixture and resolves once it holds the journal, with its pid and a way to wait for its exit. */
async function holder(
  file: string,
  mode: 'hold' | 'exit',
): Promise<{ child: ChildProcess; pid: number; exited: Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, file, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const pid = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /ready (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', () => reject(new Error(`fixture exited before holding the journal: ${stderr}`)));
  });
  return { child, pid, exited };
}

function open(file: string, options?: ConstructorParameters<typeof SqliteJournalStore>[1]): SqliteJournalStore {
  const store = new SqliteJournalStore(file, options);
  cleanups.push(() => store.close());
  return store;
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

describe('SqliteJournalStore writer lock (issue 13.3)', () => {
  it('refuses a second writer at once, naming the journal file and the pid that holds it; readers still read', async () => {
    const file = await journalFile();
    const { pid } = await holder(file, 'hold');
    let refused: unknown;
    try {
      open(file);
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(JournalLockedError);
    expect(refused).toMatchObject({ code: 'JOURNAL_LOCKED', journalPath: file, holder: { pid, host: hostname() } });
    expect((refused as Error).message).toContain(file);
    expect((refused as Error).message).toContain(`process ${pid}`);
    // A reader (the CLI's status, events, dead-letters) opens beside the writer and sees its events (WAL).
    const reader = open(file, { lock: false });
    expect((await reader.read()).map((event) => event.type)).toEqual(['mailbox.attempt']);
  });

  it('takes over the lock of a writer that was SIGKILLed (its pid is gone)', async () => {
    const file = await journalFile();
    const first = await holder(file, 'hold');
    first.child.kill('SIGKILL');
    await first.exited;
    expect(existsSync(`${file}.lock`)).toBe(true); // a killed process cannot clean up
    const store = open(file);
    expect(await store.streamVersion('support')).toBe(1);
    expect(JSON.parse(readFileSync(`${file}.lock`, 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('releases the lock when the process exits without closing the store', async () => {
    const file = await journalFile();
    const { exited } = await holder(file, 'exit');
    await exited;
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('releases the lock on close, and refuses a second writer in the same process', async () => {
    const file = await journalFile();
    const first = new SqliteJournalStore(file);
    expect(() => open(file)).toThrow(JournalLockedError);
    await first.close();
    expect(existsSync(`${file}.lock`)).toBe(false);
    open(file);
  });

  it('treats a lock whose pid now belongs to another process (a different start time) as stale', async () => {
    const file = await journalFile();
    // pid 1 is alive, but it did not start at this recorded time: the pid was reused, the writer is gone.
    const lock = { pid: 1, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z', procStart: '-1', nonce: 'old' };
    writeFileSync(`${file}.lock`, JSON.stringify(lock));
    open(file);
    expect(JSON.parse(readFileSync(`${file}.lock`, 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('never breaks a lock held from another host, and says which host', async () => {
    const file = await journalFile();
    const lock = {
      pid: 1,
      host: 'other-host.example',
      startedAt: '2026-01-01T00:00:00.000Z',
      procStart: null,
      nonce: 'x',
    };
    writeFileSync(`${file}.lock`, JSON.stringify(lock));
    expect(() => open(file)).toThrow(/process 1 on host other-host\.example/);
  });
});

describe('SqliteJournalStore file modes (issue 13.7)', () => {
  it.each([0o022, 0o000])('creates the journal, its -wal/-shm and the lock file 0600 under umask %o', async (umask) => {
    const file = await journalFile();
    const previous = process.umask(umask);
    try {
      const store = open(file);
      await store.append([{ type: 'mailbox.attempt', mailboxId: 'support', at: 1, attempt: 1 }]);
      for (const path of [file, `${file}-wal`, `${file}-shm`, `${file}.lock`]) {
        expect({ path, mode: mode(path).toString(8) }).toEqual({ path, mode: '600' });
      }
    } finally {
      process.umask(previous);
    }
  });
});
