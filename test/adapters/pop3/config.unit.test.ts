/**
 * The POP3 mailbox config: defaults, server addresses (S3, S7) and the errors a person gets for a wrong config —
 * above all `unreadOnly`, which POP3 does not have (SPEC S5).
 */
import { describe, expect, it } from 'vitest';
import { parseDuration, validatePop3Config } from '../../../adapters/pop3/config.js';
import { POP3_CAPABILITIES } from '../../../adapters/pop3/service.js';

const base = { id: 'bounces', server: 'pop3s://mail.example.test', user: 'bounces@example.test', password: 'pw' };

function failure(raw: unknown): { code?: string; message?: string; retryable?: boolean; mailboxId?: string } {
  try {
    validatePop3Config(raw);
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected a config error');
}

describe('validatePop3Config', () => {
  it('fills in the defaults and parses the server', () => {
    const settings = validatePop3Config(base);
    expect(settings).toMatchObject({
      id: 'bounces',
      address: { host: 'mail.example.test', port: 995, tls: 'implicit' },
      allowPlaintext: false,
      pollIntervalMs: 60_000,
      connectTimeoutMs: 30_000,
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

  it('refuses unreadOnly with the reason of SPEC S5, naming the mailbox and the field', () => {
    for (const unreadOnly of [true, false]) {
      const error = failure({ ...base, unreadOnly });
      expect(error).toMatchObject({ code: 'CONFIG_INVALID', retryable: false, mailboxId: 'bounces' });
      expect(error.message).toContain('mailbox bounces: unreadOnly');
      expect(error.message).toContain('S5');
      expect(error.message).toMatch(/every message in the maildrop/);
      expect(error.message).toMatch(/forward, delete/);
    }
  });

  it('refuses a folder other than INBOX (a maildrop has no folders)', () => {
    expect(failure({ ...base, folder: 'Archive' }).message).toContain('mailbox bounces: folder');
    expect(validatePop3Config({ ...base, folder: 'INBOX' }).id).toBe('bounces');
  });

  it('names the field of every other mistake', () => {
    expect(failure({ ...base, id: '' }).message).toContain('id');
    expect(failure({ ...base, user: undefined }).message).toContain('mailbox bounces: user');
    expect(failure({ ...base, password: undefined }).message).toContain('mailbox bounces: password');
    expect(failure({ ...base, accessToken: async () => 't' }).message).toContain('not both');
    expect(failure({ ...base, server: 'imaps://mail.example.test' }).message).toContain('mailbox bounces: server');
    expect(failure({ ...base, server: 'pop3s://user:pw@host' }).message).not.toContain('pw@');
    expect(failure({ ...base, pollInterval: 'soon' }).message).toContain('mailbox bounces: pollInterval');
    expect(failure({ ...base, service: 'imap' }).message).toContain('mailbox bounces: service');
    expect(failure('nope').code).toBe('CONFIG_INVALID');
  });

  it('accepts the config file keys of issue 4 (pollInterval as a duration, service, rules, smtp)', () => {
    const settings = validatePop3Config({ ...base, service: 'pop3', pollInterval: '30s', rules: [], smtp: {} });
    expect(settings.pollIntervalMs).toBe(30_000);
  });

  it('accepts an accessToken provider instead of a password (OAuth2, S3)', () => {
    const { password: _, ...rest } = base;
    expect(validatePop3Config({ ...rest, accessToken: async () => 'token' }).accessToken).toBeTypeOf('function');
  });
});

describe('parseDuration', () => {
  it('reads ms, s, m, min and h, and plain numbers as ms', () => {
    expect([parseDuration('500ms'), parseDuration('30s'), parseDuration('5m'), parseDuration('2min')]).toEqual([
      500, 30_000, 300_000, 120_000,
    ]);
    expect([parseDuration('1h'), parseDuration(250), parseDuration('0s'), parseDuration(-1)]).toEqual([
      3_600_000,
      250,
      undefined,
      undefined,
    ]);
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
