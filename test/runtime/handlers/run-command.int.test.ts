/**
 * runCommandHandler against real child processes (`node -e`): stdin, environment, exit codes, signals, timeouts
 * that end the whole process group, spawn errors, and bounded output.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type HandlerMetadata, idempotencyKey } from '../../../runtime/handlers/metadata.js';
import { type RunCommandOptions, runCommandHandler } from '../../../runtime/handlers/run-command.js';
import { runCommand } from '../../../runtime/handlers/run-command-adapter.js';
import { parseRules } from '../../../runtime/rules/parse-rules.js';
import type { CommandHandlerSpec } from '../../../runtime/rules/types.js';

const NODE = process.execPath;

const metadata: HandlerMetadata = {
  mailboxId: 'support',
  key: 'imap:INBOX:7:42',
  messageId: '<m42@example.test>',
  subject: 'Undelivered Mail Returned to Sender',
  from: ['mailer-daemon@mx.example.test'],
  to: ['support@example.test', 'ops@example.test'],
  rule: 'bounces',
  attempt: 2,
  idempotencyKey: idempotencyKey({ mailboxId: 'support', key: 'imap:INBOX:7:42', rule: 'bounces' }),
};

const RAW = Buffer.from('From: a@example.test\r\nSubject: hi\r\n\r\nbody äöü\r\n');

function run(script: string, options: Partial<RunCommandOptions> = {}) {
  return runCommandHandler({
    command: [NODE, '-e', script],
    rawSource: RAW,
    metadata,
    timeoutMs: 20_000,
    ...options,
  });
}

/** Whether a process exists and is not a zombie (an orphan waits for its reaper, which may be slow in containers). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc (not Linux): trust kill(0)
  }
}

/** Bounded polling: a condition that becomes true eventually. */
async function eventually(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const leftovers: number[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Reads all of stdin, then prints its SHA-256 and length and the MAIL_AUTOPILOT_* environment as JSON. */
const ECHO = `
  const chunks = [];
  process.stdin.on('data', (c) => chunks.push(c));
  process.stdin.on('end', () => {
    const input = Buffer.concat(chunks);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MAIL_AUTOPILOT_') || k === 'RULE_LEVEL'));
    process.stdout.write(JSON.stringify({ sha: require('crypto').createHash('sha256').update(input).digest('hex'),
      length: input.length, env, cwd: process.cwd() }));
  });`;

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('runCommandHandler: success', () => {
  it('feeds the raw message on stdin and the metadata in the environment; exit 0 is handled', async () => {
    const result = await run(ECHO, { env: { RULE_LEVEL: 'debug', MAIL_AUTOPILOT_RULE: 'spoofed' } });
    expect(result).toMatchObject({ ok: true, exitCode: 0, stderr: '' });
    const seen = JSON.parse(result.stdout);
    expect(seen.sha).toBe(sha(RAW));
    expect(seen.env).toEqual({
      MAIL_AUTOPILOT_MAILBOX: 'support',
      MAIL_AUTOPILOT_KEY: 'imap:INBOX:7:42',
      MAIL_AUTOPILOT_MESSAGE_ID: '<m42@example.test>',
      MAIL_AUTOPILOT_SUBJECT: 'Undelivered Mail Returned to Sender',
      MAIL_AUTOPILOT_FROM: 'mailer-daemon@mx.example.test',
      MAIL_AUTOPILOT_TO: 'support@example.test, ops@example.test',
      MAIL_AUTOPILOT_RULE: 'bounces', // the metadata wins over a rule's env
      MAIL_AUTOPILOT_ATTEMPT: '2',
      MAIL_AUTOPILOT_IDEMPOTENCY_KEY: metadata.idempotencyKey,
      RULE_LEVEL: 'debug',
    });
  });

  it('streams a Readable source of several megabytes through stdin intact', async () => {
    const chunks = Array.from({ length: 48 }, (_, i) => Buffer.alloc(64 * 1024, i));
    const result = await run(ECHO, { rawSource: Readable.from(chunks) });
    expect(result.ok).toBe(true);
    expect(JSON.parse(result.stdout)).toMatchObject({ length: 48 * 64 * 1024, sha: sha(Buffer.concat(chunks)) });
  });

  it('runs in the given working directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'handler-cwd-'));
    dirs.push(dir);
    expect((await run('process.stdout.write(process.cwd())', { cwd: dir })).stdout).toBe(dir);
  });

  // Issue 13.5: the README's `password: ${SUPPORT_PASSWORD}` pattern handed the mailbox password to every script
  // that processes mail from strangers, because handlers inherited the service's whole environment.
  it('gives the handler only PATH, HOME, LANG, TZ, TMPDIR, the rule env and the metadata; passEnv widens it', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      SUPPORT_PASSWORD: 'hunter2',
      EXTRA_SETTING: 'wanted',
      HOME: '/home/autopilot',
      LANG: 'C.UTF-8',
      TZ: 'Europe/Berlin',
      TMPDIR: '/tmp',
      MAIL_AUTOPILOT_FROM_SERVICE: 'not metadata',
    });
    try {
      const script = 'process.stdout.write(JSON.stringify(process.env))';
      const minimal = JSON.parse((await run(script, { env: { RULE_LEVEL: 'debug' } })).stdout) as Record<
        string,
        string
      >;
      expect(minimal.SUPPORT_PASSWORD).toBeUndefined();
      expect(minimal.EXTRA_SETTING).toBeUndefined();
      expect(minimal.MAIL_AUTOPILOT_FROM_SERVICE).toBeUndefined();
      const own = Object.keys(minimal).filter((name) => !name.startsWith('MAIL_AUTOPILOT_'));
      // Node itself may add nothing; anything else here would be the service's environment leaking through.
      expect(own.sort()).toEqual(['HOME', 'LANG', 'PATH', 'RULE_LEVEL', 'TMPDIR', 'TZ']);
      expect(minimal).toMatchObject({ PATH: process.env.PATH, HOME: '/home/autopilot', TZ: 'Europe/Berlin' });
      expect(minimal.MAIL_AUTOPILOT_RULE).toBe('bounces');

      const widened = JSON.parse((await run(script, { passEnv: ['EXTRA_SETTING', 'NOT_SET_ANYWHERE'] })).stdout);
      expect(widened.EXTRA_SETTING).toBe('wanted');
      expect(widened.SUPPORT_PASSWORD).toBeUndefined();
      expect('NOT_SET_ANYWHERE' in widened).toBe(false);
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });

  it('a rule from the config: SUPPORT_PASSWORD of the service is not in the handler, passEnv: [X] hands X on', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'handler-env-'));
    dirs.push(dir);
    // Writes its environment to a file named after its rule: the pipeline's adapter keeps no stdout.
    await writeFile(
      join(dir, 'print-env.mjs'),
      "import { writeFileSync } from 'node:fs';\nwriteFileSync(`${process.env.MAIL_AUTOPILOT_RULE}.json`, JSON.stringify(process.env));\n",
    );
    process.env.SUPPORT_PASSWORD = 'hunter2';
    process.env.X = 'handed on';
    try {
      const rules = parseRules(
        [
          { name: 'plain', matchAll: true, run: ['node', 'print-env.mjs'] },
          { name: 'widened', matchAll: true, run: { command: ['node', 'print-env.mjs'], passEnv: ['X'] } },
        ],
        'support',
      );
      const printed: Record<string, string>[] = [];
      for (const rule of rules) {
        // The adapter the pipeline runs a rule's handler with (runtime/handlers/run-command-adapter.ts).
        const outcome = await runCommand(
          rule.handler as CommandHandlerSpec,
          { source: RAW, metadata: { ...metadata, rule: rule.name }, signal: new AbortController().signal },
          { baseDir: dir, defaultTimeoutMs: 20_000 },
        );
        expect(outcome).toEqual({ ok: true });
        printed.push(JSON.parse(readFileSync(join(dir, `${rule.name}.json`), 'utf8')));
      }
      expect(printed[0]?.SUPPORT_PASSWORD).toBeUndefined();
      expect(printed[0]?.X).toBeUndefined();
      expect(printed[1]?.SUPPORT_PASSWORD).toBeUndefined();
      expect(printed[1]?.X).toBe('handed on');
    } finally {
      delete process.env.SUPPORT_PASSWORD;
      delete process.env.X;
    }
  });

  it('is fine when the handler exits without reading stdin (EPIPE is expected)', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 'x');
    expect(await run('process.exit(0)', { rawSource: big })).toMatchObject({ ok: true });
    const stream = Readable.from(Array.from({ length: 64 }, () => Buffer.alloc(64 * 1024, 'y')));
    expect(await run('process.exit(0)', { rawSource: stream })).toMatchObject({ ok: true });
    expect(stream.destroyed).toBe(true);
  });

  it('does not wait for a background process that keeps stdout open after the handler exited', async () => {
    const script = `
      const { spawn } = require('child_process');
      const bg = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: ['ignore', 'inherit', 'inherit'] });
      process.stdout.write('bg=' + bg.pid + '\\n');
      bg.unref();
      process.exit(0);`;
    const result = await run(script);
    const pid = Number(/bg=(\d+)/.exec(result.stdout)?.[1]);
    leftovers.push(pid);
    expect(result.ok).toBe(true);
    // Not killed on success: a handler may start background work on purpose.
    expect(alive(pid)).toBe(true);
  });

  it('survives metadata that cannot go into the environment as is (NUL, 200 kB subject)', async () => {
    const subject = `a\0b${'x'.repeat(200_000)}`;
    const result = await run(`process.stdout.write(String(process.env.MAIL_AUTOPILOT_SUBJECT.length))`, {
      metadata: { ...metadata, subject },
    });
    expect(result).toMatchObject({ ok: true, stdout: '8192' });
  });
});

