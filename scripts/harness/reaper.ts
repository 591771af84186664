/**
 * Last-resort cleanup of what the harness started, for when a test run ends without calling `stop()` (a crash, an
 * uncaught error, `process.exit`): kills registered process groups and removes registered directories on the
 * process's `exit` event. (A SIGKILLed test process fires no event; the Dovecot launcher covers that case itself by
 * watching its stdin pipe, see dovecot-process.ts.)
 *
 * @module
 */
import { rmSync } from 'node:fs';

const groups = new Set<number>();
const dirs = new Set<string>();
let installed = false;

function reapAll(): void {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  groups.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', reapAll);
}

/**
 * Registers a process group (by its leader's pid) to be SIGKILLed if the process exits before
 * {@link forgetProcessGroup}.
 *
 * @example
 * ```ts
 * const child = spawn('dovecot', ['-F'], { detached: true });
 * reapProcessGroupOnExit(child.pid!);
 * ```
 */
export function reapProcessGroupOnExit(pgid: number): void {
  install();
  groups.add(pgid);
}

/**
 * Unregisters a process group that was stopped normally.
 *
 * @example
 * ```ts
 * process.kill(-pgid, 'SIGKILL');
 * forgetProcessGroup(pgid);
 * ```
 */
export function forgetProcessGroup(pgid: number): void {
  groups.delete(pgid);
}

/**
 * Registers a directory to be removed if the process exits before {@link forgetDirectory}.
 *
 * @example
 * ```ts
 * const dir = mkdtempSync(join(tmpdir(), 'mailtest-'));
 * removeDirectoryOnExit(dir);
 * ```
 */
export function removeDirectoryOnExit(dir: string): void {
  install();
  dirs.add(dir);
}

/**
 * Unregisters a directory that was removed normally.
 *
 * @example
 * ```ts
 * await rm(dir, { recursive: true, force: true });
 * forgetDirectory(dir);
 * ```
 */
export function forgetDirectory(dir: string): void {
  dirs.delete(dir);
}
