/**
 * The CLI as a user runs it (issue 6, items 2, 3 and 8): validate, status, events, dead-letters (list, show, retry),
 * help for each command, documented exit codes, and service mode (S10): a mailbox that gives up ends `run --service`
 * with exit code 75 and a line naming the mailbox and its last error. The service-mode test drives the same entry
 * point as the bin (`runCli`) with an injected SimulatedClock; no user-facing flag shortens the schedule.
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { EXIT_CODES } from '../../runtime/cli/exit-codes.js';
import { runCli } from '../../runtime/cli/main.js';
import { type MailServers, startMailServers } from '../../scripts/harness/mail-servers.js';
import { cliCommand } from '../support/cli.js';

let servers: MailServers;
let dir: string;

function capture() {
  let stdout = '';
  let stderr = '';
  return {
    io: {
      stdout: (text: string) => {
        stdout += text;
      },
      stderr: (text: string) => {
        stderr += text;
      },
    },
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
  };
}

const QUIET = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function cli(args: string[], env: Record<string, string> = {}) {
  const out = capture();
  const code = await runCli(args, out.io, { env: { ...process.env, ...env }, logger: QUIET });
  return { code, stdout: out.stdout, stderr: out.stderr };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  servers = await startMailServers({ users: ['desk'], smtp: false });
  dir = mkdtempSync(join(tmpdir(), 'cli-commands-'));
  const user = servers.user('desk');
  // Fails on its first run for a message, succeeds once the marker exists: a dead letter that a retry can fix.
  writeFileSync(
    join(dir, 'flaky.mjs'),
    "import { existsSync } from 'node:fs'; for await (const _ of process.stdin); process.exit(existsSync('fixed') ? 0 : 4);\n",
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
      '      - name: flaky',
      '        subject: { startsWith: "Request" }',
      '        run: ["node", "flaky.mjs"]',
    ].join('\n'),
  );
  await servers.deliver(user.user, {
    subject: 'Request 1',
    from: 'someone@example.test',
    messageId: '<req-1@example.test>',
  });
}, 60_000);
afterAll(() => servers?.stop());

/** Runs a read-only command without the secrets the config refers to (issue 13 point 6). */
async function withoutSecrets(args: string[]) {
  const { DESK_PASSWORD: _, ...rest } = process.env;
  const out = capture();
  const code = await runCli(args, out.io, { env: rest, logger: QUIET });
  return { code, stdout: out.stdout, stderr: out.stderr };
}

const env = () => ({ DESK_PASSWORD: servers.user('desk').password });
const desk = () => join(dir, 'desk.yaml');

describe('help and usage', () => {
  it.each(['run', 'validate', 'status', 'events', 'dead-letters', 'inspect', 'login'])(
    '%s --help exits 0',
    async (command) => {
      const result = await cli([command, '--help']);
      expect(result.code).toBe(EXIT_CODES.OK);
      expect(result.stdout).toMatch(/Usage: mail-autopilot/);
    },
  );

  it('an unknown command or option exits 64', async () => {
    expect((await cli(['frobnicate'])).code).toBe(EXIT_CODES.USAGE);
    expect((await cli(['status', '--nope'])).code).toBe(EXIT_CODES.USAGE);
    expect((await cli(['status'])).code).toBe(EXIT_CODES.USAGE);
  });
});

