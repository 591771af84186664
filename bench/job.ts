/**
 * Issue 12, the whole job as a new user would run it: one Dovecot (IMAPS, private CA) with 10,000 messages in INBOX,
 * 1,000 with "invoice" in the subject (~1.7 KB each); the job "mark the invoices read". Each side is a whole process,
 * its start counted, side by side in one run, medians of 5, the \Seen flags reset between runs:
 *
 * - `mail-autopilot run --once` (the built CLI, a fresh journal each run; the rules ask the server first);
 * - a 12-line imapflow script (bench/support/plain-job.mjs: fetch envelopes, one UID STORE for the hits);
 * - imapfilter 2.8 from Debian's packages, client-side regex (`match_subject`) and server-side SEARCH
 *   (`contain_subject`), `-t CA`; skipped with a line when imapfilter is not installed.
 *
 * `BENCH_JOB_LARGE=1` adds the first pass over 100,000 messages (10,000 matching): time and the autopilot process's
 * peak RSS (its own `process.resourceUsage().maxRSS`, reported at exit).
 *
 * `npm run bench -- job` (needs `npm run build`).
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ImapFlow } from 'imapflow';
import { type MailServers, startMailServers } from '../scripts/harness/mail-servers.js';
import { atMost, type BenchResult, formatResults, median, progress } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/runtime/cli/bin.js');
const PLAIN = join(ROOT, 'bench/support/plain-job.mjs');
const ROUNDS = 5;
const MAX_RSS_HOOK = `data:text/javascript,process.on('exit',()=>process.stderr.write('MAXRSS '+process.resourceUsage().maxRSS+'\\n'))`;

interface Outcome {
  readonly ms: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
}

function runProcess(program: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(program, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10 * 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - started, stdout, stderr, code });
    });
  });
}

function corpus(total: number, every: number) {
  const filler = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(24);
  return Array.from({ length: total }, (_, i) => ({
    subject: i % every === 0 ? `Your invoice ${i} from Example Shop` : `Newsletter ${i}: this week at Example`,
    from: i % every === 0 ? 'billing@shop.example.test' : 'news@example.test',
    text: `${filler}\n${i}\n`,
    messageId: `<job-${i}@example.test>`,
  }));
}

async function resetSeen(servers: MailServers, user: string): Promise<number> {
  const account = servers.user(user);
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: servers.ports.imaps,
    secure: true,
    auth: { user: account.user, pass: account.password },
    tls: { ca: [readFileSync(servers.caFile)] },
    logger: false,
  });
  await client.connect();
  await client.mailboxOpen('INBOX');
  const seen = await client.search({ seen: true }, { uid: true });
  const count = Array.isArray(seen) ? seen.length : 0;
  await client.messageFlagsRemove('1:*', ['\\Seen'], { uid: true });
  await client.logout();
  return count;
}

function writeAutopilotConfig(dir: string, servers: MailServers, user: string): string {
  const account = servers.user(user);
  const file = join(dir, 'autopilot.yaml');
  writeFileSync(
    file,
    [
      'journal: ./journal.db',
      'mailboxes:',
      `  - id: ${user}`,
      `    server: imaps://127.0.0.1:${servers.ports.imaps}`,
      `    user: ${account.user}`,
      `    password: ${account.password}`,
      `    tlsCa: ${servers.caFile}`,
      '    rules:',
      '      - name: invoices',
      '        subject: { contains: invoice }',
      '        actions: [markRead]',
    ].join('\n'),
  );
  return file;
}

function writeImapfilterConfig(dir: string, servers: MailServers, user: string, search: boolean): string {
  const account = servers.user(user);
  const file = join(dir, search ? 'search.lua' : 'regex.lua');
  writeFileSync(
    file,
    [
      'options.timeout = 60',
      'options.info = false',
      `account = IMAP { server = '127.0.0.1', port = ${servers.ports.imaps}, username = '${account.user}', password = '${account.password}', ssl = 'auto' }`,
      search
        ? "results = account.INBOX:contain_subject('invoice')"
        : "results = account.INBOX:match_subject('invoice')",
      'results:mark_seen()',
    ].join('\n'),
  );
  return file;
}

/**
 * Runs the whole-job bench and returns its figures.
 *
 * @example
 * ```ts
 * const rows = await run();
 * ```
 */
