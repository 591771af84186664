/**
 * Runs one Dovecot master in the foreground as the leader of its own process group, and stops it by killing that
 * group (a SIGTERM to the master takes ~2.5 s; killing the group <0.1 s: NOTES.md).
 *
 * A small `sh` launcher keeps a pipe from this process on fd 3: when this process dies for any reason (even
 * SIGKILL, when no `exit` handler runs) the pipe reaches EOF and the launcher kills its whole group and removes
 * the run's directory, so no Dovecot outlives the test run.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { forgetProcessGroup, reapProcessGroupOnExit } from './reaper.js';

const LAUNCHER = [
  'exec 3<&0',
  '{ read -r _ <&3; rm -rf "$2"; kill -KILL 0; } >/dev/null 2>&1 &',
  'dovecot -F -c "$1" </dev/null 3<&- &',
  'd=$!',
  'wait "$d"',
  'exit $?',
].join('\n');

/** A running Dovecot master (see {@link startDovecotProcess}). */
export interface DovecotProcess {
  /** Kills the process group and waits until the launcher is gone. Idempotent. */
  stop(): Promise<void>;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves true when something accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Resolves true when a connection to the port receives a line starting with `* OK` (the IMAP greeting). */
function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buffer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      if (buffer.includes('\n')) done(buffer.startsWith('* OK'));
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
  });
}

async function logTail(logFile: string): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text.split('\n').slice(-20).join('\n');
}

/**
 * Starts `dovecot -F -c configFile` and resolves once the IMAP port serves its greeting.
 *
 * @example
 * ```ts
 * const dovecot = await startDovecotProcess({ configFile, runDir: dir, imapPort: 14300, logFile });
 * await dovecot.stop();
 * ```
 */
export async function startDovecotProcess(options: {
  readonly configFile: string;
  /** The run's directory (base_dir is its `run/`); removed by the launcher if this process dies without stopping Dovecot. */
  readonly runDir: string;
  readonly imapPort: number;
  readonly logFile: string;
  readonly readyTimeoutMs?: number;
}): Promise<DovecotProcess> {
  // A killed master leaves master.pid behind; if its pid is not reaped yet (a zombie), Dovecot refuses to start
  // with "already running". The group was killed by us, so the file is stale.
  await rm(join(options.runDir, 'run', 'master.pid'), { force: true });
  const child: ChildProcess = spawn('sh', ['-c', LAUNCHER, 'dovecot-launcher', options.configFile, options.runDir], {
    detached: true,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const pgid = child.pid;
  if (pgid === undefined) throw new Error('could not spawn the Dovecot launcher (sh)');
  reapProcessGroupOnExit(pgid);
  // The pipe must not keep this process's event loop alive, nor the launcher's stderr.
  const stdin = child.stdin as unknown as { unref?: () => void } | null;
  stdin?.unref?.();
  const stderrChunks: Buffer[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderrChunks.push(chunk));
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  child.unref();

  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });

  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      // Unref'd while running; waiting for its exit must keep this process alive.
      child.ref();
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      await exitPromise;
      forgetProcessGroup(pgid);
      // The rest of the group dies asynchronously; "stopped" means the port refuses connections.
      const until = Date.now() + 5_000;
      while ((await listening(options.imapPort)) && Date.now() < until) await delay(10);
    })();
    return stopped;
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 15_000);
  for (;;) {
    if (exited !== null) {
      const { code, signal } = exited;
      await stop();
      const stderr = Buffer.concat(stderrChunks).toString('utf8').trim();
      throw new Error(
        `dovecot exited during start (code ${code}, signal ${signal}): ${stderr}\n${await logTail(options.logFile)}`,
      );
    }
    if (await greets(options.imapPort)) return { stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`dovecot did not greet on port ${options.imapPort}\n${await logTail(options.logFile)}`);
    }
    await delay(25);
  }
}
