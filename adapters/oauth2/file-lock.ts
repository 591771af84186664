/**
 * A lock file shared by processes (no native dependencies): created with O_EXCL, holding who owns it; a lock whose
 * owner died (same host, no such pid) or that is older than `staleMs` is broken. Within one process, waiters queue
 * on a promise instead of polling the file.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';

/**
 * Options of {@link acquireFileLock}.
 *
 * @example
 * ```ts
 * const options: FileLockOptions = { timeoutMs: 10_000, staleMs: 30_000 };
 * ```
 */
export interface FileLockOptions {
  /** Give up waiting after this long. Default 10 s. */
  readonly timeoutMs?: number;
  /** A lock older than this is taken to be left over by a crash, whoever holds it. Default 30 s. */
  readonly staleMs?: number;
}

/**
 * The lock could not be taken in time (another writer holds it and is alive).
 *
 * @example
 * ```ts
 * try { await acquireFileLock(path); } catch (e) { if (e instanceof FileLockTimeoutError) retryLater(); }
 * ```
 */
export class FileLockTimeoutError extends Error {
  override readonly name = 'FileLockTimeoutError';
  readonly code = 'ELOCKED';
  constructor(readonly lockPath: string) {
    super(`lock ${lockPath} is held by another process`);
  }
}

interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly nonce: string;
}

const inProcess = new Map<string, Promise<void>>();

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Whether a process with this pid exists on this host (shared with the journal's writer lock).
 *
 * @example
 * ```ts
 * if (!processAlive(owner.pid)) breakTheLock();
 * ```
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    if (typeof owner.pid === 'number' && typeof owner.host === 'string' && typeof owner.nonce === 'string') {
      return owner as LockOwner;
    }
  } catch {
    // a writer between create and write, or garbage: judged by age alone
  }
  return undefined;
}

/** Breaks the lock if it is stale; true when it was broken (or vanished) and taking it may be tried again. */
async function breakIfStale(lockPath: string, staleMs: number): Promise<boolean> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, { mtimeMs }] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
  const owner = parseOwner(text);
  const deadOwner = owner !== undefined && owner.host === hostname() && !processAlive(owner.pid);
  const tooOld = Date.now() - mtimeMs > staleMs;
  if (!deadOwner && !tooOld) return false;
  // Only remove what was judged: if another process broke it and took it meanwhile, its content differs.
  const again = await readFile(lockPath, 'utf8').catch(() => undefined);
  if (again !== text) return again === undefined;
  await unlink(lockPath).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  return true;
}

async function takeFileLock(lockPath: string, options: FileLockOptions): Promise<() => Promise<void>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 30_000;
  const owner: LockOwner = { pid: process.pid, host: hostname(), nonce: randomBytes(12).toString('hex') };
  const deadline = Date.now() + timeoutMs;
  let wait = 5;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(owner));
      } finally {
        await handle.close();
      }
      return async () => {
        // Never remove a lock someone else took after judging ours stale.
        const current = parseOwner(await readFile(lockPath, 'utf8').catch(() => ''));
        if (current?.nonce === owner.nonce) await unlink(lockPath).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await breakIfStale(lockPath, staleMs)) continue;
    if (Date.now() >= deadline) throw new FileLockTimeoutError(lockPath);
    await delay(Math.min(wait, Math.max(1, deadline - Date.now())));
    wait = Math.min(wait * 2, 100);
  }
}

/**
 * Takes the lock at `lockPath`; resolves to the function that releases it. Callers in this process queue; other
 * processes are seen through the file.
 *
 * @example
 * ```ts
 * const release = await acquireFileLock('/var/lib/mail-autopilot/tokens.json.lock');
 * try { await rewriteTheFile(); } finally { await release(); }
 * ```
 */
export async function acquireFileLock(lockPath: string, options: FileLockOptions = {}): Promise<() => Promise<void>> {
  const previous = inProcess.get(lockPath) ?? Promise.resolve();
  let releaseQueue!: () => void;
  const turn = new Promise<void>((resolve) => {
    releaseQueue = resolve;
  });
  const chained = previous.then(() => turn);
  inProcess.set(lockPath, chained);
  const cleanup = () => {
    releaseQueue();
    if (inProcess.get(lockPath) === chained) inProcess.delete(lockPath);
  };
  const timeoutMs = options.timeoutMs ?? 10_000;
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  let releaseFile: () => Promise<void>;
  try {
    // The wait for this process's earlier holders counts against the same deadline as the file.
    await Promise.race([
      previous,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new FileLockTimeoutError(lockPath)), timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    releaseFile = await takeFileLock(lockPath, {
      ...options,
      timeoutMs: Math.max(0, timeoutMs - (Date.now() - started)),
    });
  } catch (error) {
    clearTimeout(timer);
    cleanup();
    throw error;
  }
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    try {
      await releaseFile();
    } finally {
      cleanup();
    }
  };
}