export async function run(): Promise<BenchResult[]> {
  if (!existsSync(CLI)) throw new Error('bench job: run `npm run build` first (it runs the built CLI)');
  const large = process.env.BENCH_JOB_LARGE === '1';
  const servers = await startMailServers({ users: large ? ['job', 'large'] : ['job'], smtp: false });
  const dir = mkdtempSync(join(tmpdir(), 'bench-job-'));
  const home = mkdtempSync(join(tmpdir(), 'bench-job-home-'));
  const env = { ...process.env, HOME: home };
  try {
    progress('job', 'filling 10,000 messages (1,000 invoices)');
    await servers.fill(servers.user('job').user, corpus(10_000, 10));
    const config = writeAutopilotConfig(dir, servers, 'job');
    const account = servers.user('job');
    const hasImapfilter = existsSync('/usr/bin/imapfilter');
    if (!hasImapfilter)
      progress('job', 'imapfilter is not installed (apt-get install imapfilter): its figures are skipped');
    const sides: Record<string, number[]> = { autopilot: [], plain: [], regex: [], search: [] };
    const check = async (side: string, outcome: Outcome) => {
      const marked = await resetSeen(servers, 'job');
      if (outcome.code !== 0 || marked !== 1_000) {
        throw new Error(
          `bench job: ${side} exited ${outcome.code} and marked ${marked} of 1000: ${outcome.stderr.slice(-500)}`,
        );
      }
      sides[side]!.push(outcome.ms);
    };
    await resetSeen(servers, 'job');
    for (let round = 0; round < ROUNDS; round++) {
      progress('job', `round ${round + 1}/${ROUNDS}`);
      rmSync(join(dir, 'journal.db'), { force: true });
      rmSync(join(dir, 'journal.db-wal'), { force: true });
      rmSync(join(dir, 'journal.db-shm'), { force: true });
      await check(
        'autopilot',
        await runProcess(process.execPath, [CLI, 'run', '--config', config, '--once'], env, dir),
      );
      await check(
        'plain',
        await runProcess(
          process.execPath,
          [PLAIN, String(servers.ports.imaps), account.user, account.password, servers.caFile],
          env,
          dir,
        ),
      );
      if (hasImapfilter) {
        for (const search of [false, true]) {
          const lua = writeImapfilterConfig(dir, servers, 'job', search);
          await check(
            search ? 'search' : 'regex',
            await runProcess('/usr/bin/imapfilter', ['-c', lua, '-t', servers.caFile], env, dir),
          );
        }
      }
    }
    const autopilot = median(sides.autopilot!);
    const note = (side: string) =>
      `ms per run ${sides[side]!.map((ms) => Math.round(ms)).join(', ')}; median of ${ROUNDS}`;
    const results: BenchResult[] = [
      {
        bench: 'job',
        id: 'j1',
        title: 'mark 1,000 of 10,000 read: run --once vs a plain imapflow script',
        unit: 'ms',
        plain: median(sides.plain!),
        adapter: autopilot,
        ratio: autopilot / median(sides.plain!),
        goal: atMost(autopilot / median(sides.plain!), 1.0),
        note: `whole processes over IMAPS; autopilot ${note('autopilot')}; plain ${note('plain')}`,
      },
    ];
    if (hasImapfilter) {
      results.push(
        {
          bench: 'job',
          id: 'j2',
          title: 'the same vs imapfilter 2.8, client-side regex (match_subject)',
          unit: 'ms',
          plain: median(sides.regex!),
          adapter: autopilot,
          ratio: autopilot / median(sides.regex!),
          note: note('regex'),
        },
        {
          bench: 'job',
          id: 'j3',
          title: 'the same vs imapfilter 2.8, server-side SEARCH (contain_subject)',
          unit: 'ms',
          plain: median(sides.search!),
          adapter: autopilot,
          ratio: autopilot / median(sides.search!),
          goal: atMost(autopilot / median(sides.search!), 1.5),
          note: note('search'),
        },
      );
    }
    if (large) results.push(await largeFirstPass(servers, dir, env));
    return results;
  } finally {
    await servers.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

/** The first pass over 100,000 messages: time and peak RSS of the autopilot process. */
async function largeFirstPass(servers: MailServers, dir: string, env: NodeJS.ProcessEnv): Promise<BenchResult> {
  progress('job', 'filling 100,000 messages (10,000 invoices)');
  await servers.fill(servers.user('large').user, corpus(100_000, 10));
  const config = writeAutopilotConfig(mkdtempSync(join(dir, 'large-')), servers, 'large');
  const outcome = await runProcess(
    process.execPath,
    ['--import', MAX_RSS_HOOK, CLI, 'run', '--config', config, '--once'],
    env,
    dir,
  );
  if (outcome.code !== 0)
    throw new Error(`bench job: the 100,000-message pass exited ${outcome.code}: ${outcome.stderr.slice(-500)}`);
  const maxRssKb = Number(/MAXRSS (\d+)/.exec(outcome.stderr)?.[1] ?? Number.NaN);
  return {
    bench: 'job',
    id: 'j4',
    title: 'first pass over 100,000 messages (10,000 marked read): peak RSS',
    unit: 'MB',
    plain: Number.NaN,
    adapter: maxRssKb / 1024,
    ratio: Number.NaN,
    note: `${Math.round(outcome.ms)} ms for the whole process; peak RSS ${Math.round(maxRssKb / 1024)} MB`,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(formatResults(await run()));
}
