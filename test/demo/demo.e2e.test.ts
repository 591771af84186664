/**
 * `npm run demo` as a newcomer runs it (issue 6, item 7): the demo script in its own process, with the real Dovecot
 * and SMTP server of the harness. It must handle the four demo mails as docs/demo.md describes (the bounce through
 * its handler, the confirmation answered, the web form turned into a ticket and answered, the auto-reply NOT
 * answered), say where to look, stop every server, and exit 0. `--keep` stays up until Ctrl-C.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../runtime/cli/main.js';
import { REPO_ROOT } from '../support/cli.js';

const workDirs: string[] = [];
afterAll(() => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

interface DemoRun {
  readonly child: ChildProcess;
  readonly output: { stdout: string; stderr: string };
  readonly exited: Promise<number | null>;
}

/** Starts `node --import tsx scripts/demo.ts` (what `npm run demo` runs, without npm's own start-up). */
function startDemo(args: readonly string[]): DemoRun {
  const loader = pathToFileURL(`${REPO_ROOT}node_modules/tsx/dist/loader.mjs`).href;
  const child = spawn(process.execPath, ['--import', loader, `${REPO_ROOT}scripts/demo.ts`, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk) => {
    output.stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output.stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
  return { child, output, exited };
}

async function eventually(what: string, test: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** The printed `events` command, through the CLI's own entry point in this process (no second tsx start-up). */
async function events(configFile: string, password: string): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const io = {
    stdout: (text: string) => {
      stdout += text;
    },
    stderr: () => undefined,
  };
  const code = await runCli(['events', '--config', configFile, '--json', '--limit', '0'], io, {
    env: { ...process.env, SUPPORT_PASSWORD: password },
  });
  return { code, stdout };
}

function workDirOf(stdout: string): string {
  const dir = /working directory +(\S+)/.exec(stdout)?.[1];
  if (!dir) throw new Error(`no working directory in the output:\n${stdout}`);
  workDirs.push(dir);
  return dir;
}

describe('npm run demo', () => {
  it('handles the four demo mails as described, says where to look, stops everything and exits 0', async () => {
    const run = startDemo([]);
    const code = await run.exited;
    const { stdout, stderr } = run.output;
    const dir = workDirOf(stdout);
    expect(code, `${stdout}\n${stderr}`).toBe(0);

    expect(stdout).toContain('Result: 4 of 4 demo mails reached the expected end.');
    expect(stdout.match(/✓ reached the expected end/g)).toHaveLength(4);
    expect(stdout).not.toContain('✗');
    // The bounce: its handler ran, it was filed.
    expect(stdout).toMatch(/matched +rule bounces/);
    expect(stdout).toMatch(/handler +node handlers\/bounce\.js → succeeded/);
    expect(stdout).toMatch(/✓ bounces\.log: .* gone@example\.net Undelivered Mail Returned to Sender/);
    expect(stdout).toMatch(/✓ support@example\.test: in Bounces, marked read/);
    // The double opt-in: answered, read back from the subscriber's mailbox.
    expect(stdout).toMatch(
      /✓ ada@example\.test got the reply "Re: Newsletter confirmation" \(Auto-Submitted: auto-replied\)/,
    );
    // The web form: a ticket from the parsed fields, and the visitor (Reply-To) answered.
    expect(stdout).toMatch(/handler +node handlers\/contact-form\.js → succeeded/);
    expect(stdout).toMatch(
      /✓ tickets\/[0-9a-f]+\.json: ticket T-[0-9A-F]+ for Carol Müller <carol@example\.test>,.*orderNumber 4711/,
    );
    expect(stdout).toMatch(/✓ carol@example\.test got the reply "Re: Contact form: Where is my parcel\?"/);
    // The auto-reply: matched the order rule, but loop protection skipped the reply, and nobody got anything.
    expect(stdout).toMatch(/matched +rule order-questions/);
    expect(stdout).toMatch(/action +reply → SKIPPED by loop protection: AUTO_SUBMITTED/);
    expect(stdout).toMatch(/✓ bob@example\.test got nothing/);

    // Where to look, and everything stopped.
    expect(stdout).toMatch(/journal +\/\S+\/demo\.db/);
    expect(stdout).toMatch(/npx tsx runtime\/cli\/bin\.ts events --config \S+\/demo\.yaml/);
    expect(stdout).toContain('autopilot stopped (SIGTERM; exit code 0)');
    expect(stdout).toContain('Mail servers stopped.');
    const imaps = Number(/IMAPS port (\d+)/.exec(stdout)?.[1]);
    const smtp = Number(/SMTP port (\d+)/.exec(stdout)?.[1]);
    expect(await refusesConnections(imaps)).toBe(true);
    expect(await refusesConnections(smtp)).toBe(true);

    // The printed `events` command reads the kept journal: the skipped reply is there with its reason.
    expect(existsSync(`${dir}/demo.db`)).toBe(true);
    const password = /SUPPORT_PASSWORD=(\S+)/.exec(stdout)?.[1] ?? '';
    const journal = await events(`${dir}/demo.yaml`, password);
    expect(journal.code).toBe(0);
    const skipped = journal.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; code?: string; kind?: string })
      .filter((event) => event.type === 'action.skipped');
    expect(skipped).toEqual([expect.objectContaining({ kind: 'reply', code: 'AUTO_SUBMITTED' })]);
  }, 180_000);

  it('with --keep stays up after the report until Ctrl-C, then stops everything and exits 0', async () => {
    const run = startDemo(['--keep']);
    await eventually('the --keep prompt', () => run.output.stdout.includes('Press Ctrl-C to stop.'), 150_000).catch(
      (error: Error) => {
        run.child.kill('SIGKILL');
        throw new Error(`${error.message}\n${run.output.stdout}\n${run.output.stderr}`);
      },
    );
    workDirOf(run.output.stdout);
    const imaps = Number(/IMAPS port (\d+)/.exec(run.output.stdout)?.[1]);
    expect(await refusesConnections(imaps)).toBe(false);

    run.child.kill('SIGINT');
    const code = await run.exited;
    expect(code, `${run.output.stdout}\n${run.output.stderr}`).toBe(0);
    expect(run.output.stdout).toContain('Result: 4 of 4 demo mails reached the expected end.');
    expect(run.output.stdout).toContain('Mail servers stopped.');
    expect(await refusesConnections(imaps)).toBe(true);
  }, 180_000);
});