describe('validate', () => {
  it('accepts a valid config (exit 0) and names what it found', async () => {
    const result = await cli(['validate', '--config', desk()], env());
    expect(result.code).toBe(EXIT_CODES.OK);
    expect(result.stdout).toMatch(/valid: 1 mailbox\(es\) \(desk: imap\), 1 rule\(s\)/);
  });

  it('rejects an invalid config with exit 78, listing every problem by mailbox and field', async () => {
    const file = join(dir, 'invalid.yaml');
    writeFileSync(
      file,
      [
        'mailboxes:',
        '  - id: mail-one',
        '    service: pop3',
        '    server: pop3s://127.0.0.1:995',
        '    user: a',
        '    password: b',
        '    unreadOnly: true',
        '  - id: outlook',
        '    service: mapi-simple',
        '  - id: typo',
        '    server: imaps://x',
        '    user: a',
        '    password: b',
        '    pollInterval: sometimes',
      ].join('\n'),
    );
    const [program, args] = cliCommand(['validate', '--config', file]);
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(EXIT_CODES.CONFIG);
    expect(stderr).toMatch(/mailbox "typo" \(mailboxes\[2\]\.pollInterval\): expected a duration/);
  });

  it('a rule that needs what the service cannot do is a configuration error naming the rule', async () => {
    const file = join(dir, 'capabilities.yaml');
    writeFileSync(
      file,
      [
        'mailboxes:',
        '  - id: drop',
        '    service: pop3',
        '    server: pop3s://127.0.0.1:995',
        '    user: a',
        '    password: b',
        '    rules:',
        '      - name: tidy',
        '        matchAll: true',
        '        actions: [markRead, { reply: { text: hi } }]',
      ].join('\n'),
    );
    const result = await cli(['validate', '--config', file]);
    expect(result.code).toBe(EXIT_CODES.CONFIG);
    expect(result.stderr).toMatch(/rule "tidy".*pop3 cannot markRead/s);
    expect(result.stderr).toMatch(/needs a way to send mail: configure smtp/);
  });

  it('service mode: a MAPI mailbox without a profile is an error (S2); MAPI off Windows too (S1)', async () => {
    const file = join(dir, 'mapi.yaml');
    writeFileSync(file, 'mailboxes:\n  - id: outlook\n    service: mapi-extended\n');
    const result = await cli(['validate', '--config', file, '--service']);
    expect(result.code).toBe(EXIT_CODES.CONFIG);
    expect(result.stderr).toMatch(/mailbox "outlook" \(mailboxes\[0\]\.service\): mapi-extended needs Windows/);
    expect(result.stderr).toMatch(/mailbox "outlook" \(mailboxes\[0\]\.profile\): a MAPI profile name is required/);
  });
});

describe('validate needs no secrets and says which run needs (issue 13 point 6)', () => {
  it('an unset ${VAR} is not an error: validate exits 0 and names the variable as not set now', async () => {
    const result = await cli(['validate', '--config', desk()]);
    expect(result.code, result.stderr).toBe(EXIT_CODES.OK);
    expect(result.stdout).toMatch(/run needs these environment variables: DESK_PASSWORD \(not set now\)/);
    const set = await cli(['validate', '--config', desk()], env());
    expect(set.stdout).toMatch(/run needs these environment variables: DESK_PASSWORD\n/);
  });

  it('a YAML syntax error on a password line gives file:line:column and never the password', async () => {
    const file = join(dir, 'syntax.yaml');
    writeFileSync(
      file,
      ['mailboxes:', '  - id: a', '    server: imaps://h', '    user: a', '    password: @Tr0ub4dor'].join('\n'),
    );
    const result = await cli(['validate', '--config', file]);
    expect(result.code).toBe(EXIT_CODES.CONFIG);
    expect(result.stderr).toContain(`${file}:5:15: (syntax): a plain value cannot start with @`);
    expect(result.stderr).not.toContain('Tr0ub4dor');
  });
});

