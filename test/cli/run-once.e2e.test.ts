/**
 * The example configuration of the README (docs/examples/autopilot.yaml) run with `mail-autopilot run --once`
 * against the test Dovecot, as a user runs it: a bounce goes to the command handler and is marked read, a newsletter
 * confirmation is answered and moved; a mailbox that cannot connect makes `--once` exit 69.
 */
import { copyFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MailServers, startMailServers } from '../../scripts/harness/mail-servers.js';
import { REPO_ROOT, spawnCli } from '../support/cli.js';

let servers: MailServers;
let dir: string;

beforeAll(async () => {
  servers = await startMailServers({ users: ['support', 'customer'] });
  dir = mkdtempSync(join(tmpdir(), 'example-once-'));
  cpSync(join(REPO_ROOT, 'docs/examples/handlers'), join(dir, 'handlers'), { recursive: true });
  copyFileSync(servers.caFile, join(dir, 'ca.pem'));
  const example = readFileSync(join(REPO_ROOT, 'docs/examples/autopilot.yaml'), 'utf8')
    .replace('imaps://127.0.0.1:31993', `imaps://127.0.0.1:${servers.ports.imaps}`)
    .replace('smtp://127.0.0.1:31025', `smtp://127.0.0.1:${servers.ports.smtp}`);
  // The SMTP relay's certificate is signed by the run's CA too: tell the smtp block where it is.
  writeFileSync(
    join(dir, 'autopilot.yaml'),
    example.replace(/( {6}password: \$\{SUPPORT_PASSWORD\}\n)( {4}rules:)/, '$1      tlsCa: ./ca.pem\n$2'),
  );
  const support = servers.user('support').user;
  const customer = servers.user('customer').user;
  await servers.deliver(support, {
    subject: 'Undelivered Mail Returned to Sender',
    from: 'MAILER-DAEMON@example.test',
    text: 'Final-Recipient: rfc822; gone@example.test\n',
  });
  await servers.deliver(support, { subject: 'Newsletter confirmation', from: customer, text: 'yes please' });
}, 60_000);
afterAll(() => servers?.stop());

/** Runs the CLI without blocking this process: the SMTP relay the CLI talks to lives in the test process. */
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnCli(args, { cwd: dir, env: { SUPPORT_PASSWORD: servers.user('support').password, ...env } });

describe('mail-autopilot run --once with the example config', () => {
  it('handles what is there and exits 0', async () => {
    const result = await run(['run', '--config', 'autopilot.yaml', '--once']);
    expect(result.status, result.stderr).toBe(0);
    const bounces = readFileSync(join(dir, 'bounces.log'), 'utf8');
    expect(bounces).toContain('gone@example.test');
    expect(bounces).toContain('Undelivered Mail Returned to Sender');
  });

  it('answered the confirmation (read back from the customer mailbox) and a second run does nothing new', async () => {
    const again = await run(['run', '--config', 'autopilot.yaml', '--once']);
    expect(again.status, again.stderr).toBe(0);
    expect(readFileSync(join(dir, 'bounces.log'), 'utf8').trim().split('\n')).toHaveLength(1);
    const replies = servers.smtpReceived.filter((m) =>
      m.raw.toString().includes('Subject: Re: Newsletter confirmation'),
    );
    expect(replies).toHaveLength(1);
    expect(replies[0]?.rcptTo).toEqual([servers.user('customer').user]);
  });

  it('exits 69 and names the mailbox when it cannot connect', async () => {
    const result = await run(['run', '--config', 'autopilot.yaml', '--once'], { SUPPORT_PASSWORD: 'wrong' });
    expect(result.status).toBe(69);
    expect(result.stderr).toMatch(/mailbox support: could not connect: AUTH_FAILED/);
  });

  it('exits 78 with an error naming the mailbox and field when the config is invalid', async () => {
    writeFileSync(join(dir, 'bad.yaml'), 'mailboxes:\n  - id: support\n    service: pop3\n    unreadOnly: true\n');
    const result = await run(['run', '--config', 'bad.yaml', '--once']);
    expect(result.status).toBe(78);
    expect(result.stderr).toMatch(/mailbox "support" \(mailboxes\[0\]\.unreadOnly\)/);
  });
});
