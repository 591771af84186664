/**
 * Configuration: YAML/JSON, ${ENV} substitution, validation errors that name the mailbox and the field, and the
 * spec's configuration rules (S1 MAPI needs Windows, S2 profile in service mode, S5 no unreadOnly on POP3).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../runtime/config/duration.js';
import { substituteEnv } from '../../../runtime/config/env.js';
import { ConfigError } from '../../../runtime/config/errors.js';
import { loadConfig, validateConfig } from '../../../runtime/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'config-test-'));
const base = { baseDir: dir, env: {}, platform: 'linux' as const };
const imap = (extra: Record<string, unknown> = {}) => ({
  id: 'support',
  server: 'imaps://127.0.0.1:31993',
  user: 'support@example.test',
  password: 'pw',
  ...extra,
});

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('durations', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['2 min', 120_000],
    [250, 250],
    ['1000', 1000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', 'abc', '5x', '-1s', '1h junk'])('%j is not a duration', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});

describe('${ENV} substitution', () => {
  it('replaces variables in values, supports defaults and $${ escapes', () => {
    expect(substituteEnv({ a: '${X}', b: ['x-${Y:-def}'], c: '$${X}', d: 3 }, { X: '1' })).toEqual({
      a: '1',
      b: ['x-def'],
      c: '${X}',
      d: 3,
    });
  });

  it('an unset variable is an error naming the mailbox and the field', () => {
    const issues = issuesOf(() => validateConfig({ mailboxes: [imap({ password: '${SUPPORT_PASSWORD}' })] }, base));
    expect(issues).toEqual([
      {
        mailboxId: 'support',
        path: 'mailboxes[0].password',
        message: 'environment variable SUPPORT_PASSWORD is not set',
      },
    ]);
  });
});

describe('validation', () => {
  it('applies documented defaults and resolves paths next to the config file', () => {
    const config = validateConfig({ mailboxes: [imap({ tlsCa: './ca.pem' })] }, base);
    expect(config.journal).toBe(join(dir, 'autopilot.db'));
    const [mailbox] = config.mailboxes;
    expect(mailbox).toMatchObject({
      service: 'imap',
      folder: 'INBOX',
      pollInterval: 60_000,
      tlsCa: join(dir, 'ca.pem'),
      allowPlaintext: false,
      handler: { retries: 3, retryDelay: 5_000, timeout: 60_000, concurrency: 1 },
    });
  });

  it('reports every problem at once, each naming the mailbox and the field path', () => {
    const issues = issuesOf(() =>
      validateConfig(
        {
          mailboxes: [
            { id: 'a', server: 'imap://x', user: 'u', password: 'p', pollInterval: 'soon' },
            { id: 'b', service: 'imap' },
            { id: 'a', server: 'x', user: 'u', password: 'p' },
          ],
        },
        base,
      ),
    );
    expect(issues).toContainEqual(
      expect.objectContaining({
        mailboxId: 'a',
        path: 'mailboxes[0].pollInterval',
        message: expect.stringContaining('"soon"'),
      }),
    );
    const semantic = issuesOf(() =>
      validateConfig(
        {
          mailboxes: [
            { id: 'b', service: 'imap' },
            { id: 'a', server: 'x', user: 'u', password: 'p' },
            { id: 'a', server: 'x', user: 'u', password: 'p' },
          ],
        },
        base,
      ),
    );
    expect(semantic.map((i) => `${i.mailboxId} ${i.path}`)).toEqual([
      'b mailboxes[0].server',
      'b mailboxes[0].user',
      'b mailboxes[0].password',
      'a mailboxes[2].id',
    ]);
  });

  it('rejects unknown keys instead of ignoring a typo', () => {
    const issues = issuesOf(() => validateConfig({ mailboxes: [imap({ unreadOnyl: true })] }, base));
    expect(issues[0]).toMatchObject({ mailboxId: 'support', path: 'mailboxes[0].unreadOnyl', message: 'unknown key' });
  });

  it('bodyMatchBytes (issue 15 point 6): 64 KiB unless set; a positive whole number', () => {
    expect(validateConfig({ mailboxes: [imap()] }, base).mailboxes[0]?.bodyMatchBytes).toBe(65_536);
    expect(validateConfig({ mailboxes: [imap({ bodyMatchBytes: 1000 })] }, base).mailboxes[0]?.bodyMatchBytes).toBe(
      1000,
    );
    const issues = issuesOf(() => validateConfig({ mailboxes: [imap({ bodyMatchBytes: 0 })] }, base));
    expect(issues[0]).toMatchObject({ mailboxId: 'support', path: 'mailboxes[0].bodyMatchBytes' });
  });

  it('S5: unreadOnly on a POP3 mailbox is an error that says why', () => {
    const issues = issuesOf(() =>
      validateConfig({ mailboxes: [imap({ service: 'pop3', server: 'pop3s://h:995', unreadOnly: true })] }, base),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ mailboxId: 'support', path: 'mailboxes[0].unreadOnly' });
    expect(issues[0]?.message).toMatch(/POP3 always sees every message.*S5/);
  });

  it('S1: a MAPI service on a system other than Windows is an error, never a silent no-op', () => {
    const issues = issuesOf(() => validateConfig({ mailboxes: [{ id: 'outlook', service: 'mapi-extended' }] }, base));
    expect(issues[0]).toMatchObject({ mailboxId: 'outlook', path: 'mailboxes[0].service' });
    expect(issues[0]?.message).toMatch(/needs Windows/);
    expect(() =>
      validateConfig({ mailboxes: [{ id: 'outlook', service: 'mapi-extended' }] }, { ...base, platform: 'win32' }),
    ).not.toThrow();
  });

  it('S2: an empty MAPI profile is the default profile in an application, an error in service mode', () => {
    const win = { ...base, platform: 'win32' as const };
    expect(() => validateConfig({ mailboxes: [{ id: 'o', service: 'mapi-simple' }] }, win)).not.toThrow();
    const issues = issuesOf(() =>
      validateConfig({ mailboxes: [{ id: 'o', service: 'mapi-simple', profile: '' }] }, { ...win, mode: 'service' }),
    );
    expect(issues[0]).toMatchObject({ mailboxId: 'o', path: 'mailboxes[0].profile' });
    expect(issues[0]?.message).toMatch(/S2/);
  });

  it('reads secrets from files', () => {
    writeFileSync(join(dir, 'pw.txt'), 's3cret\n');
    const config = validateConfig({ mailboxes: [imap({ password: undefined, passwordFile: 'pw.txt' })] }, base);
    expect(config.mailboxes[0]?.password).toBe('s3cret');
  });
});

describe('loadConfig', () => {
  it('loads the YAML of the README with ${ENV} substitution', () => {
    const file = join(dir, 'autopilot.yaml');
    writeFileSync(
      file,
      [
        'journal: ./autopilot.db',
        'mailboxes:',
        '  - id: support',
        '    service: imap',
        '    server: imaps://127.0.0.1:31993',
        '    user: support@example.test',
        '    password: ${SUPPORT_PASSWORD}',
        '    unreadOnly: true',
        '    folder: INBOX',
        '    tlsCa: ./ca.pem',
        '    pollInterval: 30s',
        '    smtp:',
        '      server: smtp://127.0.0.1:31025',
        '      user: support@example.test',
        '      password: ${SUPPORT_PASSWORD}',
        '    rules: []',
      ].join('\n'),
    );
    const config = loadConfig(file, { env: { SUPPORT_PASSWORD: 'pw' }, platform: 'linux' });
    expect(config.mailboxes[0]).toMatchObject({ password: 'pw', pollInterval: 30_000, smtp: { password: 'pw' } });
    expect(config.file).toBe(file);
  });

  it('a YAML syntax error and a missing file are config errors', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'mailboxes: [\n');
    expect(() => loadConfig(file)).toThrow(ConfigError);
    expect(() => loadConfig(join(dir, 'missing.yaml'))).toThrow(/cannot read/);
  });

  it('JSON works as well', () => {
    const file = join(dir, 'autopilot.json');
    writeFileSync(file, JSON.stringify({ mailboxes: [imap()] }));
    expect(loadConfig(file, { platform: 'linux' }).mailboxes[0]?.id).toBe('support');
  });
});
