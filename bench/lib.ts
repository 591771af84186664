/**
 * Shared helpers of the benches (`npm run bench`): what a bench module returns, timing, medians and percentiles,
 * RSS sampling, bounded concurrency, and the table the runner prints. The machine is shared and noisy, so every
 * figure is compared as a ratio to a plain baseline measured in the same run, over repeats.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A goal and whether this run met it. The bench decides (`met`); the runner only prints it.
 *
 * @example
 * ```ts
 * const goal: BenchGoal = { text: '≥ 0.90×', met: ratio >= 0.9 };
 * ```
 */
export interface BenchGoal {
  readonly text: string;
  readonly met: boolean;
}

/**
 * One figure of a bench: the adapter's value against the plain library's, measured in the same run.
 *
 * @example
 * ```ts
 * const row: BenchResult = {
 *   bench: 'imap', id: 'a1', title: 'discovery, headers only', unit: 'msg/s',
 *   plain: 14000, adapter: 13100, ratio: 13100 / 14000, goal: atLeast(13100 / 14000, 0.9),
 * };
 * ```
 */
export interface BenchResult {
  /** The bench module (`imap`, `pop3`, …). */
  readonly bench: string;
  /** Short id, the letter: `a1`, `b-p50`, `c`. */
  readonly id: string;
  readonly title: string;
  /** Unit of `plain` and `adapter` (`msg/s`, `ms`, `MB`, `mailboxes`). */
  readonly unit: string;
  readonly plain: number;
  readonly adapter: number;
  /** `adapter / plain`. */
  readonly ratio: number;
  readonly goal?: BenchGoal;
  /** How it was measured (rounds, samples), or what went wrong. */
  readonly note?: string;
}

/**
 * What a bench module exports: `run()` measures and returns its figures (it may print progress on the way).
 *
 * @example
 * ```ts
 * export const run: BenchModule['run'] = async () => [row];
 * ```
 */
export interface BenchModule {
  run(): Promise<BenchResult[]>;
}

/**
 * A goal met when the ratio is at least `min` (throughput: higher is better).
 *
 * @example
 * ```ts
 * atLeast(0.93, 0.9); // { text: '≥ 0.90×', met: true }
 * ```
 */
export function atLeast(ratio: number, min: number): BenchGoal {
  return { text: `≥ ${min.toFixed(2)}×`, met: Number.isFinite(ratio) && ratio >= min };
}

/**
 * A goal met when the ratio is at most `max` (latency, memory: lower is better).
 *
 * @example
 * ```ts
 * atMost(1.04, 1.1); // { text: '≤ 1.10×', met: true }
 * ```
 */
export function atMost(ratio: number, max: number): BenchGoal {
  return { text: `≤ ${max.toFixed(2)}×`, met: Number.isFinite(ratio) && ratio <= max };
}

/**
 * Milliseconds taken by `task`.
 *
 * @example
 * ```ts
 * const ms = await timed(() => client.fetchAll('1:*', { uid: true }));
 * ```
 */
export async function timed(task: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await task();
  return performance.now() - start;
}

/**
 * The median (mean of the middle two for an even count). NaN for no values.
 *
 * @example
 * ```ts
 * median([3, 1, 2, 10]); // 2.5
 * ```
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The nearest-rank percentile (`p` in 0..100): the smallest value with at least p % of the values at or below it.
 * With 100 values, p99 is the 99th smallest; with 60, it is the largest.
 *
 * @example
 * ```ts
 * percentile([5, 1, 4, 2, 3], 50); // 3
 * ```
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

/**
 * Messages per second for `count` messages in `ms` milliseconds.
 *
 * @example
 * ```ts
 * perSecond(10_000, 500); // 20000
 * ```
 */
export function perSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : Number.NaN;
}

/**
 * The process's RSS in MB: the median of `samples` readings `intervalMs` apart, each after a full GC when the
 * process runs with `--expose-gc` (so garbage waiting for collection does not count).
 *
 * @example
 * ```ts
 * const rssMb = await sampleRss(5, 500);
 * ```
 */
export async function sampleRss(samples = 5, intervalMs = 500): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const readings: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    if (i > 0) await sleep(intervalMs);
    gc?.();
    gc?.();
    readings.push(process.memoryUsage.rss() / 1e6);
  }
  return median(readings);
}

/**
 * Runs `task` on every item with at most `limit` running at a time; resolves with the results in item order.
 * A rejection rejects the whole (the others still finish their current item).
 *
 * @example
 * ```ts
 * await mapLimit(users, 8, (user) => servers.deliver(user.user, { subject: 'hi' }));
 * ```
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/**
 * Polls `condition` every `everyMs` until it holds; rejects with `what` after `timeoutMs`.
 *
 * @example
 * ```ts
 * await until(() => seen.size === 1000, 60_000, 'every mailbox notified');
 * ```
 */
export async function until(condition: () => boolean, timeoutMs: number, what: string, everyMs = 20): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(everyMs);
  }
}

/**
 * A number for a table: thousands separated, with `digits` decimals.
 *
 * @example
 * ```ts
 * formatNumber(14235.4); // '14,235'
 * ```
 */
export function formatNumber(value: number, digits = 0): string {
  // A NaN that came over IPC as JSON is `null` here.
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function digitsFor(unit: string, value: number): number {
  if (unit === 'ms') return value < 100 ? 1 : 0;
  if (unit === 'MB' || unit === 'KB') return 1;
  return 0;
}

/**
 * The runner's table: one line per figure, with the adapter/plain ratio, the goal and a plain verdict
 * (`met`, `MISSED`, or blank when the figure has no goal).
 *
 * @example
 * ```ts
 * console.log(formatResults(results));
 * ```
 */
export function formatResults(results: readonly BenchResult[]): string {
  const header = ['bench', 'id', 'figure', 'unit', 'plain', 'adapter', 'ratio', 'goal', 'verdict'];
  const rows = results.map((r) => [
    r.bench,
    r.id,
    r.title,
    r.unit,
    formatNumber(r.plain, digitsFor(r.unit, r.plain)),
    formatNumber(r.adapter, digitsFor(r.unit, r.adapter)),
    Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}×` : '—',
    r.goal?.text ?? '',
    r.goal ? (r.goal.met ? 'met' : 'MISSED') : '',
  ]);
  const numeric = new Set([4, 5, 6]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  const notes = results.filter((r) => r.note).map((r) => `  ${r.bench} ${r.id}: ${r.note}`);
  if (notes.length > 0) out.push('', 'notes:', ...notes);
  return out.join('\n');
}

/**
 * Prints a progress line of a bench (stderr, so the figures on stdout stay readable when piped).
 *
 * @example
 * ```ts
 * progress('imap', 'filling 10,000 messages');
 * ```
 */
export function progress(bench: string, text: string): void {
  process.stderr.write(`[${bench} ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}
