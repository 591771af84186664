/** The canary's config (issue 15 point 5): off by default, defaults from the schema, `to` from the user, refused without smtp. */
import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue } from '../../../runtime/config/errors.js';
import { validateConfig } from '../../../runtime/config/load.js';

const base = { baseDir: process.cwd(), env: {}, platform: 'linux' as const };
const mailbox = { id: 'support', server: 'imaps://127.0.0.1:31993', user: 'support@example.test', password: 'pw' };
const imap = (extra: Record<string, unknown> = {}) => ({ ...mailbox, ...extra });
const smtp = { server: 'smtp://127.0.0.1:31587' };

function issuesOf(raw: unknown): readonly ConfigIssue[] {
  try {
    validateConfig(raw, base);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('canary config', () => {
  it('is off unless given, and takes every/within from the schema and to from the mailbox user', () => {
    expect(validateConfig({ mailboxes: [imap()] }, base).mailboxes[0]!.canary).toBeUndefined();
    const config = validateConfig({ mailboxes: [imap({ smtp, canary: {} })] }, base);
    expect(config.mailboxes[0]!.canary).toEqual({ every: 900_000, within: 120_000, to: 'support@example.test' });
    const given = validateConfig(
      { mailboxes: [imap({ smtp, canary: { every: '2s', within: '1s', to: 'probe@example.test' } })] },
      base,
    );
    expect(given.mailboxes[0]!.canary).toEqual({ every: 2_000, within: 1_000, to: 'probe@example.test' });
  });

  it('is a config error without smtp, and on a MAPI mailbox', () => {
    expect(issuesOf({ mailboxes: [imap({ canary: {} })] }).map((i) => i.path)).toContain('mailboxes[0].canary');
    const mapi = { id: 'outlook', service: 'mapi-simple', canary: {} };
    expect(issuesOf({ mailboxes: [mapi] }).map((i) => `${i.path}: ${i.message}`)).toContain(
      'mailboxes[0].canary: the canary needs an smtp transport (imap, pop3); mapi-simple has none',
    );
  });
});
