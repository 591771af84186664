/**
 * Runs one bench module in a fresh process for `bench/run.ts` and sends its figures back over IPC. The module is
 * named by `BENCH_MODULE` (not by an argument, so a module that reads `process.argv` as a standalone script sees
 * none). A module without a `run()` export is a script that measures and prints on import; it is run that way,
 * and the runner is told it returned no figures.
 *
 * @module
 */
import type { BenchResult } from './lib.js';

/**
 * What the child sends the runner.
 *
 * @example
 * ```ts
 * process.send?.({ type: 'results', results: await run() } satisfies ModuleChildMessage);
 * ```
 */
export interface ModuleChildMessage {
  readonly type: 'results';
  /** The module's figures, or `null` when it has no `run()` (it printed its own). */
  readonly results: readonly BenchResult[] | null;
}

const name = process.env.BENCH_MODULE;
if (!name || !/^[\w-]+$/.test(name)) {
  console.error('module-child: set BENCH_MODULE to the name of a bench module (spawned by bench/run.ts)');
  process.exit(2);
}
const module = (await import(new URL(`./${name}.ts`, import.meta.url).href)) as {
  run?: () => Promise<BenchResult[]>;
};
const results = typeof module.run === 'function' ? await module.run() : null;
const message: ModuleChildMessage = { type: 'results', results };
// Exit once the message is out; a module may leave handles open (an unref'd timer, a lingering socket).
process.send?.(message, () => process.exit(0));
if (!process.send) {
  console.log(JSON.stringify(message, null, 2));
  process.exit(0);
}
