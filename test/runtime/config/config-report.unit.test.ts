/**
 * The config layer as the one place of defaults and checks (issue 13 points 1 and 6, issue 14 point 2): SMTP
 * inherits from its mailbox, problems come all at once with line and column and without the file's text, read-only
 * commands need no secrets, each service accepts only its own keys and server syntax.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue } from '../../../runtime/config/errors.js';
import { inspectConfigFile, loadConfig, validateConfig } from '../../../runtime/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'config-report-'));
const base = { baseDir: dir, env: {}, platform: 'linux' as const };
const imap = (extra: Record<string, unknown> = {}) => ({
  id: 'support',
  server: 'imaps://127.0.0.1:31993',
  user: 'support@example.test',
  password: 'pw',
  ...extra,
});

function issuesOf(raw: unknown, options: Record<string, unknown> = {}): readonly ConfigIssue[] {
  try {
    validateConfig(raw, { ...base, ...options });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

function file(name: string, lines: readonly string[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n'));
  return path;
}

describe('smtp defaults to the mailbox (issue 13.1)', () => {
  it('regression "reply dead-lettered TLS_CERT_INVALID: smtp did not get the mailbox\'s tlsCa": tlsCa, user and password come from the mailbox', () => {
    const config = validateConfig(
      { mailboxes: [imap({ tlsCa: './ca.pem', smtp: { server: 'smtp://127.0.0.1:31587' } })] },
      base,
    );
    expect(config.mailboxes[0]?.smtp).toEqual({
      server: 'smtp://127.0.0.1:31587',
      user: 'support@example.test',
      password: 'pw',
      oauth2: false,
      tlsCa: join(dir, 'ca.pem'),
      allowPlaintext: false,
      from: 'support@example.test',
    });
  });

  it('its own values win; allowPlaintext is never inherited', () => {
    writeFileSync(join(dir, 'smtp-pw.txt'), 'smtp-secret\n');
    const config = validateConfig(
      {
        mailboxes: [
          imap({
            tlsCa: './ca.pem',
            allowPlaintext: true,
            smtp: {
              server: 'smtp://h',
              user: 'relay',
              passwordFile: 'smtp-pw.txt',
              tlsCa: '/etc/relay-ca.pem',
              from: 'x@example.test',
            },
          }),
        ],
      },
      base,
    );
    expect(config.mailboxes[0]?.smtp).toMatchObject({
      user: 'relay',
      password: 'smtp-secret',
      tlsCa: '/etc/relay-ca.pem',
      allowPlaintext: false,
      from: 'x@example.test',
    });
  });

  it('a mailbox with oauth2 signs in to SMTP with it unless smtp gives a password', () => {
    const oauth2 = { clientId: '00000000-0000-0000-0000-000000000001' };
    const mailbox = { id: 'o', server: 'outlook.office365.com', user: 'o@contoso.test', oauth2 };
    const inherited = validateConfig({ mailboxes: [{ ...mailbox, smtp: { server: 'smtp.office365.com:587' } }] }, base);
    expect(inherited.mailboxes[0]?.smtp).toMatchObject({ oauth2: true, password: undefined, user: 'o@contoso.test' });
    const own = validateConfig(
      { mailboxes: [{ ...mailbox, smtp: { server: 'smtp.office365.com:587', user: 'relay', password: 'r' } }] },
      base,
    );
    expect(own.mailboxes[0]?.smtp).toMatchObject({ oauth2: false, password: 'r' });
  });
});

describe('config errors: position, no source text, all at once (issue 13.6)', () => {
  it.each([
    ['password: @x7Secret', 'x7Secret'],
    ['password: `x7Secret', 'x7Secret'],
    ['password: %x7Secret', 'x7Secret'],
    ['password: x7Secret: def', 'x7Secret'],
  ])('a YAML syntax error on `%s` gives line and column and never the password', (line, secret) => {
    const path = file('secret.yaml', [
      'mailboxes:',
      '  - id: support',
      '    server: imaps://h',
      `    ${line}`,
      '    user: u',
    ]);
    let message = '';
    try {
      loadConfig(path, { platform: 'linux' });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as ConfigError).message;
    }
    expect(message).toMatch(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: `));
    expect(message).not.toContain(secret);
    expect(message).not.toContain('password:');
  });

  it('schema problems, rule problems and service checks in one report, each with its line and column', () => {
    const path = file('many.yaml', [
      'mailboxes:',
      '  - id: support',
      '    server: imaps://h',
      '    user: u',
      '    password: p',
      '    pollInterval: soon',
      '    rules:',
      '      - name: bad',
      '        subject: { regex: "[" }',
      '        actions: [markRead]',
      '  - id: bounces',
      '    service: pop3',
      '    server: pop3s://h',
      '    user: b',
      '    password: p',
      '    rules:',
      '      - name: seen',
      '        subject: x',
      '        actions: [markRead]',
    ]);
    const inspection = inspectConfigFile(path, { platform: 'linux' });
    const found = inspection.issues.map((i) => `${i.line}:${i.column} ${i.path}`);
    expect(found).toEqual([
      '6:19 mailboxes[0].pollInterval',
      '9:27 mailboxes[0].rules[0].subject.regex',
      // POP3 cannot mark read: a service check, reported with the schema and rule problems above.
      '19:19 mailboxes[1].rules[0].actions[0].markRead',
    ]);
  });

  it('JSON errors have line and column too', () => {
    const path = file('bad.json', [
      '{',
      '  "mailboxes": [',
      '    { "id": "a", "server": "ftp://h", "user": "u", "password": "p" }',
      '  ]',
      '}',
    ]);
    const [issue] = inspectConfigFile(path, { platform: 'linux' }).issues;
    expect(issue).toMatchObject({ path: 'mailboxes[0].server', line: 3 });
  });
});

describe('secrets only where needed (issue 13.6)', () => {
  const raw = {
    mailboxes: [
      imap({ password: '${SUPPORT_PASSWORD}', smtp: { server: 'smtp://h', passwordFile: 'missing-pw.txt' } }),
    ],
  };

  it('run needs them: each unset variable and unreadable passwordFile is a problem', () => {
    expect(issuesOf(raw).map((i) => `${i.path}: ${i.message}`)).toEqual([
      expect.stringMatching(/^mailboxes\[0\]\.smtp\.passwordFile: cannot read .*missing-pw\.txt: ENOENT$/),
      'mailboxes[0].password: environment variable SUPPORT_PASSWORD is not set',
    ]);
  });

  it('read-only commands do not: the config loads, the missing secrets are listed', () => {
    const path = file('secrets.yaml', [
      'journal: ${JOURNAL_FILE:-./j.db}',
      'mailboxes:',
      '  - id: support',
      '    server: ${IMAP_HOST}',
      '    user: u',
      '    password: ${SUPPORT_PASSWORD}',
    ]);
    const inspection = inspectConfigFile(path, { platform: 'linux', env: {}, secrets: 'optional' });
    expect(inspection.issues).toEqual([]);
    expect(inspection.config?.journal).toBe(join(dir, 'j.db'));
    expect(inspection.missingSecrets.map((i) => i.message)).toEqual([
      'environment variable IMAP_HOST is not set',
      'environment variable SUPPORT_PASSWORD is not set',
    ]);
    expect(inspection.variables.map((v) => `${v.variable}:${v.set}`)).toEqual([
      'JOURNAL_FILE:true',
      'IMAP_HOST:false',
      'SUPPORT_PASSWORD:false',
    ]);
  });

  it('but the journal they read must be known', () => {
    const issues = issuesOf({ journal: '${JOURNAL_URL}', mailboxes: [imap()] }, { secrets: 'optional' });
    expect(issues).toEqual([{ path: 'journal', message: 'environment variable JOURNAL_URL is not set' }]);
  });
});

describe('each service accepts its own keys and server syntax (issue 14.2)', () => {
  it.each([
    [imap({ server: 'ftp://mail.example.test' }), 'mailboxes[0].server', /scheme/],
    [imap({ service: 'pop3', server: 'imaps://h' }), 'mailboxes[0].server', /scheme/],
    [imap({ smtp: { server: 'imap://h' } }), 'mailboxes[0].smtp.server', /scheme/],
    [imap({ service: 'pop3', server: 'pop3s://h', folder: 'Archive' }), 'mailboxes[0].folder', /POP3 has no folders/],
    [imap({ service: 'pop3', server: 'pop3s://h', saveSent: true }), 'mailboxes[0].saveSent', /IMAP Sent folder/],
    [imap({ service: 'pop3', server: 'pop3s://h', unreadOnly: true }), 'mailboxes[0].unreadOnly', /SPEC S5/],
    [imap({ service: 'pop3', server: 'pop3s://h', safetyPoll: '1m' }), 'mailboxes[0].safetyPoll', /IMAP IDLE/],
    [imap({ commandTimeout: '10s' }), 'mailboxes[0].commandTimeout', /connectTimeout/],
    [imap({ profile: 'Support' }), 'mailboxes[0].profile', /only to MAPI/],
    [imap({ password: 'p', passwordFile: 'pw.txt' }), 'mailboxes[0].passwordFile', /not both/],
  ])('%j is refused at %s', (mailbox, path, message) => {
    const issues = issuesOf({ mailboxes: [mailbox] });
    expect(issues).toContainEqual(
      expect.objectContaining({ mailboxId: 'support', path, message: expect.stringMatching(message) }),
    );
  });

  it('MAPI mailboxes take no server keys; Simple MAPI no folder', () => {
    const win = { platform: 'win32' };
    const issues = issuesOf({ mailboxes: [{ id: 'o', service: 'mapi-simple', server: 'h', folder: 'Archive' }] }, win);
    expect(issues.map((i) => i.path)).toEqual(['mailboxes[0].server', 'mailboxes[0].folder']);
  });

  it('a password in a refused server URL is not echoed', () => {
    const [issue] = issuesOf({ mailboxes: [imap({ server: 'ftp://u:hunter2@h' })] });
    expect(issue?.message).not.toContain('hunter2');
  });

  it('defaults by service, set once: folder, unreadOnly, saveSent; new keys of issue 13', () => {
    const config = validateConfig(
      { mailboxes: [imap(), imap({ id: 'b', service: 'pop3', server: 'pop3s://h', saveSent: false })] },
      base,
    );
    expect(config.mailboxes.map((m) => [m.folder, m.unreadOnly, m.saveSent])).toEqual([
      ['INBOX', false, true],
      ['INBOX', false, false],
    ]);
    expect(config.mailboxes[0]?.pollInterval).toBe(60_000);
    expect(config.mailboxes[0]?.autoReply.perRulePerHour).toBe(100);
    expect(config.http.allowedHosts).toEqual([]);
  });
});
