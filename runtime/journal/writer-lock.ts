/**
 * One writer per SQLite journal (issue 13.3): a lock file next to the journal (`<journal>.lock`), created with
 * O_EXCL and holding who owns it (pid, host, start time). A second writer fails at once with
 * {@link JournalLockedError}; it does not wait, because the first writer holds the journal for as long as it runs.
 *
 * Why not `acquireFileLock` (adapters/oauth2/file-lock.ts): that lock is for seconds-long critical sections — it
 * waits, queues callers in-process and breaks any lock older than `staleMs`. A journal lock is held for days, so
 * age says nothing; only a dead (or replaced) owner makes it stale. Its liveness probe is shared.
 *
 * Stale locks: on the same host, a lock whose pid is gone — or whose pid now belongs to a process started at
 * another time (a pid reused after a reboot or wrap-around; Linux `/proc/<pid>/stat` start time) — is removed and
 * taken. A lock from another host (a journal on a shared file system) is never judged: the message names the host.
 *
 * Release: on `release()` and, for a process that exits without closing its store, on the process's `exit` event.
 * A SIGKILLed writer leaves the file behind; the next writer finds its pid gone and takes over.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { processAlive } from '../../adapters/oauth2/file-lock.js';

/**
 * Who holds a journal's lock, as written in the lock file.
 *
 * @example
 * ```ts
 * const holder: JournalLockHolder = { pid: 4242, host: 'mail1', startedAt: '2026-12-06T00:15:00.000Z' };
 * ```
 */
export interface JournalLockHolder {
  readonly pid: number;
  readonly host: string;
  /** When the holding process started (ISO time), for people reading the message. */
  readonly startedAt: string;
}

interface LockFileContent extends JournalLockHolder {
  /** Linux: the process's start time in clock ticks since boot (`/proc/<pid>/stat` field 22), else null. */
  readonly procStart: string | null;
  /** Tells this holder's file from a later holder's when releasing. */
  readonly nonce: string;
}

/**
 * Another process writes this journal (code `JOURNAL_LOCKED`): the message names the journal file and the holder.
 *
 * @example
 * ```ts
 * try { new SqliteJournalStore(file); } catch (e) { if (e instanceof JournalLockedError) console.error(e.message); }
 * ```
 */
export class JournalLockedError extends Error {
  override readonly name = 'JournalLockedError';
  readonly code = 'JOURNAL_LOCKED';
  readonly retryable = false;
  constructor(
    readonly journalPath: string,
    readonly lockPath: string,
    readonly holder: JournalLockHolder | undefined,
  ) {
    const who = holder
      ? `process ${holder.pid}${holder.host === hostname() ? '' : ` on host ${holder.host}`} (started ${holder.startedAt})`
      : 'another process (its lock file is being written or unreadable)';
    super(
      `journal ${journalPath} is in use by ${who}: only one mail-autopilot may write a journal; ` +
        `stop that one first (lock file ${lockPath})`,
    );
  }
}

/**
 * A held journal lock.
 *
 * @example
 * ```ts
 * const lock = acquireJournalLock('/var/lib/mail-autopilot/autopilot.db');
 * lock.release();
 * ```
 */
export interface JournalLock {
  readonly lockPath: string;
  /** Removes the lock file if it is still this holder's. Idempotent. */
  release(): void;
}

/** Locks this process holds, released when it exits (one `exit` listener for all of them). */
const held = new Set<JournalLock>();
let exitHookInstalled = false;

function procStartOf(pid: number | 'self'): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces and parentheses: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 overall
  } catch {
    return null;
  }
}

function readLockFile(lockPath: string): { text: string; content: LockFileContent | undefined } | undefined {
  let text: string;
  try {
    text = readFileSync(lockPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const content = JSON.parse(text) as Partial<LockFileContent>;
    if (typeof content.pid === 'number' && typeof content.host === 'string' && typeof content.nonce === 'string') {
      return { text, content: content as LockFileContent };
    }
  } catch {
    // a holder between create and write, or garbage
  }
  return { text, content: undefined };
}

function isStale(content: LockFileContent): boolean {
  if (content.host !== hostname()) return false;
  if (!processAlive(content.pid)) return true;
  // Alive, but is it the same process? A recorded start time that differs means the pid was reused.
  const now = content.procStart === null ? null : procStartOf(content.pid);
  return now !== null && now !== content.procStart;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const lock of [...held]) lock.release();
  });
}

/**
 * Takes the writer lock of the journal at `journalPath` (the file `${journalPath}.lock`, mode 0600), or throws
 * {@link JournalLockedError} at once when a live process holds it. A stale lock (its process gone) is taken over.
 *
 * @example
 * ```ts
 * const lock = acquireJournalLock('./autopilot.db');
 * try { runTheService(); } finally { lock.release(); }
 * ```
 */
export function acquireJournalLock(journalPath: string): JournalLock {
  const lockPath = `${journalPath}.lock`;
  const content: LockFileContent = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    procStart: procStartOf('self'),
    nonce: randomBytes(12).toString('hex'),
  };
  const text = JSON.stringify(content);
  // Two rounds: break one stale lock, then try again; a third party taking it meanwhile wins fairly.
  for (let round = 0; round < 3; round++) {
    let fd: number;
    try {
      fd = openSync(lockPath, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const found = readLockFile(lockPath);
      if (found === undefined) continue; // released in between
      if (found.content === undefined || !isStale(found.content)) {
        throw new JournalLockedError(journalPath, lockPath, found.content);
      }
      // Only remove what was judged: if another process broke it and took it meanwhile, the text differs.
      if (readLockFile(lockPath)?.text === found.text) {
        try {
          unlinkSync(lockPath);
        } catch (unlinkError) {
          if ((unlinkError as NodeJS.ErrnoException).code !== 'ENOENT') throw unlinkError;
        }
      }
      continue;
    }
    try {
      fchmodSync(fd, 0o600); // whatever the umask
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    let released = false;
    const lock: JournalLock = {
      lockPath,
      release() {
        if (released) return;
        released = true;
        held.delete(lock);
        // Never remove a lock someone else took after judging ours stale.
        if (readLockFile(lockPath)?.content?.nonce !== content.nonce) return;
        try {
          unlinkSync(lockPath);
        } catch {
          // gone already
        }
      },
    };
    held.add(lock);
    installExitHook();
    return lock;
  }
  throw new JournalLockedError(journalPath, lockPath, readLockFile(lockPath)?.content);
}
