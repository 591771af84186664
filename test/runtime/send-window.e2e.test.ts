/**
 * Sends as safe as they can be (issue 13 point 4), proven by killing `run --once` exactly between the SMTP server's
 * acceptance of a reply and the journal (failpoints, runtime/failpoint.ts), against the test Dovecot and SMTP relay:
 *
 * - killed after the copy was saved in Sent: the restart finds the reply there by its Message-ID and does not send
 *   it again (one mail at the recipient), and the journal records the reply as done (recovered);
 * - killed after acceptance, before the copy: the documented window — the restart sends it again, with the same
 *   Message-ID (docs/rules.md, "Guarantees and their windows");
 * - without a kill, every reply has its copy in Sent (`saveSent` is on by default for IMAP).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../runtime/journal/events.js';
import { SqliteJournalStore } from '../../runtime/journal/sqlite-store.js';
import { type MailServers, startMailServers } from '../../scripts/harness/mail-servers.js';
import { cliCommand } from '../support/cli.js';

let servers: MailServers;

beforeAll(async () => {
  servers = await startMailServers({ users: ['desk', 'kept', 'window', 'customer'] });
}, 60_000);
afterAll(() => servers?.stop());

function setUp(user: string): string {
  const dir = mkdtempSync(join(tmpdir(), `send-window-${user}-`));
  copyFileSync(servers.caFile, join(dir, 'ca.pem'));
  const account = servers.user(user);
  writeFileSync(
    join(dir, 'autopilot.yaml'),
    [
      'journal: ./journal.db',
      'mailboxes:',
      `  - id: ${user}`,
      `    server: imaps://127.0.0.1:${servers.ports.imaps}`,
      `    user: ${account.user}`,
      `    password: ${account.password}`,
      '    tlsCa: ./ca.pem',
      '    unreadOnly: true',
      `    smtp: { server: "smtp://127.0.0.1:${servers.ports.smtp}" }`,
      '    rules:',
      '      - name: confirm',
      '        subject: { equals: "Please confirm" }',
      '        actions:',
      '          - reply: { text: "Confirmed." }',
      '          - markRead',
    ].join('\n'),
  );
  return dir;
}

function run(dir: string, failpoint?: string): Promise<number | null> {
  const [program, argv] = cliCommand(['run', '--config', 'autopilot.yaml', '--once']);
  const child = spawn(program, argv, {
    cwd: dir,
    env: { ...process.env, ...(failpoint ? { MAIL_AUTOPILOT_FAILPOINT: failpoint } : {}) },
    stdio: 'ignore',
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(signal === 'SIGKILL' ? -9 : code);
    }),
  );
}

function repliesTo(customer: string, messageId?: string) {
  return servers.smtpReceived.filter(
    (m) =>
      m.rcptTo.includes(customer) &&
      m.raw.toString().includes('Subject: Re: Please confirm') &&
      (messageId === undefined || m.raw.toString().includes(messageId)),
  );
}

async function sentCopies(user: string): Promise<string[]> {
  const account = servers.user(user);
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: servers.ports.imaps,
    secure: true,
    auth: { user: account.user, pass: account.password },
    tls: { ca: readFileSync(servers.caFile) },
    logger: false,
  });
  await client.connect();
  try {
    const sent = (await client.list()).find((box) => box.specialUse === '\\Sent');
    if (!sent) return [];
    const lock = await client.getMailboxLock(sent.path);
    try {
      const ids: string[] = [];
      for await (const row of client.fetch('1:*', { envelope: true })) ids.push(row.envelope?.messageId ?? '');
      return ids;
    } finally {
      lock.release();
    }
  } catch {
    return [];
  } finally {
    await client.logout().catch(() => undefined);
  }
}

async function journal(dir: string): Promise<StoredEvent[]> {
  const store = new SqliteJournalStore(join(dir, 'journal.db'), { lock: false });
  try {
    return [...(await store.read())];
  } finally {
    await store.close();
  }
}

describe('a kill between the SMTP server accepting a reply and the journal', () => {
  it('keeps a copy of every reply in Sent', async () => {
    const dir = setUp('desk');
    const customer = servers.user('customer').user;
    await servers.deliver(servers.user('desk').user, { subject: 'Please confirm', from: customer, text: 'desk' });
    expect(await run(dir)).toBe(0);
    const done = (await journal(dir)).find((e) => e.type === 'action.done' && e.kind === 'reply');
    const sentId = (done as { sentMessageId?: string }).sentMessageId!;
    expect(await sentCopies('desk')).toContain(sentId);
    expect(repliesTo(customer, sentId)).toHaveLength(1);
  });

  it('after the copy was saved: the restart finds it in Sent and does not send again', async () => {
    const dir = setUp('kept');
    const customer = servers.user('customer').user;
    await servers.deliver(servers.user('kept').user, { subject: 'Please confirm', from: customer, text: 'kept' });
    expect(await run(dir, 'after-sent-copy')).toBe(-9);
    const before = repliesTo(customer).length;
    expect(await run(dir)).toBe(0);
    expect(repliesTo(customer).length).toBe(before);
    const events = await journal(dir);
    const done = events.filter((e) => e.type === 'action.done' && e.kind === 'reply');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ recovered: true });
    expect(events.filter((e) => e.type === 'message.handled')).toHaveLength(1);
  });

  it('after acceptance, before the copy: the documented window — sent again with the same Message-ID', async () => {
    const dir = setUp('window');
    const customer = servers.user('customer').user;
    const before = repliesTo(customer).length;
    await servers.deliver(servers.user('window').user, { subject: 'Please confirm', from: customer, text: 'window' });
    expect(await run(dir, 'after-smtp-accepted')).toBe(-9);
    expect(await run(dir)).toBe(0);
    const events = await journal(dir);
    const done = events.find((e) => e.type === 'action.done' && e.kind === 'reply') as { sentMessageId?: string };
    const copies = repliesTo(customer, done.sentMessageId);
    expect(repliesTo(customer).length - before).toBe(2);
    expect(copies).toHaveLength(2);
  });
});
