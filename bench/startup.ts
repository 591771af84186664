/**
 * Issue 12 point 5: how long a command takes to start, cold, as a whole process — `mail-autopilot --help`,
 * `validate` and `status` (on a journal of a few events) against a bare `node -e 0`, medians of 15 runs in turns,
 * printed as figures and ratios from the same run. Goal: well under 0.3 s each.
 *
 * `npm run bench -- startup` (needs `npm run build`).
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BenchResult, formatResults, median, progress } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/runtime/cli/bin.js');
const RUNS = 15;

function timeOnce(args: readonly string[], cwd: string): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { cwd, stdio: 'ignore', env: { ...process.env } });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`bench startup: node ${args.join(' ')} exited ${result.status}`);
  return ms;
}

/**
 * Runs the start-up bench and returns its figures.
 *
 * @example
 * ```ts
 * const rows = await run();
 * ```
 */
export async function run(): Promise<BenchResult[]> {
  if (!existsSync(CLI)) throw new Error('bench startup: run `npm run build` first (it times the built CLI)');
  const dir = mkdtempSync(join(tmpdir(), 'bench-startup-'));
  try {
    const config = join(dir, 'autopilot.yaml');
    writeFileSync(
      config,
      [
        'journal: ./journal.db',
        'mailboxes:',
        '  - id: support',
        '    server: imaps://mail.example.test',
        '    user: support@example.test',
        '    password: ${SUPPORT_PASSWORD}',
        '    smtp: { server: "smtp://mail.example.test:587" }',
        '    rules:',
        '      - name: optin',
        '        subject: { equals: "Newsletter confirmation" }',
        '        actions: [{ reply: { text: "Thanks." } }, markRead]',
      ].join('\n'),
    );
    // A journal with a few events, so `status` reads one (made by the CLI's own store, as `run` would).
    const seed = join(dir, 'seed.mjs');
    writeFileSync(
      seed,
      `import { SqliteJournalStore } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/runtime/journal/sqlite-store.js')).href)};\n` +
        "const s = new SqliteJournalStore('./journal.db');\n" +
        "await s.append([{ type: 'mailbox.attempt', mailboxId: 'support', at: Date.now(), attempt: 1 }]);\n" +
        'await s.close();\n',
    );
    timeOnce([seed], dir);
    const commands: Record<string, readonly string[]> = {
      node: ['-e', '0'],
      help: [CLI, '--help'],
      validate: [CLI, 'validate', '--config', config],
      status: [CLI, 'status', '--config', config],
    };
    const times: Record<string, number[]> = { node: [], help: [], validate: [], status: [] };
    for (let i = 0; i < RUNS; i++) {
      if (i % 5 === 0) progress('startup', `run ${i + 1}/${RUNS}`);
      for (const [name, args] of Object.entries(commands)) times[name]!.push(timeOnce(args, dir));
    }
    const base = median(times.node!);
    const row = (id: string, title: string, name: string): BenchResult => {
      const ms = median(times[name]!);
      return {
        bench: 'startup',
        id,
        title,
        unit: 'ms',
        plain: base,
        adapter: ms,
        ratio: ms / base,
        goal: { text: '< 300 ms', met: ms < 300 },
        note: `cold process, median of ${RUNS}; plain = node -e 0; runs ${times[name]!.map((t) => Math.round(t)).join(', ')}`,
      };
    };
    return [
      row('s1', 'mail-autopilot --help vs node -e 0', 'help'),
      row('s2', 'mail-autopilot validate vs node -e 0', 'validate'),
      row('s3', 'mail-autopilot status vs node -e 0', 'status'),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(formatResults(await run()));
}
