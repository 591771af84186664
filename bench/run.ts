/**
 * `npm run bench [-- name …]`: runs every bench module of `bench/` (or the ones named: `npm run bench -- imap`),
 * each in a fresh child process, then prints one table of figures and ratios and writes the whole as JSON to a
 * temporary file (printed at the end).
 *
 * A bench module is a file `bench/<name>.ts` other than `run.ts`, `lib.ts` and `*-child.ts`; it exports
 * `run(): Promise<BenchResult[]>` (see `bench/lib.ts`), or is a script that prints its own figures on import.
 * Benchmarks are scripts, not tests: goals that are missed are printed as MISSED and do not fail the run; a
 * module that crashes does (exit code 1).
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchResult, formatResults } from './lib.js';
import type { ModuleChildMessage } from './module-child.js';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const NOT_MODULES = new Set(['run', 'lib', 'module-child']);
/** A module that has not finished by then is killed (each bench bounds its own waits well below this). */
const MODULE_TIMEOUT_MS = 30 * 60_000;

interface ModuleOutcome {
  readonly name: string;
  readonly ok: boolean;
  readonly exitCode: number | null;
  readonly seconds: number;
  readonly results: readonly BenchResult[] | null;
  readonly problem?: string;
}

/**
 * A ratio for the closing line. Results come from the module's child over IPC as JSON, where a NaN or infinite
 * ratio (a baseline of 0) arrives as `null`: that is printed, never dereferenced.
 */
function ratioText(ratio: number | null): string {
  return typeof ratio === 'number' && Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'no ratio';
}

function discoverModules(): string[] {
  return readdirSync(BENCH_DIR)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => file.slice(0, -'.ts'.length))
    .filter((name) => !NOT_MODULES.has(name) && !name.endsWith('-child'))
    .sort();
}

function runModule(name: string): Promise<ModuleOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', join(BENCH_DIR, 'module-child.ts')], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, BENCH_MODULE: name },
    });
    let results: readonly BenchResult[] | null | undefined;
    child.on('message', (message: ModuleChildMessage) => {
      if (message.type === 'results') results = message.results;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), MODULE_TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      const ok = code === 0 && results !== undefined;
      const problem = ok
        ? undefined
        : signal
          ? `killed by ${signal}${signal === 'SIGKILL' ? ` (over ${MODULE_TIMEOUT_MS / 60_000} min?)` : ''}`
          : `exited with code ${code}${results === undefined ? ' before returning figures' : ''}`;
      resolve({ name, ok, exitCode: code, seconds, results: results ?? null, ...(problem ? { problem } : {}) });
    });
  });
}

function machineNote() {
  const cpu = cpus();
  return {
    host: hostname(),
    cpus: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 1e9),
    node: process.version,
    loadavg: loadavg().map((l) => Number(l.toFixed(2))),
  };
}

async function main(): Promise<number> {
  const available = discoverModules();
  const asked = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const unknown = asked.filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    console.error(`unknown bench module(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
    return 2;
  }
  const names = asked.length > 0 ? asked : available;
  const startNote = machineNote();
  const date = new Date().toISOString();
  console.log(
    `mail-autopilot bench ${date}: ${names.join(', ')} on ${startNote.cpus} × ${startNote.cpuModel}, ` +
      `${startNote.memoryGb} GB, Node ${startNote.node}, load average ${startNote.loadavg.join(' ')}`,
  );

  const outcomes: ModuleOutcome[] = [];
  for (const name of names) {
    console.log(`\n=== ${name} ===`);
    const outcome = await runModule(name);
    outcomes.push(outcome);
    console.log(
      `=== ${name}: ${outcome.ok ? 'done' : `FAILED (${outcome.problem})`} in ${outcome.seconds.toFixed(0)} s ===`,
    );
  }

  const results = outcomes.flatMap((o) => o.results ?? []);
  const endNote = machineNote();
  console.log(`\n=== figures (load average at the end ${endNote.loadavg.join(' ')}) ===`);
  if (results.length > 0) console.log(formatResults(results));
  for (const o of outcomes) {
    if (o.ok && o.results === null) console.log(`${o.name}: no run() export; its own figures are printed above`);
    if (!o.ok) console.log(`${o.name}: FAILED (${o.problem}); see its output above`);
  }
  const missed = results.filter((r) => r.goal && !r.goal.met);
  console.log(
    missed.length === 0
      ? 'every goal met'
      : `goals MISSED: ${missed.map((r) => `${r.bench} ${r.id} (${ratioText(r.ratio)}, goal ${r.goal!.text})`).join('; ')}`,
  );
  const file = join(tmpdir(), `mail-autopilot-bench-${date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ date, machine: { start: startNote, end: endNote }, modules: outcomes, results }, null, 2)}\n`,
  );
  console.log(`results written to ${file}`);
  return outcomes.every((o) => o.ok) ? 0 : 1;
}

process.exitCode = await main();