describe('status, events and dead-letters on a real journal', () => {
  it('shows the mailbox and the dead letter after a run, retries it, and the next run handles it', async () => {
    // status, events and dead-letters run without DESK_PASSWORD: read-only commands need no secrets (issue 13.6).
    const refused = await withoutSecrets(['run', '--config', desk(), '--once']);
    expect(refused.code).toBe(EXIT_CODES.CONFIG);
    expect(refused.stderr).toMatch(/mailboxes\[0\]\.password\): environment variable DESK_PASSWORD is not set/);
    const first = await cli(['run', '--config', desk(), '--once'], env());
    // Issue 13: a run that dead-lettered a message says so in its summary and its exit code.
    expect(first.code, first.stderr).toBe(EXIT_CODES.DEAD_LETTERED);
    expect(first.stdout).toMatch(
      /^mail-autopilot: 0 handled, \d+ unmatched, 0 skipped, 1 dead-lettered \(1 mailbox\)$/m,
    );
    expect(first.stderr).toMatch(/dead-letters list/);

    const status = await withoutSecrets(['status', '--config', desk(), '--json']);
    expect(status.code).toBe(EXIT_CODES.OK);
    const parsed = JSON.parse(status.stdout) as {
      mailboxes: { mailboxId: string; counts: { deadLettered: number } }[];
    };
    expect(parsed.mailboxes[0]).toMatchObject({ mailboxId: 'desk', counts: { deadLettered: 1 } });
    expect((await withoutSecrets(['status', '--config', desk()])).stdout).toMatch(/^MAILBOX\s+STATE/m);

    const list = await withoutSecrets(['dead-letters', 'list', '--config', desk()]);
    expect(list.stdout).toMatch(/desk\s+imap:INBOX:\d+:1\s+Request 1\s+handler of rule flaky failed/);
    const show = await withoutSecrets(['dead-letters', 'show', '<req-1@example.test>', '--config', desk(), '--json']);
    expect(JSON.parse(show.stdout)[0]).toMatchObject({ code: 'HANDLER_EXIT', subject: 'Request 1' });

    writeFileSync(join(dir, 'fixed'), '');
    const retry = await withoutSecrets(['dead-letters', 'retry', '<req-1@example.test>', '--config', desk()]);
    expect(retry.code).toBe(EXIT_CODES.OK);
    const second = await cli(['run', '--config', desk(), '--once'], env());
    expect(second.code, second.stderr).toBe(EXIT_CODES.OK);
    expect(second.stdout).toMatch(
      /^mail-autopilot: 1 handled, 0 unmatched, 0 skipped, 0 dead-lettered \(1 mailbox\)$/m,
    );

    const events = await withoutSecrets(['events', '--config', desk(), '--message', '<req-1@example.test>', '--json']);
    const types = events.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { type: string }).type);
    expect(types).toEqual([
      'message.discovered',
      'message.matched',
      'handler.started',
      'handler.failed',
      'message.deadLettered',
      'message.retryRequested',
      'handler.started',
      'handler.succeeded',
      'message.handled',
    ]);
    expect((await withoutSecrets(['dead-letters', 'list', '--config', desk()])).stdout).toBe('no dead letters\n');
    const lifecycle = await withoutSecrets(['events', '--config', desk(), '--type', 'mailbox.', '--limit', '1']);
    expect(lifecycle.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('dead-letters show/retry of an unknown message exits 1', async () => {
    expect((await cli(['dead-letters', 'show', 'nope', '--config', desk()], env())).code).toBe(EXIT_CODES.FAILURE);
  });
});

describe('run --service (SPEC S10)', () => {
  it('ends with exit 75 and a line naming the mailbox and its last error when a mailbox stops by S9', async () => {
    const file = join(dir, 'unreachable.yaml');
    writeFileSync(
      file,
      [
        'journal: ./unreachable.db',
        'mailboxes:',
        '  - id: unreachable',
        `    server: imap://127.0.0.1:${await closedPort()}`,
        '    user: nobody@example.test',
        '    password: x',
      ].join('\n'),
    );
    const clock = new SimulatedClock();
    const out = capture();
    const signals = new EventEmitter() as unknown as Pick<NodeJS.Process, 'on' | 'off'>;
    let exit: number | undefined;
    const running = runCli(['run', '--config', file, '--service'], out.io, { clock, signals, logger: QUIET }).then(
      (code) => {
        exit = code;
      },
    );
    // Each attempt fails at once (connection refused); the clock then jumps over the wait: 14 attempts (S9).
    for (let step = 0; step < 40 && exit === undefined; step++) {
      await new Promise((r) => setTimeout(r, 100));
      clock.increment(60 * 60_000);
    }
    await running;
    expect(exit).toBe(EXIT_CODES.MAILBOX_STOPPED);
    expect(out.stderr).toMatch(/mailbox unreachable stopped \(SPEC S9\/S10\): CONNECTION_REFUSED/);
  });

  it('SIGTERM stops cleanly with exit 0', async () => {
    const file = join(dir, 'unreachable.yaml');
    const clock = new SimulatedClock();
    const out = capture();
    const signals = new EventEmitter();
    const running = runCli(['run', '--config', file, '--service'], out.io, {
      clock,
      signals: signals as unknown as Pick<NodeJS.Process, 'on' | 'off'>,
      logger: QUIET,
    });
    await new Promise((r) => setTimeout(r, 300));
    signals.emit('SIGTERM');
    expect(await running).toBe(EXIT_CODES.OK);
  });
});
