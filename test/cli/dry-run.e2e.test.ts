/**
 * `run --once --dry-run` (issue 15 point 2) against the test Dovecot and SMTP relay, as a user runs it: the dry run
 * prints the trace of every message and changes nothing (flags incl. \Seen as they were, every message still in
 * INBOX, no journal file, no mail received by the SMTP server, no handler run); the real `run --once` that follows
 * handles every message as if the dry run had not happened.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteJournalStore } from '../../runtime/journal/sqlite-store.js';
import { type MailServers, startMailServers } from '../../scripts/harness/mail-servers.js';
import { spawnCli } from '../support/cli.js';
import { folderState as folderOf } from '../support/imap-folder.js';

let servers: MailServers;
let dir: string;

beforeAll(async () => {
  servers = await startMailServers({ users: ['desk', 'ada', 'drop'] });
  dir = mkdtempSync(join(tmpdir(), 'dry-run-'));
  writeFileSync(join(dir, 'ca.pem'), readFileSync(servers.caFile));
  // The handler leaves a mark for every message it gets: a dry run must leave none.
  writeFileSync(
    join(dir, 'mark.mjs'),
    "import { appendFileSync } from 'node:fs'; for await (const _ of process.stdin); appendFileSync('handled.log', 'x\\n');\n",
  );
  const desk = servers.user('desk');
  writeFileSync(
    join(dir, 'desk.yaml'),
    [
      'journal: ./desk.db',
      'mailboxes:',
      '  - id: desk',
      `    server: imaps://127.0.0.1:${servers.ports.imaps}`,
      `    user: ${desk.user}`,
      '    password: ${DESK_PASSWORD}',
      '    tlsCa: ./ca.pem',
      '    smtp:',
      `      server: smtp://127.0.0.1:${servers.ports.smtp}`,
      `      user: ${desk.user}`,
      '      password: ${DESK_PASSWORD}',
      '      tlsCa: ./ca.pem',
      '    rules:',
      '      - name: optin',
      '        subject: { equals: "Newsletter confirmation" }',
      '        actions: [{ reply: { text: "Confirmed." } }, { moveTo: Done }]',
      '      - name: tickets',
      '        subject: { startsWith: "Ticket" }',
      '        run: ["node", "mark.mjs"]',
      '        actions: [markRead, { flag: "\\\\Flagged" }]',
      '',
    ].join('\n'),
  );
  const drop = servers.user('drop');
  writeFileSync(
    join(dir, 'drop.yaml'),
    [
      'journal: ./drop.db',
      'mailboxes:',
      '  - id: drop',
      '    service: pop3',
      `    server: pop3s://127.0.0.1:${servers.ports.pop3s}`,
      `    user: ${drop.user}`,
      '    password: ${DROP_PASSWORD}',
      '    tlsCa: ./ca.pem',
      '    rules:',
      '      - name: clean-up',
      '        subject: { startsWith: "Old" }',
      '        actions: [delete]',
      '',
    ].join('\n'),
  );
  await servers.deliver(drop.user, { subject: 'Old news', text: 'delete me' });
  await servers.deliver(drop.user, { subject: 'Keep this', text: 'no rule' });
  const ada = servers.user('ada').user;
  await servers.deliver(desk.user, { subject: 'Newsletter confirmation', from: ada, text: 'yes please' });
  await servers.deliver(desk.user, { subject: 'Ticket 1: printer', from: ada, text: 'it jams' });
  await servers.deliver(desk.user, {
    subject: 'Newsletter confirmation',
    from: ada,
    text: 'automatic',
    headers: { 'Auto-Submitted': 'auto-replied' },
  });
  await servers.deliver(desk.user, { subject: 'Hello', from: ada, text: 'no rule for this' });
}, 60_000);
afterAll(() => servers?.stop());

const run = (args: string[]) => spawnCli(args, { cwd: dir, env: { DESK_PASSWORD: servers.user('desk').password } });
const folderState = (folder: string) => folderOf(servers, 'desk', folder);

describe('mail-autopilot run --once --dry-run', () => {
  it('prints the trace of every message and changes nothing: flags, folders, journal, SMTP, handlers', async () => {
    const before = await folderState('INBOX');
    expect(before).toHaveLength(4);
    expect(before.every((m) => !m.flags.includes('\\Seen'))).toBe(true);

    const result = await run(['run', '--config', 'desk.yaml', '--once', '--dry-run', '--json']);
    expect(result.status, result.stderr).toBe(0);
    const { messages } = JSON.parse(result.stdout) as {
      messages: { mailbox: string; key: string; subject: string; rules: Record<string, unknown>[] }[];
    };
    expect(messages).toHaveLength(4);
    const bySubject = (subject: string) => messages.filter((m) => m.subject === subject);
    const [optin, automatic] = bySubject('Newsletter confirmation');
    expect(optin!.mailbox).toBe('desk');
    expect(optin!.rules[0]).toEqual({
      rule: 'optin',
      tried: true,
      matched: true,
      actions: [
        { kind: 'reply', to: [servers.user('ada').user] },
        { kind: 'moveTo', folder: 'Done' },
      ],
    });
    expect((automatic!.rules[0]!.actions as Record<string, unknown>[])[0]).toMatchObject({
      kind: 'reply',
      skipped: 'AUTO_SUBMITTED',
    });
    expect(bySubject('Ticket 1: printer')[0]!.rules[1]).toEqual({
      rule: 'tickets',
      tried: true,
      matched: true,
      handler: ['node', 'mark.mjs'],
      actions: [{ kind: 'markRead' }, { kind: 'flag', flag: '\\Flagged' }],
    });
    expect(bySubject('Hello')[0]!.rules).toEqual([
      {
        rule: 'optin',
        tried: true,
        matched: false,
        reason: 'subject equals "Newsletter confirmation": saw "Hello"',
      },
      { rule: 'tickets', tried: true, matched: false, reason: 'subject startsWith "Ticket": saw "Hello"' },
    ]);

    expect(await folderState('INBOX')).toEqual(before);
    expect(await folderState('Done')).toEqual([]);
    expect(existsSync(join(dir, 'desk.db'))).toBe(false);
    expect(existsSync(join(dir, 'handled.log'))).toBe(false);
    expect(servers.smtpReceived).toHaveLength(0);
  });

  it('prints a readable trace without --json, and a second dry run sees the same messages', async () => {
    const result = await run(['run', '--config', 'desk.yaml', '--once', '--dry-run']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('optin: MATCHED');
    expect(result.stdout).toMatch(/reply to \S+: skipped AUTO_SUBMITTED/);
    expect(result.stdout).toContain('tickets: no match: subject startsWith "Ticket": saw "Hello"');
    expect(result.stderr).toContain('dry run: 4 message(s) would be handled');
    expect(existsSync(join(dir, 'desk.db'))).toBe(false);
  });

  it('then a real run --once handles every message as if the dry run had not happened', async () => {
    const result = await run(['run', '--config', 'desk.yaml', '--once']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('3 handled, 1 unmatched, 1 skipped');
    expect(readFileSync(join(dir, 'handled.log'), 'utf8')).toBe('x\n');
    const replies = servers.smtpReceived.filter((m) =>
      m.raw.toString().includes('Subject: Re: Newsletter confirmation'),
    );
    expect(replies).toHaveLength(1);
    const done = await folderState('Done');
    expect(done.map((m) => m.subject)).toEqual(['Newsletter confirmation', 'Newsletter confirmation']);
    const ticket = (await folderState('INBOX')).find((m) => m.subject === 'Ticket 1: printer');
    expect(ticket?.flags).toEqual(['\\Flagged', '\\Seen']);
  });

  it('a dry run beside a running writer finds nothing left to do and leaves the journal as it was', async () => {
    // A service holding the writer lock meanwhile: the dry run reads beside it (no lock, no exit 73). The files are
    // compared while that writer is open: its own close checkpoints the WAL, which rewrites the file's header.
    const writer = new SqliteJournalStore(join(dir, 'desk.db'));
    const files = () =>
      ['desk.db', 'desk.db-wal'].map((f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f)) : null));
    const before = files();
    try {
      const result = await run(['run', '--config', 'desk.yaml', '--once', '--dry-run', '--json']);
      expect(result.status, result.stderr).toBe(0);
      const { messages } = JSON.parse(result.stdout) as { messages: unknown[] };
      // The message no rule matched is recorded as examined; every other one is finished.
      expect(messages).toEqual([]);
      expect(files()).toEqual(before);
    } finally {
      await writer.close();
    }
  });

  it('POP3: a dry run sends no DELE (every message stays in the maildrop); the real run deletes', async () => {
    const env = { DROP_PASSWORD: servers.user('drop').password };
    const dry = await spawnCli(['run', '--config', 'drop.yaml', '--once', '--dry-run', '--json'], { cwd: dir, env });
    expect(dry.status, dry.stderr).toBe(0);
    const { messages } = JSON.parse(dry.stdout) as { messages: { subject: string; rules: unknown[] }[] };
    expect(messages.map((m) => m.subject).sort()).toEqual(['Keep this', 'Old news']);
    expect(messages.find((m) => m.subject === 'Old news')!.rules).toEqual([
      { rule: 'clean-up', tried: true, matched: true, actions: [{ kind: 'delete' }] },
    ]);
    expect((await folderOf(servers, 'drop', 'INBOX')).map((m) => m.subject)).toEqual(['Old news', 'Keep this']);
    expect(existsSync(join(dir, 'drop.db'))).toBe(false);

    const real = await spawnCli(['run', '--config', 'drop.yaml', '--once'], { cwd: dir, env });
    expect(real.status, real.stderr).toBe(0);
    expect((await folderOf(servers, 'drop', 'INBOX')).map((m) => m.subject)).toEqual(['Keep this']);
  });

  it('refuses --dry-run without --once (64)', async () => {
    const result = await run(['run', '--config', 'desk.yaml', '--dry-run']);
    expect(result.status).toBe(64);
    expect(result.stderr).toContain('--dry-run needs --once');
  });
});
