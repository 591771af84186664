/**
 * The service's config checks (raised before anything connects, naming mailbox and field), its capabilities, and
 * the wake-up that the watch loop waits on.
 */
import { describe, expect, it } from 'vitest';
import type { ImapMailboxConfig } from '../../../adapters/imap/config.js';
import { createImapService, IMAP_CAPABILITIES } from '../../../adapters/imap/service.js';
import { Wake } from '../../../adapters/imap/wake.js';
import { imapDefaults } from '../../../scripts/harness/adapter-settings.js';

const handled = { isHandled: () => false };
const valid: ImapMailboxConfig = {
  ...imapDefaults(),
  id: 'support',
  server: 'imaps://mail.example.test',
  user: 'u',
  password: 'p',
};

describe('createImapService', () => {
  it('declares what IMAP can do; sending goes through SMTP', () => {
    const service = createImapService(valid, { handled });
    expect(service).toMatchObject({ kind: 'imap', mailboxId: 'support' });
    expect(service.capabilities).toEqual({
      unreadOnly: true,
      markRead: true,
      flag: true,
      move: true,
      delete: true,
      folders: true,
      rawMime: true,
      push: true,
      send: false,
    });
    expect(service.capabilities).toBe(IMAP_CAPABILITIES);
  });

  it.each([
    [{ user: '' }, /mailbox support: user: /],
    [{ password: undefined }, /mailbox support: password: .*accessToken/],
    [{ server: 'pop3s://mail.example.test' }, /mailbox support: server: /],
    [{ server: '' }, /mailbox support: server: server is empty/],
    [{ id: '' }, /id: must be a non-empty string/],
  ])('%j is a CONFIG_INVALID error naming mailbox and field', (change, message) => {
    expect(() => createImapService({ ...valid, ...change }, { handled })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', retryable: false, message: expect.stringMatching(message) }),
    );
  });

  it('accepts an OAuth2 token provider instead of a password', () => {
    const config = { ...valid, password: undefined, accessToken: async () => 'token' };
    expect(createImapService(config, { handled }).mailboxId).toBe('support');
  });

  it.each([
    { user: '', password: 'hunter2' },
    { server: 'imaps://u:hunter2@mail.example.test:99999' },
    { server: 'pop3s://u:hunter2@mail.example.test' },
  ])('never puts a password into a config error: %j', (change) => {
    expect(() => createImapService({ ...valid, ...change }, { handled })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.not.stringContaining('hunter2') }),
    );
  });
});

describe('Wake', () => {
  it('a notification before wait() is not lost, and is consumed once', async () => {
    const wake = new Wake();
    wake.notify();
    await wake.wait();
    let woke = false;
    const waiting = wake.wait().then(() => {
      woke = true;
    });
    await Promise.resolve();
    expect(woke).toBe(false);
    wake.notify();
    await waiting;
    expect(woke).toBe(true);
  });
});
