/**
 * `mail-autopilot run` with `http.enabled` (issue 6, item 5), through the entry point the CLI uses: the endpoint
 * starts after the autopilot, /healthz reflects a mailbox going to `backoff`, and SIGTERM stops the endpoint with
 * the autopilot (exit 0, the port no longer answers). Without `http.enabled` nothing listens; a port in use ends
 * the run with exit code 1 and the reason.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliDeps, runCli } from '../../../runtime/cli/main.js';
import { freePorts } from '../../../scripts/harness/free-ports.js';

async function eventually<T>(read: () => Promise<T | undefined | false>, what: string, tries = 200): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never happened: ${what}`);
}

async function runWith(http: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'run-http-'));
  const [closed] = await freePorts(1);
  writeFileSync(
    join(dir, 'autopilot.json'),
    JSON.stringify({
      journal: './journal.db',
      http,
      mailboxes: [{ id: 'refused', server: `imaps://127.0.0.1:${closed}`, user: 'u@example.test', password: 'pw' }],
    }),
  );
  const lines: { obj: Record<string, unknown>; msg?: string }[] = [];
  const capture = (obj: object, msg?: string) => void lines.push({ obj: obj as Record<string, unknown>, msg });
  const signals = new EventEmitter();
  const deps: CliDeps = {
    env: {},
    signals: signals as unknown as Pick<NodeJS.Process, 'on' | 'off'>,
    logger: { info: capture, warn: capture, error: capture },
  };
  const stderr: string[] = [];
  const exit = runCli(
    ['run', '--config', join(dir, 'autopilot.json')],
    {
      stdout: () => undefined,
      stderr: (text) => void stderr.push(text),
    },
    deps,
  );
  return { lines, signals, exit, stderr };
}

describe('run with http.enabled', () => {
  it('serves /healthz while running and stops it on SIGTERM', async () => {
    const { lines, signals, exit } = await runWith({ enabled: true, port: 0 });
    const url = await eventually(
      async () => lines.find((l) => typeof l.obj.url === 'string')?.obj.url as string | undefined,
      'the endpoint is announced',
    );
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const health = await eventually(async () => {
      const body = (await (await fetch(`${url}healthz`)).json()) as { status: string; mailboxes: { state: string }[] };
      return body.mailboxes[0]?.state === 'backoff' && body;
    }, '/healthz shows backoff');
    expect(health.status).toBe('degraded');

    signals.emit('SIGTERM');
    expect(await exit).toBe(0);
    await expect(fetch(`${url}healthz`)).rejects.toThrow();
  });

  it('listens nowhere when http is not enabled', async () => {
    const { lines, signals, exit } = await runWith({ enabled: false });
    await eventually(async () => lines.some((l) => l.msg === 'mailbox.backoff'), 'the mailbox is in backoff');
    expect(lines.some((l) => 'url' in l.obj)).toBe(false);
    signals.emit('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('ends with exit code 1 and the reason when the port is in use', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (taken.address() as { port: number }).port;
      const { exit, stderr } = await runWith({ enabled: true, port });
      expect(await exit).toBe(1);
      expect(stderr.join('')).toContain('EADDRINUSE');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
