/**
 * The Stately inspector option: events reach a local inspector server over a WebSocket, credentials and mail content
 * are redacted, and the inspector never keeps the process alive once the mailbox is stopped.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createActor, fromPromise } from 'xstate';
import { mailboxMachine } from '../../machines/mailbox.machine.js';
import { attachInspector, redactForInspection } from '../../runtime/inspect.js';

async function eventually<T>(read: () => T | undefined, what: string, tries = 200): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = read();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never happened: ${what}`);
}

describe('inspector', () => {
  it('redacts credentials and mail content at any depth', () => {
    const redacted = redactForInspection({
      mailboxId: 'support',
      lastError: { code: 'AUTH_FAILED', message: 'login rejected' },
      connection: { password: 'hunter2' },
      nested: [{ accessToken: 'tok', subject: 'kept' }],
    });
    expect(redacted).toEqual({
      mailboxId: 'support',
      lastError: { code: 'AUTH_FAILED', message: 'login rejected' },
      connection: '[redacted]',
      nested: [{ accessToken: '[redacted]', subject: 'kept' }],
    });
  });

  it('sends the mailbox state to a browser connected to the local server, without secrets', async () => {
    const inspector = await attachInspector({ port: 0 });
    expect(inspector.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const browser = new WebSocket(inspector.url.replace('http', 'ws'));
    const received: string[] = [];
    browser.on('message', (data) => received.push(data.toString()));
    await new Promise((resolve) => browser.once('open', resolve));

    const machine = mailboxMachine.provide({
      actors: {
        connect: fromPromise(async () => ({
          user: 'support@example.test',
          password: 'hunter2',
          token: 'secret-token',
        })),
        watch: fromPromise(() => new Promise<void>(() => undefined)),
      },
    });
    const actor = createActor(machine, { input: { mailboxId: 'support' }, inspect: inspector.inspect }).start();
    await eventually(
      () => received.find((m) => m.includes('"@xstate.snapshot"') && m.includes('"polling"')),
      'a polling snapshot at the browser',
    );
    const all = received.join('\n');
    expect(all).toContain('support');
    expect(all).not.toContain('hunter2');
    expect(all).not.toContain('secret-token');
    actor.stop();
    browser.close();
    inspector.stop();
  });

  it('does not keep the process alive after the mailbox is stopped', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/inspect-then-stop.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = new Promise<'still running'>((resolve) =>
      setTimeout(() => resolve('still running'), 30_000).unref(),
    );
    const result = await Promise.race([exited, deadline]);
    if (result === 'still running') child.kill('SIGKILL');
    expect(result, output).toBe(0);
    expect(output).toContain('stopped; inspector was at http://127.0.0.1:');
  });
});
