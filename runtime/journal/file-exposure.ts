/**
 * Issue 13.7: a journal holds every subject, sender and dead-letter reason. A journal file this program creates is
 * 0600; one that already exists with wider modes (made by an older version, copied, or chmod-ed) is reported at
 * start rather than silently changed — the operator may share it on purpose with a group.
 *
 * @module
 */
import { statSync } from 'node:fs';

/**
 * A journal file that group or others may access.
 *
 * @example
 * ```ts
 * const exposed: ExposedFile = { path: '/var/lib/mail-autopilot/autopilot.db', mode: '0644' };
 * ```
 */
export interface ExposedFile {
  readonly path: string;
  /** Octal, e.g. `'0644'`. */
  readonly mode: string;
}

/**
 * The SQLite journal's files (the database, its -wal and -shm) that exist and give group or others any access.
 *
 * @example
 * ```ts
 * for (const file of exposedJournalFiles(config.journal)) logger.warn(file, `journal ${file.path} is ${file.mode}`);
 * ```
 */
export function exposedJournalFiles(journalPath: string): ExposedFile[] {
  const exposed: ExposedFile[] = [];
  for (const path of [journalPath, `${journalPath}-wal`, `${journalPath}-shm`]) {
    let mode: number;
    try {
      mode = statSync(path).mode & 0o777;
    } catch {
      continue; // not there (yet)
    }
    if ((mode & 0o077) !== 0) exposed.push({ path, mode: `0${mode.toString(8)}` });
  }
  return exposed;
}
