/**
 * `mail-autopilot test` as a user runs it (issue 15 point 1): the CLI spawned on a config and .eml files, connecting
 * nowhere (the servers in the config do not exist). The JSON document's shape, stop semantics, loop protection's
 * verdict (AUTO_SUBMITTED), --mailbox selection, and the exit codes 0, 64, 65 and 78.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../support/cli.js';

let dir: string;

const eml = (headers: string[], body = 'Hello.') => `${headers.join('\r\n')}\r\n\r\n${body}\r\n`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'test-command-'));
  // Port 9 (discard) on a closed address: a `test` that tried to connect would fail loudly.
  const mailbox = (id: string, rules: string[]) => [
    `  - id: ${id}`,
    '    server: imaps://127.0.0.1:9',
    `    user: ${id}@example.test`,
    '    password: ${UNSET_PASSWORD}',
    '    smtp: { server: "smtp://127.0.0.1:9" }',
    '    rules:',
    ...rules,
  ];
  const supportRules = [
    '      - name: optin',
    '        subject: { equals: "Newsletter confirmation" }',
    '        run: ["node", "x.js"]',
    '        actions: [{ reply: { text: "Confirmed." } }, { moveTo: Done }]',
    '      - name: bounces',
    '        subject: { startsWith: "Undelivered" }',
    '        stop: true',
    '        actions: [{ forward: { to: ["OPS@example.test"] } }, { flag: "\\\\Flagged" }]',
    '      - name: everything',
    '        matchAll: true',
    '        actions: [markRead]',
    '      - name: lists',
    '        header: { name: List-Id }',
    '        actions: [delete]',
  ];
  writeFileSync(
    join(dir, 'one.yaml'),
    ['journal: ./never.db', 'mailboxes:', ...mailbox('support', supportRules)].join('\n'),
  );
  writeFileSync(
    join(dir, 'two.yaml'),
    [
      'journal: ./never.db',
      'mailboxes:',
      ...mailbox('support', supportRules),
      ...mailbox('sales', [
        '      - name: offers',
        '        subject: { contains: "offer" }',
        '        actions: [markRead]',
      ]),
    ].join('\n'),
  );
  writeFileSync(join(dir, 'bad.yaml'), 'mailboxes:\n  - id: support\n    service: pop3\n    unreadOnly: true\n');
  writeFileSync(
    join(dir, 'optin.eml'),
    eml([
      'From: Ada <ada@example.test>',
      'To: support@example.test',
      'Subject: Newsletter confirmation',
      'Message-ID: <1@example.test>',
    ]),
  );
  writeFileSync(
    join(dir, 'auto.eml'),
    eml([
      'From: Ada <ada@example.test>',
      'Subject: =?UTF-8?Q?Newsletter_confirmation?=',
      'Auto-Submitted: auto-replied',
      'Message-ID: <2@example.test>',
    ]),
  );
  writeFileSync(
    join(dir, 'bounce.eml'),
    eml([
      'From: MAILER-DAEMON@example.test',
      'Subject: Undelivered Mail Returned to Sender',
      'Message-ID: <3@example.test>',
    ]),
  );
  writeFileSync(
    join(dir, 'hello.eml'),
    eml(['From: bob@example.test', 'Subject: Hello', 'List-Id: <news.example.test>']),
  );
  writeFileSync(join(dir, 'empty.eml'), '');
});

const test = (args: string[]) => spawnCli(['test', ...args], { cwd: dir });

function parsed(stdout: string) {
  return JSON.parse(stdout) as {
    messages: { file: string; mailbox: string; error?: { code: string; message: string }; rules: unknown[] }[];
  };
}

describe('mail-autopilot test', () => {
  it('prints one JSON document: each rule tried in order, why not, handler argv and actions with recipients', async () => {
    const result = await test(['--config', 'one.yaml', '--json', 'optin.eml', 'hello.eml']);
    expect(result.status, result.stderr).toBe(0);
    const { messages } = parsed(result.stdout);
    expect(messages.map((m) => [m.file, m.mailbox])).toEqual([
      ['optin.eml', 'support'],
      ['hello.eml', 'support'],
    ]);
    expect(messages[0]!.rules).toEqual([
      {
        rule: 'optin',
        tried: true,
        matched: true,
        handler: ['node', 'x.js'],
        actions: [
          { kind: 'reply', to: ['ada@example.test'] },
          { kind: 'moveTo', folder: 'Done' },
        ],
      },
      {
        rule: 'bounces',
        tried: true,
        matched: false,
        reason: 'subject startsWith "Undelivered": saw "Newsletter confirmation"',
      },
      { rule: 'everything', tried: true, matched: true, actions: [{ kind: 'markRead' }] },
      { rule: 'lists', tried: true, matched: false, reason: 'header list-id exists: saw none' },
    ]);
    expect(messages[1]!.rules[3]).toEqual({ rule: 'lists', tried: true, matched: true, actions: [{ kind: 'delete' }] });
  });

  it('lists the rules after a matching stop rule as not tried; a forward goes to bare addresses', async () => {
    const result = await test(['--config', 'one.yaml', '--json', 'bounce.eml']);
    expect(result.status, result.stderr).toBe(0);
    expect(parsed(result.stdout).messages[0]!.rules.slice(1)).toEqual([
      {
        rule: 'bounces',
        tried: true,
        matched: true,
        actions: [
          { kind: 'forward', to: ['ops@example.test'] },
          { kind: 'flag', flag: '\\Flagged' },
        ],
      },
      { rule: 'everything', tried: false },
      { rule: 'lists', tried: false },
    ]);
  });

  it('marks a reply loop protection would refuse as skipped with its code (encoded subject decoded)', async () => {
    const result = await test(['--config', 'one.yaml', '--json', 'auto.eml']);
    expect(result.status, result.stderr).toBe(0);
    const optin = parsed(result.stdout).messages[0]!.rules[0] as { actions: Record<string, unknown>[] };
    expect(optin.actions[0]).toMatchObject({ kind: 'reply', to: ['ada@example.test'], skipped: 'AUTO_SUBMITTED' });
    expect(optin.actions[1]).toEqual({ kind: 'moveTo', folder: 'Done' });
  });

  it('prints a readable trace without --json', async () => {
    const result = await test(['--config', 'one.yaml', 'auto.eml', 'bounce.eml']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('auto.eml "Newsletter confirmation" (mailbox support)');
    expect(result.stdout).toMatch(/reply to ada@example\.test: skipped AUTO_SUBMITTED/);
    expect(result.stdout).toContain('everything: not tried');
    expect(result.stdout).toContain('handler: node x.js');
  });

  it('needs --mailbox when the config has several, and uses the one named', async () => {
    const missing = await test(['--config', 'two.yaml', 'optin.eml']);
    expect(missing.status).toBe(64);
    expect(missing.stderr).toContain('--mailbox');
    const unknown = await test(['--config', 'two.yaml', '--mailbox', 'nope', 'optin.eml']);
    expect(unknown.status).toBe(64);
    expect(unknown.stderr).toContain('"nope"');
    const sales = await test(['--config', 'two.yaml', '--mailbox', 'sales', '--json', 'optin.eml']);
    expect(sales.status, sales.stderr).toBe(0);
    expect(parsed(sales.stdout).messages[0]).toMatchObject({ file: 'optin.eml', mailbox: 'sales' });
    expect(parsed(sales.stdout).messages[0]!.rules).toEqual([
      {
        rule: 'offers',
        tried: true,
        matched: false,
        reason: 'subject contains "offer": saw "Newsletter confirmation"',
      },
    ]);
  });

  it('exits 64 without a file or with an unknown option, 78 on an invalid config', async () => {
    expect((await test(['--config', 'one.yaml'])).status).toBe(64);
    expect((await test(['--config', 'one.yaml', '--frobnicate', 'optin.eml'])).status).toBe(64);
    expect((await test(['optin.eml'])).status).toBe(64);
    const bad = await test(['--config', 'bad.yaml', 'optin.eml']);
    expect(bad.status).toBe(78);
    expect(bad.stderr).toMatch(/unreadOnly/);
  });

  it('reports an unreadable or empty file by name, still tries the others, and exits 65', async () => {
    const result = await test(['--config', 'one.yaml', '--json', 'missing.eml', 'empty.eml', 'optin.eml']);
    expect(result.status).toBe(65);
    const { messages } = parsed(result.stdout);
    expect(messages[0]).toMatchObject({ file: 'missing.eml', error: { code: 'ENOENT' }, rules: [] });
    expect(messages[0]!.error!.message).toContain('missing.eml');
    expect(messages[1]).toMatchObject({ file: 'empty.eml', error: { code: 'MALFORMED_MESSAGE' } });
    expect(messages[2]!.rules).toHaveLength(4);
    expect(result.stderr).toContain('missing.eml');
  });
});
