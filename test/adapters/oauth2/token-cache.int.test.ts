/**
 * The shared token cache file (issue 7, item 3): concurrent writers in separate processes lose nothing, a lock left
 * by a dead process is broken, a live one is waited for, a damaged file does not block sign-in, and every write
 * leaves a 0600 file and no temporary files.
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acquireFileLock,
  createOAuth2Broker,
  FileLockTimeoutError,
  lockPathOf,
  writeFileAtomic,
} from '../../../adapters/oauth2/index.js';
import { acquireInChildProcess, type OAuth2Fixture, runFixture, startOAuth2Fixture } from './helpers.js';

const USERS = ['alice@example.test', 'bob@example.test'];

let fx: OAuth2Fixture;

beforeAll(async () => {
  fx = await startOAuth2Fixture(USERS);
});
afterAll(() => fx?.close());

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid ?? 999_999;
}

describe('the lock file', () => {
  it('serializes read-modify-write across processes: 2 processes × 15 increments = 30', async () => {
    const counter = join(fx.dir, 'counter', 'value');
    await mkdir(dirname(counter), { recursive: true });
    await writeFile(counter, '0');
    await Promise.all([1, 2].map(() => runFixture('lock-counter', { COUNTER_FILE: counter, ROUNDS: '15' })));
    expect(await readFile(counter, 'utf8')).toBe('30');
    expect(await readdir(dirname(counter))).toEqual(['value']);
  });

  it('breaks a lock whose owner process is gone', async () => {
    const lock = join(fx.dir, 'dead-owner.lock');
    await writeFile(lock, JSON.stringify({ pid: deadPid(), host: hostname(), nonce: 'left-by-a-crash' }));
    const release = await acquireFileLock(lock, { timeoutMs: 2_000 });
    expect(JSON.parse(await readFile(lock, 'utf8'))).toMatchObject({ pid: process.pid });
    await release();
    await expect(stat(lock)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('breaks a lock older than staleMs even when it names a live process (another host)', async () => {
    const lock = join(fx.dir, 'old.lock');
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: 'elsewhere.example', nonce: 'old' }));
    const past = new Date(Date.now() - 60_000);
    await utimes(lock, past, past);
    const release = await acquireFileLock(lock, { timeoutMs: 2_000, staleMs: 30_000 });
    await release();
  });

  it('waits for a live holder and gives up with FileLockTimeoutError', async () => {
    const lock = join(fx.dir, 'live.lock');
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), nonce: 'someone-else' }));
    await expect(acquireFileLock(lock, { timeoutMs: 150 })).rejects.toBeInstanceOf(FileLockTimeoutError);
    // Never removes what it does not own.
    expect(JSON.parse(await readFile(lock, 'utf8'))).toMatchObject({ nonce: 'someone-else' });
  });

  it('queues callers of one process in order', async () => {
    const lock = join(fx.dir, 'queue.lock');
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3].map(async (n) => {
        const release = await acquireFileLock(lock);
        order.push(n);
        await release();
      }),
    );
    expect(order).toEqual([1, 2, 3]);
  });
  it('a caller of the same process waiting behind a holder gives up at its deadline too', async () => {
    const lock = join(fx.dir, 'held.lock');
    const release = await acquireFileLock(lock);
    await expect(acquireFileLock(lock, { timeoutMs: 100 })).rejects.toBeInstanceOf(FileLockTimeoutError);
    await release();
    const again = await acquireFileLock(lock, { timeoutMs: 1_000 });
    await again();
  });
});

describe('the cache file', () => {
  it('keeps every account when processes refresh tokens at the same time (no lost update)', async () => {
    const cache = fx.cachePath('concurrent');
    const broker = createOAuth2Broker({ tokenCache: cache, networkClient: fx.idp.networkClient() });
    const mailboxes = USERS.map((user, i) => fx.mailbox(`box${i}`, user));
    for (const [i, mailbox] of mailboxes.entries()) {
      await broker.login({ mailboxes: [mailbox], protocols: ['imap'], onDeviceCode: fx.approveAs(USERS[i]!) });
    }

    const children = await Promise.all(
      mailboxes.map((mailbox) => acquireInChildProcess(fx, cache, mailbox, 'imap', { forceRefresh: true })),
    );

    expect(children.map((c) => [c.ok, c.fromCache])).toEqual([
      [true, false],
      [true, false],
    ]);
    // Each process's new token is what the cache now holds for its account.
    const reader = createOAuth2Broker({ tokenCache: cache, networkClient: fx.idp.networkClient() });
    for (const [i, mailbox] of mailboxes.entries()) {
      const cached = await reader.acquireToken(mailbox, 'imap');
      expect(cached.fromCache).toBe(true);
      expect(cached.accessToken).toBe(children[i]?.accessToken);
    }
    expect((await stat(cache)).mode & 0o777).toBe(0o600);
    expect(await readdir(dirname(cache))).toEqual(['tokens.json']);
  });

  it('a damaged cache file does not block sign-in; the next write replaces it (0600)', async () => {
    const cache = fx.cachePath('damaged');
    await mkdir(dirname(cache), { recursive: true });
    await writeFile(cache, '{"Account": {', { mode: 0o644 });
    const broker = createOAuth2Broker({ tokenCache: cache, networkClient: fx.idp.networkClient() });
    const results = await broker.login({
      mailboxes: [fx.mailbox('d', USERS[0]!)],
      protocols: ['smtp'],
      onDeviceCode: fx.approveAs(USERS[0]!),
    });
    expect(results).toMatchObject([{ outcome: 'signedIn' }]);
    expect(() => JSON.parse(String(Buffer.from('')))).toThrow();
    const text = await readFile(cache, 'utf8');
    expect(JSON.parse(text)).toHaveProperty('RefreshToken');
    expect((await stat(cache)).mode & 0o777).toBe(0o600);
    expect(await readdir(dirname(cache))).toEqual(['tokens.json']);
  });

  it('writeFileAtomic replaces a world-readable file with a 0600 one and leaves no temporary file', async () => {
    const file = join(fx.dir, 'atomic', 'file.json');
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, 'old');
    await chmod(file, 0o644);
    await writeFileAtomic(file, '{"new":true}');
    expect(await readFile(file, 'utf8')).toBe('{"new":true}');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dirname(file))).toEqual(['file.json']);
    expect(lockPathOf(file)).toBe(`${file}.lock`);
  });
});
