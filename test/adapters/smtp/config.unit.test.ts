/**
 * Validation of the SMTP configuration before anything connects (no files read here: tlsCa is covered by
 * smtp.int.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { resolveSmtpSettings, type SmtpConfig } from '../../../adapters/smtp/config.js';
import { smtpDefaults } from '../../../scripts/harness/adapter-settings.js';

const token = async () => 'token';

describe('resolveSmtpSettings', () => {
  it('reads the address and the password login, with the timeout it is given', () => {
    const settings = resolveSmtpSettings(
      { ...smtpDefaults(), server: 'smtp://mail.example.test', user: 'u', password: 'p' },
      'support',
    );
    expect(settings.address).toEqual({ host: 'mail.example.test', port: 587, tls: 'starttls' });
    expect(settings.auth).toEqual({ kind: 'password', user: 'u', password: 'p' });
    expect(settings.timeoutMs).toBe(smtpDefaults().connectionTimeoutMs);
    expect(settings.secureContext).toBeUndefined();
  });

  it('allows plaintext only when asked, and sending without login', () => {
    const settings = resolveSmtpSettings(
      { ...smtpDefaults(), server: 'smtp://10.0.0.5:25', allowPlaintext: true },
      'relay',
    );
    expect(settings.address.tls).toBe('none-allowed');
    expect(settings.auth).toEqual({ kind: 'none' });
  });

  it('leaves room for OAuth2: an accessToken provider for a user', () => {
    const settings = resolveSmtpSettings(
      { ...smtpDefaults(), server: 'smtps://smtp.example.test', user: 'u', accessToken: token },
      'o',
    );
    expect(settings.auth).toMatchObject({ kind: 'oauth2', user: 'u' });
  });

  it.each<[Partial<SmtpConfig>, RegExp]>([
    [{ server: 'pop3://mail.example.test' }, /scheme must be smtps:\/\/ or smtp:\/\//],
    [{ server: '' }, /server is empty/],
    [{ password: 'p' }, /password is set but user is missing/],
    [{ user: 'u' }, /neither password nor accessToken/],
    [{ user: 'u', password: 'p', accessToken: token }, /either password or accessToken/],
    [{ accessToken: token }, /accessToken needs user/],
    [{ connectionTimeoutMs: 0 }, /connectionTimeoutMs/],
    [{ connectionTimeoutMs: Number.NaN }, /connectionTimeoutMs/],
  ])('refuses %j as CONFIG_INVALID naming the mailbox', (overrides, reason) => {
    const config = { ...smtpDefaults(), server: 'smtps://mail.example.test', ...overrides } as SmtpConfig;
    expect(() => resolveSmtpSettings(config, 'support')).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        retryable: false,
        mailboxId: 'support',
        message: expect.stringMatching(reason),
      }),
    );
    expect(() => resolveSmtpSettings(config, 'support')).toThrow(
      /^mailbox support: smtp\.(server|user|password|tlsCa|connectionTimeoutMs): /,
    );
  });

  it('never puts the password into an error', () => {
    expect(() =>
      resolveSmtpSettings(
        { ...smtpDefaults(), server: 'smtp://u:hunter2@mail.example.test', password: 'hunter2', user: 'u' },
        's',
      ),
    ).toThrow(expect.objectContaining({ message: expect.not.stringContaining('hunter2') }));
  });
});
