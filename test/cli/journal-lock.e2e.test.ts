/**
 * Issue 13.3 (one writer per SQLite journal) and 13.7 (an exposed journal is reported), through the CLI as an
 * operator runs it. The bug this pins: a second `run` on the same journal was not refused; once it appended, the
 * first service's appends failed with a swallowed conflict and it stopped handling mail while /healthz said 200.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../runtime/cli/exit-codes.js';
import { runCli } from '../../runtime/cli/main.js';
import { type MailServers, startMailServers } from '../../scripts/harness/mail-servers.js';
import { cliCommand } from '../support/cli.js';

let servers: MailServers;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  servers = await startMailServers({ users: ['desk'], smtp: false });
  dir = mkdtempSync(join(tmpdir(), 'cli-journal-lock-'));
  const user = servers.user('desk');
  // Records every subject it handles; a subject starting with "Broken" fails (a dead letter, retries 0).
  writeFileSync(
    join(dir, 'record.mjs'),
    [
      "import { appendFileSync } from 'node:fs';",
      'for await (const _ of process.stdin);',
      'const subject = process.env.MAIL_AUTOPILOT_SUBJECT;',
      "if (subject.startsWith('Broken')) process.exit(4);",
      "appendFileSync('handled.txt', `${subject}\\n`);",
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'desk.yaml'),
    [
      'journal: ./desk.db',
      'mailboxes:',
      '  - id: desk',
      `    server: imaps://127.0.0.1:${servers.ports.imaps}`,
      `    user: ${user.user}`,
      '    password: ${DESK_PASSWORD}',
      `    tlsCa: ${servers.caFile}`,
      '    handler: { retries: 0 }',
      '    rules:',
      '      - name: record',
      '        matchAll: true',
      '        run: ["node", "record.mjs"]',
    ].join('\n'),
  );
}, 60_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await servers?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ ...process.env, DESK_PASSWORD: servers.user('desk').password });
const config = () => join(dir, 'desk.yaml');

function start(args: string[]): {
  child: ChildProcess;
  exit: Promise<number | null>;
  stderr: () => string;
  output: () => string;
} {
  const [program, argv] = cliCommand(args);
  const child = spawn(program, argv, { cwd: dir, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exit, stderr: () => stderr, output: () => `${stdout}${stderr}` };
}

function handled(): string[] {
  const file = join(dir, 'handled.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
}

async function eventually(
  condition: () => boolean | Promise<boolean>,
  what: string,
  output?: () => string,
): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}${output ? `; the service said:\n${output()}` : ''}`);
}

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: (text: string) => {
      stdout += text;
    },
    stderr: (text: string) => {
      stderr += text;
    },
  };
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const code = await runCli(args, io, { env: env(), logger: quiet });
  return { code, stdout, stderr };
}

describe('one writer per journal (issue 13.3)', () => {
  it('a second run exits 73 at once naming the journal and the pid; the first keeps handling mail', async () => {
    const user = servers.user('desk').user;
    await servers.deliver(user, { subject: 'Request 1', messageId: '<r1@example.test>' });
    const first = start(['run', '--config', config(), '--service']);
    await eventually(() => handled().includes('Request 1'), 'the service to handle Request 1', first.output);

    const second = start(['run', '--config', config(), '--service']);
    expect(await second.exit).toBe(EXIT_CODES.JOURNAL_LOCKED);
    expect(second.stderr()).toContain(join(dir, 'desk.db'));
    expect(second.stderr()).toContain(`process ${first.child.pid}`);
    const once = start(['run', '--config', config(), '--once']);
    expect(await once.exit).toBe(EXIT_CODES.JOURNAL_LOCKED);

    // Readers work beside the running service, and a retry request (an operator event) is written.
    await servers.deliver(user, { subject: 'Broken 1', messageId: '<b1@example.test>' });
    let list = { code: -1, stdout: '[]', stderr: '' };
    await eventually(async () => {
      list = await cli(['dead-letters', 'list', '--config', config(), '--json']);
      return list.code === EXIT_CODES.OK && JSON.parse(list.stdout).length > 0;
    }, 'Broken 1 to be dead-lettered (read beside the service)');
    expect(JSON.parse(list.stdout)).toMatchObject([{ messageId: '<b1@example.test>' }]);
    expect((await cli(['status', '--config', config(), '--json'])).code).toBe(EXIT_CODES.OK);
    expect((await cli(['events', '--config', config(), '--limit', '1'])).code).toBe(EXIT_CODES.OK);
    const retry = await cli(['dead-letters', 'retry', '<b1@example.test>', '--config', config()]);
    expect(retry.code, retry.stderr).toBe(EXIT_CODES.OK);

    // The first service still handles new mail after all of that.
    await servers.deliver(user, { subject: 'Request 2', messageId: '<r2@example.test>' });
    await eventually(() => handled().includes('Request 2'), 'the service to handle Request 2');
    expect(first.child.exitCode).toBeNull();

    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(EXIT_CODES.OK);
    expect(existsSync(join(dir, 'desk.db.lock'))).toBe(false);
    // Everything the service created that holds mail data is private (issue 13.7).
    for (const file of ['desk.db', 'desk.db-wal', 'desk.db-shm'].filter((f) => existsSync(join(dir, f)))) {
      expect({ file, mode: (statSync(join(dir, file)).mode & 0o777).toString(8) }).toEqual({ file, mode: '600' });
    }
  });
});

describe('an existing journal open to other users (issue 13.7)', () => {
  it('is reported at start with its file name and mode', async () => {
    chmodSync(join(dir, 'desk.db'), 0o644);
    const warnings: string[] = [];
    const logger = {
      info: () => undefined,
      warn: (_: object, msg?: string) => void warnings.push(msg ?? ''),
      error: () => undefined,
    };
    const io = { stdout: () => undefined, stderr: () => undefined };
    const code = await runCli(['run', '--config', config(), '--once'], io, { env: env(), logger });
    // The run itself goes on (a "Broken" message left by the earlier tests is dead-lettered now: exit 65).
    expect([EXIT_CODES.OK, EXIT_CODES.DEAD_LETTERED]).toContain(code);
    expect(warnings).toContainEqual(expect.stringContaining(`journal file ${join(dir, 'desk.db')} has mode 0644`));
  });
});