describe('runCommandHandler: failures', () => {
  it('reports a non-zero exit as retryable, with the last line of stderr', async () => {
    const result = await run(`console.error('starting'); console.error('bounce address unknown'); process.exit(3)`);
    expect(result).toMatchObject({
      ok: false,
      code: 'HANDLER_EXIT',
      exitCode: 3,
      signal: null,
      retryable: true,
      reason: 'exit code 3: bounce address unknown',
    });
    expect(result.stderr).toBe('starting\nbounce address unknown\n');
  });

  it('reports death by a signal', async () => {
    const result = await run(`process.kill(process.pid, 'SIGKILL')`);
    expect(result).toMatchObject({
      ok: false,
      code: 'HANDLER_SIGNAL',
      signal: 'SIGKILL',
      exitCode: null,
      retryable: true,
    });
  });

  it('ends the whole process group on timeout, grandchildren included', async () => {
    const script = `
      const { spawn } = require('child_process');
      const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      process.stdout.write('grandchild=' + child.pid + '\\n');
      setInterval(() => {}, 1000);`;
    const result = await run(script, { timeoutMs: 2_000 });
    expect(result).toMatchObject({ ok: false, code: 'HANDLER_TIMEOUT', retryable: true, signal: 'SIGTERM' });
    const grandchild = Number(/grandchild=(\d+)/.exec(result.stdout)?.[1]);
    expect(grandchild).toBeGreaterThan(0);
    leftovers.push(grandchild);
    await eventually(() => !alive(grandchild), 'the grandchild to be gone');
  });

  it('follows SIGTERM with SIGKILL when the handler ignores it', async () => {
    const script = `process.on('SIGTERM', () => {}); process.stdout.write('ready'); setInterval(() => {}, 1000);`;
    const result = await run(script, { timeoutMs: 2_000, killGraceMs: 200 });
    expect(result).toMatchObject({ ok: false, code: 'HANDLER_TIMEOUT', signal: 'SIGKILL', stdout: 'ready' });
  });

  it('ends the run when aborted (a stop), and does not start one that is already aborted', async () => {
    const controller = new AbortController();
    const running = run(`process.stdout.write('started'); setInterval(() => {}, 1000)`, { signal: controller.signal });
    const early = await run('process.exit(0)', { signal: AbortSignal.abort() });
    expect(early).toMatchObject({ ok: false, code: 'HANDLER_ABORTED', exitCode: null, stdout: '' });
    // Without a cwd the child is spawned synchronously inside run(), so this aborts a running process.
    controller.abort();
    expect(await running).toMatchObject({ ok: false, code: 'HANDLER_ABORTED', retryable: true });
  });

  it('fails the run when the message source breaks, even if the handler would exit 0', async () => {
    const source = new PassThrough();
    source.write('From: a@example.test\r\n');
    const running = run(`process.stdin.on('data', () => {}); process.stdin.on('end', () => process.exit(0));`, {
      rawSource: source,
    });
    setImmediate(() => source.destroy(new Error('IMAP connection lost')));
    expect(await running).toMatchObject({
      ok: false,
      code: 'HANDLER_INPUT_FAILED',
      retryable: true,
      reason: expect.stringContaining('IMAP connection lost'),
    });
  });

  it('reports a program that does not exist as not retryable', async () => {
    const result = await runCommandHandler({
      command: ['mail-autopilot-no-such-program', '--x'],
      rawSource: RAW,
      metadata,
      timeoutMs: 5_000,
    });
    expect(result).toMatchObject({
      ok: false,
      code: 'HANDLER_NOT_FOUND',
      retryable: false,
      reason: 'program not found: mail-autopilot-no-such-program',
    });
  });

  it('reports a file that may not be executed as not retryable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'handler-'));
    dirs.push(dir);
    const file = join(dir, 'not-executable.sh');
    await writeFile(file, '#!/bin/sh\nexit 0\n');
    await chmod(file, 0o644);
    const result = await runCommandHandler({ command: [file], rawSource: RAW, metadata, timeoutMs: 5_000 });
    expect(result).toMatchObject({ ok: false, code: 'HANDLER_NOT_EXECUTABLE', retryable: false });
  });

  it('reports a missing working directory as not retryable, without starting anything', async () => {
    const result = await run('process.exit(0)', { cwd: join(tmpdir(), 'mail-autopilot-no-such-dir') });
    expect(result).toMatchObject({ ok: false, code: 'HANDLER_CWD_NOT_FOUND', retryable: false });
  });

  it('keeps only the end of a large output', async () => {
    const script = `process.stdout.write('x'.repeat(1024 * 1024) + 'THE END'); process.stderr.write('e'.repeat(100000) + 'LAST'); process.exitCode = 1`;
    const result = await run(script, { maxOutputBytes: 1_000 });
    expect(result.stdout).toHaveLength(1_000);
    expect(result.stdout.endsWith('THE END')).toBe(true);
    expect(result.stderr.endsWith('LAST')).toBe(true);
    expect(result.stderr.length).toBeLessThanOrEqual(1_000);
  });
});
