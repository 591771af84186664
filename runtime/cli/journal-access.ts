/**
 * Opens the journal of a configuration for the read-mostly CLI commands (status, events, dead-letters), whichever
 * store the config names (SQLite file or PostgreSQL URL). The journal is the truth; these commands show projections
 * rebuilt from it. A SQLite journal is opened without its writer lock (`run` holds that), so they work while the
 * service runs; `dead-letters retry` appends its operator event through it (see `SqliteJournalStore`). The
 * journal's modules are imported when a journal is opened, so the commands that import this module for its
 * formatting helpers stay light until then (issue 12 point 5).
 *
 * @module
 */
import { existsSync } from 'node:fs';
import type { AutopilotConfig } from '../config/load.js';
import type { Journal } from '../journal/journal.js';
import { isPostgresUrl } from '../journal/postgres/location.js';

/**
 * The configured journal, opened and rebuilt, or `undefined` when a SQLite journal does not exist yet (nothing has
 * run).
 *
 * @example
 * ```ts
 * const journal = await openConfiguredJournal(config);
 * console.log(journal?.mailboxes.all());
 * await journal?.close();
 * ```
 */
export async function openConfiguredJournal(config: AutopilotConfig): Promise<Journal | undefined> {
  if (!isPostgresUrl(config.journal) && !existsSync(config.journal)) return undefined;
  // Only the configured store's driver is loaded (better-sqlite3 or pg), and only when there is a journal to read.
  const [{ Journal }, { openJournalStore }] = await Promise.all([
    import('../journal/journal.js'),
    import('../journal/open-store.js'),
  ]);
  // No writer lock: these commands run beside a running service (WAL lets them read while it writes).
  return Journal.open(await openJournalStore(config.journal, { sqlite: { lock: false } }));
}

/**
 * A time as people read it in a terminal: local ISO without milliseconds, or `-`.
 *
 * @example
 * ```ts
 * formatTime(Date.now()); // '2026-11-29 02:10:01'
 * ```
 */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/**
 * Renders rows as an aligned text table with a header.
 *
 * @example
 * ```ts
 * table(['A', 'B'], [['1', 'two']]); // 'A  B\n1  two\n'
 * ```
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
