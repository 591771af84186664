/**
 * Config → imapflow options: the TLS policy of SPEC S7 (implicit TLS, STARTTLS required with imap://, plaintext only
 * when allowed, certificates always verified, a CA file added to the system CAs), and the check cadence.
 */
import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import type { ImapMailboxConfig } from '../../../adapters/imap/config.js';
import { discoverySearch } from '../../../adapters/imap/discovery-search.js';
import { AUTO_IDLE_DELAY_MS, imapAddressOptions, toImapFlowOptions } from '../../../adapters/imap/options.js';
import { checkIntervalMs } from '../../../adapters/imap/session.js';
import { parseServerAddress } from '../../../adapters/server-address.js';
import { secureContextTrusting } from '../../../adapters/tls-context.js';
import { imapDefaults } from '../../../scripts/harness/adapter-settings.js';

const base: ImapMailboxConfig = {
  ...imapDefaults(),
  id: 'support',
  server: 'imaps://mail.example.test',
  user: 'u',
  password: 'p',
};
const auth = { user: 'u', pass: 'p' };

function optionsFor(config: Partial<ImapMailboxConfig>, ca?: string) {
  const settings: ImapMailboxConfig = { ...base, ...config };
  const address = parseServerAddress(settings.server, imapAddressOptions(settings.allowPlaintext));
  return toImapFlowOptions(settings, address, auth, ca);
}

describe('IMAP server addresses (S3) through the shared parser', () => {
  it.each([
    ['mail.example.test', { allow: false }, { host: 'mail.example.test', port: 993, tls: 'implicit' }],
    ['mail.example.test:143', { allow: false }, { host: 'mail.example.test', port: 143, tls: 'starttls' }],
    ['imaps://127.0.0.1', { allow: false }, { host: '127.0.0.1', port: 993, tls: 'implicit' }],
    ['imap://127.0.0.1', { allow: false }, { host: '127.0.0.1', port: 143, tls: 'starttls' }],
    ['imap://127.0.0.1:1143', { allow: true }, { host: '127.0.0.1', port: 1143, tls: 'none-allowed' }],
    ['imaps://127.0.0.1:1993', { allow: true }, { host: '127.0.0.1', port: 1993, tls: 'implicit' }],
  ])('%s (allowPlaintext %j)', (value, { allow }, expected) => {
    expect(parseServerAddress(value, imapAddressOptions(allow))).toEqual(expected);
  });

  it('refuses other schemes', () => {
    expect(() => parseServerAddress('pop3s://h', imapAddressOptions(false))).toThrow(/imaps:\/\/ or imap:\/\//);
  });
});

describe('toImapFlowOptions: TLS policy (S7)', () => {
  it('imaps:// is implicit TLS, with no STARTTLS setting (imapflow refuses both together)', () => {
    const options = optionsFor({ server: 'imaps://127.0.0.1:1993' });
    expect(options).toMatchObject({ host: '127.0.0.1', port: 1993, secure: true });
    expect(options).not.toHaveProperty('doSTARTTLS');
  });

  it('imap:// requires STARTTLS', () => {
    expect(optionsFor({ server: 'imap://127.0.0.1:1143' })).toMatchObject({ secure: false, doSTARTTLS: true });
  });

  it('imap:// with allowPlaintext stays plaintext; allowPlaintext does not weaken imaps://', () => {
    expect(optionsFor({ server: 'imap://h', allowPlaintext: true })).toMatchObject({
      secure: false,
      doSTARTTLS: false,
    });
    expect(optionsFor({ server: 'imaps://h', allowPlaintext: true })).toMatchObject({ secure: true });
  });

  it.each([
    ['imaps://h', undefined],
    ['imap://h', undefined],
    ['imap://h', '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n'],
  ])('%s (CA %s) always verifies certificates', (server, ca) => {
    const options = optionsFor({ server, allowPlaintext: true }, ca);
    expect(options.tls?.rejectUnauthorized).toBe(true);
    expect(options.tls?.minVersion).toBe('TLSv1.2');
  });

  it('a CA file is trusted through one shared secure context (system CAs plus the file), not a per-connection list', () => {
    // Regression (bench c of issue 3): `tls.ca = [...rootCertificates, pem]` per connection cost ~1 MB each.
    const pem = rootCertificates[0]!;
    const first = optionsFor({}, pem).tls;
    const second = optionsFor({}, pem).tls;
    expect(first).not.toHaveProperty('ca');
    expect(first?.secureContext).toBeDefined();
    expect(second?.secureContext).toBe(first?.secureContext);
    expect(first?.secureContext).toBe(secureContextTrusting(pem));
    expect(first?.rejectUnauthorized).toBe(true);
    expect(optionsFor({}).tls).not.toHaveProperty('secureContext');
  });

  it('passes the credentials only as auth, turns imapflow logging off, and bounds its timeouts by ours', () => {
    const options = optionsFor({ connectTimeoutMs: 4_000 });
    expect(options.auth).toEqual(auth);
    expect(options.logger).toBe(false);
    expect(options).toMatchObject({ connectionTimeout: 4_000, greetingTimeout: 4_000 });
    // Push within a second: imapflow's default would wait 15 s before entering IDLE (NOTES.md).
    expect(options.autoIdleDelay).toBe(AUTO_IDLE_DELAY_MS);
    expect(AUTO_IDLE_DELAY_MS).toBeLessThan(1_000);
  });
});

describe('defaults and cadence', () => {
  it('the adapter takes the schema defaults (regression, issue 14: the adapter polled every 30 s, the schema said 60 s)', () => {
    expect(imapDefaults()).toMatchObject({
      folder: 'INBOX',
      unreadOnly: false,
      allowPlaintext: false,
      pollIntervalMs: 60_000,
      safetyPollMs: 300_000,
      connectTimeoutMs: 30_000,
      maxBodyBytes: 25 * 1024 * 1024,
    });
  });

  it('polls at pollIntervalMs without IDLE, and at the slow safety interval while idling', () => {
    const settings = { pollIntervalMs: 30_000, safetyPollMs: 300_000 };
    expect(checkIntervalMs(settings, false)).toBe(30_000);
    expect(checkIntervalMs(settings, true)).toBe(300_000);
  });
});

describe('discoverySearch (S5)', () => {
  it('first pass: UNSEEN with unreadOnly, else ALL', () => {
    expect(discoverySearch(true, null)).toEqual({ seen: false });
    expect(discoverySearch(false, null)).toEqual({ all: true });
  });

  it('later passes: only UIDs above the highest seen in the session', () => {
    expect(discoverySearch(false, 41)).toEqual({ uid: '42:*' });
    expect(discoverySearch(true, 0)).toEqual({ seen: false, uid: '1:*' });
  });
});
