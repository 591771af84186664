/**
 * The reconnect pattern of SPEC S8, as data. Pure: no timers, no clock.
 *
 * @module
 */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

/**
 * The thirteen waits of SPEC S8, in milliseconds: 1 s … 32 s, then 1 min … 32 min, then 60 min (the doubling that
 * would pass 60 min is cut to 60 min).
 *
 * @example
 * ```ts
 * import { RECONNECT_SCHEDULE_MS } from 'mail-autopilot';
 * RECONNECT_SCHEDULE_MS.length; // 13
 * RECONNECT_SCHEDULE_MS[0]; // 1000
 * ```
 */
export const RECONNECT_SCHEDULE_MS: readonly number[] = Object.freeze([
  1 * SECOND,
  2 * SECOND,
  4 * SECOND,
  8 * SECOND,
  16 * SECOND,
  32 * SECOND,
  1 * MINUTE,
  2 * MINUTE,
  4 * MINUTE,
  8 * MINUTE,
  16 * MINUTE,
  32 * MINUTE,
  60 * MINUTE,
]);

/**
 * The wait between attempts in `unlimitedRetry` (SPEC S11): every 60 minutes, without limit.
 *
 * @example
 * ```ts
 * import { UNLIMITED_RETRY_INTERVAL_MS } from 'mail-autopilot';
 * UNLIMITED_RETRY_INTERVAL_MS / 60_000; // 60
 * ```
 */
export const UNLIMITED_RETRY_INTERVAL_MS = 60 * MINUTE;

/**
 * One row of the schedule as a person reads it: which attempt, how long it waits before it, and how long after the
 * first failure of the outage it starts.
 *
 * @example
 * ```ts
 * const row: ScheduleRow = { attempt: 2, waitMs: 1000, sinceFirstFailureMs: 1000 };
 * ```
 */
export interface ScheduleRow {
  /** 1-based number of the connection attempt since the mailbox started (attempt 1 is immediate). */
  readonly attempt: number;
  /** The wait before this attempt, in ms (0 for the first). */
  readonly waitMs: number;
  /** Time from the first failed attempt to the start of this attempt, in ms. */
  readonly sinceFirstFailureMs: number;
}

/**
 * The attempts a mailbox that never connects makes (SPEC S9): 14 rows, the last one after the 60-minute wait.
 *
 * @example
 * ```ts
 * const rows = scheduleTable();
 * rows.length; // 14
 * rows.at(-1)?.sinceFirstFailureMs; // 7_443_000 (2 h 4 min 3 s)
 * ```
 */
export function scheduleTable(schedule: readonly number[] = RECONNECT_SCHEDULE_MS): ScheduleRow[] {
  const rows: ScheduleRow[] = [{ attempt: 1, waitMs: 0, sinceFirstFailureMs: 0 }];
  let elapsed = 0;
  schedule.forEach((waitMs, index) => {
    elapsed += waitMs;
    rows.push({ attempt: index + 2, waitMs, sinceFirstFailureMs: elapsed });
  });
  return rows;
}

/**
 * Formats a duration as the schedule's table writes it: `1 s`, `32 s`, `1 min`, `2 h 4 min 3 s`.
 *
 * @example
 * ```ts
 * formatDuration(63_000); // '1 min 3 s'
 * formatDuration(3_600_000); // '60 min'
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0 s';
  // The spec speaks of "60 minutes"; hours are used only beyond that.
  const hours = ms > 60 * MINUTE ? Math.floor(ms / (60 * MINUTE)) : 0;
  const minutes = Math.floor((ms - hours * 60 * MINUTE) / MINUTE);
  const seconds = Math.round((ms % MINUTE) / SECOND);
  const parts: string[] = [];
  if (hours) parts.push(`${hours} h`);
  if (minutes) parts.push(`${minutes} min`);
  if (seconds) parts.push(`${seconds} s`);
  return parts.join(' ');
}

/**
 * The schedule as a Markdown table (attempt, wait before it, time since the first failure), for docs/reconnect.md.
 *
 * @example
 * ```ts
 * console.log(scheduleMarkdown());
 * ```
 */
export function scheduleMarkdown(schedule: readonly number[] = RECONNECT_SCHEDULE_MS): string {
  const rows = scheduleTable(schedule).map(
    (row) =>
      `| ${row.attempt} | ${row.waitMs === 0 ? 'none (immediate)' : formatDuration(row.waitMs)} | ${formatDuration(row.sinceFirstFailureMs)} |`,
  );
  return ['| attempt | wait before it | time since the first failure |', '|---:|---:|---:|', ...rows].join('\n');
}
