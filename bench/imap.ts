/**
 * IMAP bench (issue 3, item 5): the adapter against plain imapflow, measured in the same run on the harness's
 * Dovecot (loopback, IMAPS), printed as ratios.
 *
 * - (a) discovery of 10,000 messages in one folder: headers only (a1), and with every body fetched and parsed
 *   (a2). Goal: ≥ 0.9× the plain throughput.
 * - (b) latency from LMTP delivery to the message on the stream while idling, p50 and p99. Goal: ≤ 1.1×.
 * - (c) RSS of one process watching 1,000 mailboxes by IDLE, each side in a fresh child process, and every
 *   mailbox still notified. Goal: ≤ 1.5×.
 *
 * Settings (environment): `BENCH_IMAP_PARTS` (default `a,b,c`; `a1`, `a2` for half of a), `BENCH_MESSAGES`
 * (10000), `BENCH_HEADER_ROUNDS` (7), `BENCH_FULL_ROUNDS` (3), `BENCH_SAMPLES` (100, at least 50 for the goal),
 * `BENCH_MAILBOXES` (1000), `BENCH_CONNECT_CONCURRENCY` (8).
 *
 * Run: `npm run bench -- imap`, or alone: `npx tsx bench/imap.ts`.
 *
 * @module
 */
import { pathToFileURL } from 'node:url';
import { type BenchResult, formatResults } from './lib.js';
import { discoveryBench } from './support/imap-discovery.js';
import { latencyBench } from './support/imap-latency.js';
import { rssBench } from './support/imap-rss.js';

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, not ${raw}`);
  return value;
}

/**
 * Runs the parts of the IMAP bench named in `BENCH_IMAP_PARTS` (all by default) and returns their figures.
 *
 * @example
 * ```ts
 * const results = await run();
 * console.log(formatResults(results));
 * ```
 */
export async function run(): Promise<BenchResult[]> {
  const parts = new Set((process.env.BENCH_IMAP_PARTS ?? 'a,b,c').split(',').map((p) => p.trim().toLowerCase()));
  const results: BenchResult[] = [];
  const headers = parts.has('a') || parts.has('a1');
  const bodies = parts.has('a') || parts.has('a2');
  if (headers || bodies) {
    results.push(
      ...(await discoveryBench({
        messages: setting('BENCH_MESSAGES', 10_000),
        headerRounds: setting('BENCH_HEADER_ROUNDS', 7),
        fullRounds: setting('BENCH_FULL_ROUNDS', 3),
        parts: { headers, bodies },
      })),
    );
  }
  if (parts.has('b')) {
    results.push(...(await latencyBench({ samples: setting('BENCH_SAMPLES', 100), warmup: 5 })));
  }
  if (parts.has('c')) {
    results.push(
      ...(await rssBench({
        mailboxes: setting('BENCH_MAILBOXES', 1_000),
        concurrency: setting('BENCH_CONNECT_CONCURRENCY', 8),
      })),
    );
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(formatResults(await run()));
}
