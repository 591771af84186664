/**
 * Messages the server's search rules out are recorded as ranges (issue 12 point 3), and `run --once`'s summary,
 * `status` and `events --message` still tell the truth: on Dovecot, 20 messages of which 2 are invoices; the first
 * run handles 2 and reports 18 unmatched, a second run examines nothing new and says so, the status counters count
 * each message once, and a ruled-out message's `events --message` says why it has no events of its own.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../runtime/cli/exit-codes.js';
import { runCli } from '../../runtime/cli/main.js';
import { type MailServers, startMailServers } from '../../scripts/harness/mail-servers.js';

let servers: MailServers;
let config: string;

beforeAll(async () => {
  servers = await startMailServers({ users: ['ranges'], smtp: false });
  const user = servers.user('ranges');
  await servers.fill(
    user.user,
    Array.from({ length: 20 }, (_, i) => ({
      subject: i % 10 === 0 ? `Your invoice ${i}` : `Newsletter ${i}`,
      from: 'shop@example.test',
      text: `message ${i}\n`,
      messageId: `<range-${i}@example.test>`,
    })),
  );
  const dir = mkdtempSync(join(tmpdir(), 'examined-ranges-'));
  config = join(dir, 'autopilot.yaml');
  writeFileSync(
    config,
    [
      'journal: ./journal.db',
      'mailboxes:',
      '  - id: ranges',
      `    server: imaps://127.0.0.1:${servers.ports.imaps}`,
      `    user: ${user.user}`,
      `    password: ${user.password}`,
      `    tlsCa: ${servers.caFile}`,
      '    rules:',
      '      - name: invoices',
      '        subject: { contains: invoice }',
      '        actions: [markRead]',
    ].join('\n'),
  );
}, 60_000);
afterAll(() => servers?.stop());

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: (t: string) => {
      stdout += t;
    },
    stderr: (t: string) => {
      stderr += t;
    },
  };
  const code = await runCli(args, io, { env: process.env });
  return { code, stdout, stderr };
}

describe('messages recorded as examined ranges', () => {
  it('run --once counts them once, status too, and events --message explains a ruled-out message', async () => {
    const first = await cli(['run', '--config', config, '--once']);
    expect(first.code, first.stderr).toBe(EXIT_CODES.OK);
    expect(first.stdout).toMatch(/^mail-autopilot: 2 handled, 18 unmatched, 0 skipped, 0 dead-lettered/m);

    const second = await cli(['run', '--config', config, '--once']);
    expect(second.code, second.stderr).toBe(EXIT_CODES.OK);
    expect(second.stdout).toMatch(/^mail-autopilot: 0 handled, 0 unmatched, 0 skipped, 0 dead-lettered/m);

    const status = await cli(['status', '--config', config, '--json']);
    const parsed = JSON.parse(status.stdout) as { mailboxes: { counts: { handled: number; unmatched: number } }[] };
    expect(parsed.mailboxes[0]?.counts).toMatchObject({ handled: 2, unmatched: 18 });

    const events = await cli(['events', '--config', config, '--message', '<range-3@example.test>']);
    expect(events.code).toBe(EXIT_CODES.OK);
    expect(events.stdout).toBe('');
    expect(events.stderr).toMatch(/recorded as ranges, not one by one/);
  });
});
