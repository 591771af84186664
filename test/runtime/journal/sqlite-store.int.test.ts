import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteJournalStore } from '../../../runtime/journal/sqlite-store.js';
import { describeJournalStoreContract } from './journal-store.contract.js';
import { describeRetentionContract } from './journal-store-retention.contract.js';

async function tempFile(): Promise<{ file: string; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'journal-'));
  return { file: join(dir, 'autopilot.db'), dispose: () => rm(dir, { recursive: true, force: true }) };
}

describeJournalStoreContract('SqliteJournalStore (file in a temp dir)', async () => {
  const { file, dispose } = await tempFile();
  return {
    store: new SqliteJournalStore(file),
    reopen: async () => new SqliteJournalStore(file),
    // A second connection beside the writer (no writer lock), as the CLI's `dead-letters retry` opens one.
    openAnother: async () => new SqliteJournalStore(file, { lock: false }),
    dispose,
  };
});

describeRetentionContract('SqliteJournalStore (file in a temp dir)', async () => {
  const { file, dispose } = await tempFile();
  return { store: new SqliteJournalStore(file), dispose };
});

describe('SqliteJournalStore specifics', () => {
  const disposers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const dispose of disposers.splice(0).reverse()) await dispose();
  });

  async function file(): Promise<string> {
    const temp = await tempFile();
    disposers.push(temp.dispose);
    return temp.file;
  }

  it('puts the file in WAL mode with synchronous=FULL by default and NORMAL on request', async () => {
    const path = await file();
    const store = new SqliteJournalStore(path);
    disposers.push(() => store.close());
    expect(store.settings()).toEqual({ journalMode: 'wal', synchronous: 'FULL' });
    const probe = new Database(path, { readonly: true });
    try {
      // WAL is a property of the file: every later connection (other processes too) uses it.
      expect(probe.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      probe.close();
    }
    const normal = new SqliteJournalStore(path, { synchronous: 'NORMAL', lock: false });
    disposers.push(() => normal.close());
    expect(normal.settings()).toEqual({ journalMode: 'wal', synchronous: 'NORMAL' });
  });

  it('refuses a journal written by a newer schema instead of misreading it', async () => {
    const path = await file();
    await new SqliteJournalStore(path).close();
    const db = new Database(path);
    db.prepare("UPDATE journal_meta SET value = '99' WHERE name = 'schema_version'").run();
    db.close();
    expect(() => new SqliteJournalStore(path)).toThrow(/schema version 99/);
  });

  it.each(['FULL', 'NORMAL'])(
    'loses no acknowledged append when the writer is SIGKILLed (synchronous=%s)',
    async (mode) => {
      const path = await file();
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, 'fixtures/append-and-ack.ts'), path, mode],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let acknowledged = 0;
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('exit', (_code, signal) => resolve(signal)),
      );
      await new Promise<void>((resolve, reject) => {
        let buffered = '';
        child.stdout.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop()!;
          for (const line of lines) acknowledged = Math.max(acknowledged, Number(line));
          // Kill it mid-stream, while it is appending as fast as it can.
          if (acknowledged >= 200) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.on('exit', () => reject(new Error(`writer exited early: ${stderr}`)));
      });
      expect(await exited).toBe('SIGKILL');

      const store = new SqliteJournalStore(path);
      disposers.push(() => store.close());
      const attempts = (await store.read()).map((e) => (e.type === 'mailbox.attempt' ? e.attempt : -1));
      // Every acknowledged append is there, in order, without gaps (appends after the last ack may be there too).
      expect(attempts.length).toBeGreaterThanOrEqual(acknowledged);
      expect(attempts.slice(0, acknowledged)).toEqual(Array.from({ length: acknowledged }, (_, i) => i + 1));
      expect(await store.streamVersion('support')).toBe(attempts.length);
    },
  );
});
