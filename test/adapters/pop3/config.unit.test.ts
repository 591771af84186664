/**
 * The POP3 mailbox config: defaults, server addresses (S3, S7) and the errors a person gets for a wrong config —
 * above all `unreadOnly`, which POP3 does not have (SPEC S5).
 */
import { describe, expect, it } from 'vitest';
import type { Pop3MailboxConfig } from '../../../adapters/pop3/config.js';
import { validatePop3Config } from '../../../adapters/pop3/config.js';
import { POP3_CAPABILITIES } from '../../../adapters/pop3/service.js';
import { pop3Defaults } from '../../../scripts/harness/adapter-settings.js';

const base: Pop3MailboxConfig = {
  ...pop3Defaults(),
  id: 'bounces',
  server: 'pop3s://mail.example.test',
  user: 'bounces@example.test',
  password: 'pw',
};

function failure(config: unknown): { code?: string; message?: string; retryable?: boolean; mailboxId?: string } {
  try {
    validatePop3Config(config as Pop3MailboxConfig);
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected a config error');
}

describe('validatePop3Config (the adapter fills in nothing: issue 14 point 2)', () => {
  it('takes the schema defaults unchanged and parses the server', () => {
    const settings = validatePop3Config(base);
    expect(settings).toMatchObject({
      id: 'bounces',
      address: { host: 'mail.example.test', port: 995, tls: 'implicit' },
      allowPlaintext: false,
      pollIntervalMs: 60_000,
      connectTimeoutMs: 30_000,
      commandTimeoutMs: 60_000,
    });
  });

  it('reads pop3:// as STLS required, and as plaintext only with allowPlaintext', () => {
    expect(validatePop3Config({ ...base, server: 'pop3://127.0.0.1:1110' }).address).toEqual({
      host: '127.0.0.1',
      port: 1110,
      tls: 'starttls',
    });
    expect(validatePop3Config({ ...base, server: 'pop3://127.0.0.1', allowPlaintext: true }).address).toEqual({
      host: '127.0.0.1',
      port: 110,
      tls: 'none-allowed',
    });
  });

  it('names the field of every mistake, and a missing number is an error rather than a default', () => {
    expect(failure({ ...base, id: '' }).message).toContain('id');
    expect(failure({ ...base, user: undefined }).message).toContain('mailbox bounces: user');
    expect(failure({ ...base, password: undefined }).message).toContain('mailbox bounces: password');
    expect(failure({ ...base, accessToken: async () => 't' }).message).toContain('not both');
    expect(failure({ ...base, server: 'imaps://mail.example.test' }).message).toContain('mailbox bounces: server');
    expect(failure({ ...base, server: 'pop3s://user:pw@host' }).message).not.toContain('pw@');
    expect(failure({ ...base, pollIntervalMs: undefined }).message).toContain('mailbox bounces: pollIntervalMs');
    expect(failure({ ...base, commandTimeoutMs: 0 })).toMatchObject({ code: 'CONFIG_INVALID', retryable: false });
  });

  it('accepts an accessToken provider instead of a password (OAuth2, S3)', () => {
    const { password: _, ...rest } = base;
    expect(validatePop3Config({ ...rest, accessToken: async () => 'token' }).accessToken).toBeTypeOf('function');
  });
});

describe('POP3_CAPABILITIES', () => {
  it('declares what POP3 can do (S5, S6): delete and raw MIME; no unread-only, flags, folders, move or push', () => {
    expect(POP3_CAPABILITIES).toEqual({
      unreadOnly: false,
      markRead: false,
      flag: false,
      move: false,
      delete: true,
      folders: false,
      rawMime: true,
      push: false,
      send: false,
    });
  });
});
