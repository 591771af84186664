/**
 * The shared server-address parser (SPEC S3: host name, IP address or URL; S7: implicit TLS or STARTTLS).
 */
import { describe, expect, it } from 'vitest';
import { parseServerAddress, type ServerAddressOptions } from '../../adapters/server-address.js';

const smtp: ServerAddressOptions = {
  defaultPortTls: 465,
  defaultPortPlain: 587,
  schemes: { implicit: 'smtps', starttls: 'smtp' },
  starttlsPorts: [587, 25],
};
const imap: ServerAddressOptions = {
  defaultPortTls: 993,
  defaultPortPlain: 143,
  schemes: { implicit: 'imaps', starttls: 'imap' },
};

describe('parseServerAddress', () => {
  it.each([
    ['mail.example.test', { host: 'mail.example.test', port: 465, tls: 'implicit' }],
    ['  mail.example.test  ', { host: 'mail.example.test', port: 465, tls: 'implicit' }],
    ['mail.example.test:465', { host: 'mail.example.test', port: 465, tls: 'implicit' }],
    ['mail.example.test:2465', { host: 'mail.example.test', port: 2465, tls: 'implicit' }],
    ['mail.example.test:587', { host: 'mail.example.test', port: 587, tls: 'starttls' }],
    ['mail.example.test:25', { host: 'mail.example.test', port: 25, tls: 'starttls' }],
    ['192.0.2.7', { host: '192.0.2.7', port: 465, tls: 'implicit' }],
    ['192.0.2.7:587', { host: '192.0.2.7', port: 587, tls: 'starttls' }],
    ['::1', { host: '::1', port: 465, tls: 'implicit' }],
    ['2001:db8::25', { host: '2001:db8::25', port: 465, tls: 'implicit' }],
    ['[2001:db8::1]:587', { host: '2001:db8::1', port: 587, tls: 'starttls' }],
    ['smtp://mail.example.test', { host: 'mail.example.test', port: 587, tls: 'starttls' }],
    ['smtp://127.0.0.1:2525', { host: '127.0.0.1', port: 2525, tls: 'starttls' }],
    ['SMTP://mail.example.test:2525/', { host: 'mail.example.test', port: 2525, tls: 'starttls' }],
    ['smtps://mail.example.test', { host: 'mail.example.test', port: 465, tls: 'implicit' }],
    ['smtps://[::1]:4650', { host: '::1', port: 4650, tls: 'implicit' }],
  ])('reads %j', (value, expected) => {
    expect(parseServerAddress(value, smtp)).toEqual(expected);
  });

  it('uses the service defaults (IMAP: 993 implicit, 143 STARTTLS)', () => {
    expect(parseServerAddress('mail.example.test', imap)).toEqual({
      host: 'mail.example.test',
      port: 993,
      tls: 'implicit',
    });
    expect(parseServerAddress('mail.example.test:143', imap)).toEqual({
      host: 'mail.example.test',
      port: 143,
      tls: 'starttls',
    });
    expect(parseServerAddress('imap://mail.example.test', imap)).toEqual({
      host: 'mail.example.test',
      port: 143,
      tls: 'starttls',
    });
    expect(parseServerAddress('imaps://mail.example.test:10993', imap).port).toBe(10993);
  });

  it('turns only a STARTTLS address into none-allowed, and only when plaintext is explicitly allowed', () => {
    const allowing = { ...smtp, allowPlaintext: true };
    expect(parseServerAddress('smtp://mail.example.test', allowing).tls).toBe('none-allowed');
    expect(parseServerAddress('mail.example.test:25', allowing).tls).toBe('none-allowed');
    expect(parseServerAddress('smtps://mail.example.test', allowing).tls).toBe('implicit');
    expect(parseServerAddress('mail.example.test', allowing).tls).toBe('implicit');
    expect(parseServerAddress('smtp://mail.example.test', { ...smtp, allowPlaintext: false }).tls).toBe('starttls');
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['imap://mail.example.test', /scheme must be smtps:\/\/ or smtp:\/\//],
    ['http://mail.example.test', /scheme must be/],
    ['smtp://user:secret@mail.example.test', /must not contain credentials/],
    ['smtp://mail.example.test/path', /path or query/],
    ['smtp://mail.example.test?tls=no', /path or query/],
    ['mail.example.test/x', /not a host name/],
    ['user@mail.example.test', /not a host name/],
    ['mail.example.test:99999', /not a host name/],
    ['mail.example.test:abc', /not a host name/],
    ['smtp://', /no host/],
    ['smtp://mail.example.test:0', /port 0/],
    ['smtp://exa mple.test', /not a host name/],
  ])('refuses %j with a TypeError saying why', (value, reason) => {
    expect(() => parseServerAddress(value, smtp)).toThrow(TypeError);
    expect(() => parseServerAddress(value, smtp)).toThrow(reason);
  });

  it('never echoes credentials given in the value', () => {
    expect(() => parseServerAddress('smtp://user:secret@mail.example.test', smtp)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('secret') }),
    );
  });
});

describe('regression: credentials in a server URL never reach an error message', () => {
  it('masks user:password@ in every error', () => {
    const options = { defaultPortTls: 993, defaultPortPlain: 143, schemes: { implicit: 'imaps', starttls: 'imap' } };
    for (const value of ['imaps://u:hunter2@host:99999', 'imaps://u:hunter2@host', 'ftp://u:hunter2@host']) {
      let message = '';
      try {
        parseServerAddress(value, options);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toContain('hunter2');
    }
  });
});
