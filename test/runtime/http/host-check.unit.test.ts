/** The `Host` header parsing and matching of issue 13.8 (DNS rebinding guard), without a server. */
import { describe, expect, it } from 'vitest';
import { hostMatcher, parseHostHeader } from '../../../runtime/http/host-check.js';

describe('parseHostHeader', () => {
  it.each([
    ['localhost', { name: 'localhost', port: undefined }],
    ['LocalHost:8025', { name: 'localhost', port: '8025' }],
    ['[::1]:8025', { name: '[::1]', port: '8025' }],
    ['[::1]', { name: '[::1]', port: undefined }],
    ['example.com.:80', { name: 'example.com', port: '80' }],
    ['localhost.', { name: 'localhost', port: undefined }],
  ])('%s', (header, expected) => {
    expect(parseHostHeader(header)).toEqual(expected);
  });

  it.each(['', ':80', '[::1', 'a b', 'user@host', 'host:port', 'host:80:81', 'host:123456', 'a/b'])(
    'refuses %j',
    (header) => {
      expect(parseHostHeader(header)).toBeUndefined();
    },
  );
});

describe('hostMatcher', () => {
  it('takes the configured host and loopback names with any port, allowedHosts by their port', () => {
    const allowed = hostMatcher('192.0.2.10', ['status.example.com', 'proxy.example:8443']);
    for (const ok of [
      '192.0.2.10:8025',
      'localhost',
      '127.0.0.1:1',
      '[::1]:8025',
      'status.example.com:9',
      'proxy.example:8443',
    ]) {
      expect({ ok, allowed: allowed(ok) }).toEqual({ ok, allowed: true });
    }
    for (const bad of [undefined, 'evil.example', 'proxy.example', 'proxy.example:443', '192.0.2.10.evil.example']) {
      expect({ bad, allowed: allowed(bad) }).toEqual({ bad, allowed: false });
    }
  });

  it('brackets a configured IPv6 host', () => {
    expect(hostMatcher('2001:db8::1')('[2001:db8::1]:8025')).toBe(true);
  });
});
