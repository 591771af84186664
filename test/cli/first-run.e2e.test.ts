/**
 * What a first run will do, said before it does it (issue 15 point 3), with the CLI spawned against a real Dovecot
 * and SMTP relay: five existing mails, two of which the rules would answer (one more matches but is an automatic
 * reply, one comes from a no-reply address, one matches no rule). `validate --connect` and the first start of the
 * mailbox both say "examine 5, would send 2"; the first start journals it; the run then sends exactly two replies.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MailServers, startMailServers } from '../../scripts/harness/mail-servers.js';
import { spawnCli } from '../support/cli.js';
import { connectImap } from '../support/imap-folder.js';

let servers: MailServers;
const dir = mkdtempSync(join(tmpdir(), 'first-run-cli-'));

beforeAll(async () => {
  servers = await startMailServers({ users: ['support', 'ada', 'bob'] });
  const support = servers.user('support').user;
  const ada = servers.user('ada').user;
  const bob = servers.user('bob').user;
  await servers.fill(support, [
    { subject: 'Question 1', from: ada, text: 'a' },
    { subject: 'Question 2', from: bob, text: 'b' },
    { subject: 'Question 3', from: ada, text: 'c', headers: { 'Auto-Submitted': 'auto-replied' } },
    { subject: 'Question 4', from: 'noreply@example.test', text: 'd' },
    { subject: 'Invoice 5', from: bob, text: 'e' },
  ]);
  writeFileSync(
    join(dir, 'autopilot.yaml'),
    [
      'journal: ./journal.db',
      'mailboxes:',
      '  - id: support',
      `    server: imaps://127.0.0.1:${servers.ports.imaps}`,
      `    user: ${support}`,
      '    password: ${SUPPORT_PASSWORD}',
      `    tlsCa: ${servers.caFile}`,
      `    smtp: { server: "smtp://127.0.0.1:${servers.ports.smtp}", tlsCa: "${servers.caFile}" }`,
      '    rules:',
      '      - name: questions',
      '        subject: { startsWith: Question }',
      '        actions: [{ reply: { text: Thanks } }]',
    ].join('\n'),
  );
}, 60_000);
afterAll(() => servers?.stop());

/** Runs the CLI without blocking this process (the SMTP relay lives here), with the mailbox's password. */
function cli(args: string[], env: Record<string, string> = {}) {
  return spawnCli(args, { cwd: dir, env: { SUPPORT_PASSWORD: servers.user('support').password, ...env } });
}

const LINE = 'mailbox support: first pass will examine 5 existing messages; rules would send mail for 2 (startAt: all)';

describe('safe first runs: the counts', () => {
  it('validate --connect says what the first pass would do, and changes nothing', async () => {
    const result = await cli(['validate', '--config', 'autopilot.yaml', '--connect']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(LINE);
    expect(servers.smtpReceived).toHaveLength(0);
    // Read-only: the five messages are still there and none was flagged \Seen.
    const client = await connectImap(servers, 'support');
    try {
      await client.mailboxOpen('INBOX', { readOnly: true });
      const flags: string[][] = [];
      for await (const message of client.fetch('1:*', { flags: true })) flags.push([...(message.flags ?? [])]);
      expect(flags).toHaveLength(5);
      expect(flags.flat()).not.toContain('\\Seen');
    } finally {
      await client.logout();
    }
  });

  it('validate --connect exits 69 when a mailbox cannot be reached', async () => {
    const result = await cli(['validate', '--config', 'autopilot.yaml', '--connect'], { SUPPORT_PASSWORD: 'wrong' });
    expect(result.status).toBe(69);
    expect(result.stderr).toContain('mailbox support: could not connect to count the first pass');
  });

  it('the first start logs and journals the counts, then sends exactly the two replies', async () => {
    const result = await cli(['run', '--config', 'autopilot.yaml', '--once']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(LINE);
    expect(servers.smtpReceived).toHaveLength(2);
    const events = await cli(['events', '--config', 'autopilot.yaml', '--json']);
    expect(events.stdout).toContain('"mailbox.firstPass"');
    const status = JSON.parse((await cli(['status', '--config', 'autopilot.yaml', '--json'])).stdout);
    expect(status.mailboxes[0]).toMatchObject({
      startAt: 'all',
      firstPass: { startAt: 'all', examine: 5, wouldSend: 2, leftOut: 0 },
      baseline: null,
    });
    // A second start has a journal: it announces nothing.
    const second = await cli(['run', '--config', 'autopilot.yaml', '--once']);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).not.toContain('first pass will examine');
  });
});
