/**
 * The `oauth2` block of a mailbox: defaults, and every mistake a CONFIG_INVALID naming the mailbox and the field.
 */
import { describe, expect, it } from 'vitest';
import { type OAuth2Config, resolveOAuth2Settings } from '../../../adapters/oauth2/index.js';

const CLIENT = '00000000-0000-0000-0000-00000000c11e';
const mailbox = (oauth2: Partial<OAuth2Config>, user = 'support@contoso.test') => ({
  id: 'support',
  user,
  oauth2: { clientId: CLIENT, ...oauth2 } as OAuth2Config,
});

function configError(oauth2: Partial<OAuth2Config>, user?: string): { code: string; message: string } {
  try {
    resolveOAuth2Settings(mailbox(oauth2, user));
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected a CONFIG_INVALID');
}

describe('resolveOAuth2Settings', () => {
  it('with only a client id: device code against the "organizations" authority, delegated', () => {
    expect(resolveOAuth2Settings(mailbox({}))).toEqual({
      mailboxId: 'support',
      user: 'support@contoso.test',
      clientId: CLIENT,
      authority: 'https://login.microsoftonline.com/organizations',
      flow: 'deviceCode',
      access: 'delegated',
    });
  });

  it('a tenant makes the authority; an explicit authority wins (national clouds)', () => {
    expect(resolveOAuth2Settings(mailbox({ tenant: 'contoso.onmicrosoft.com' })).authority).toBe(
      'https://login.microsoftonline.com/contoso.onmicrosoft.com',
    );
    expect(
      resolveOAuth2Settings(mailbox({ authority: 'https://login.microsoftonline.us/contoso.test/' })).authority,
    ).toBe('https://login.microsoftonline.us/contoso.test');
  });

  it('a client secret means app-only (client credentials) unless a flow says otherwise', () => {
    expect(resolveOAuth2Settings(mailbox({ tenant: 'contoso.test', clientSecret: 's' }))).toMatchObject({
      flow: 'clientCredentials',
      access: 'appOnly',
      clientSecret: 's',
    });
  });

  it.each([
    [{ clientId: '' }, 'oauth2.clientId'],
    [{ tenant: 'has space' }, 'oauth2.tenant'],
    [{ flow: 'password' as never }, 'oauth2.flow'],
    [{ authority: 'http://login.microsoftonline.com/x' }, 'https:// URL'],
    [{ authority: 'https://login.microsoftonline.com' }, 'must name the tenant'],
    [{ clientSecret: 's', flow: 'deviceCode' as const }, 'belongs to app-only access'],
    [{ clientSecret: 's' }, 'needs the tenant id or domain, not "organizations"'],
    [{ tenant: 'contoso.test', flow: 'clientCredentials' as const }, 'exactly one of clientSecret and certificate'],
    [
      { tenant: 'contoso.test', certificate: { thumbprint: 'abc', privateKeyFile: '/k.pem' } },
      'oauth2.certificate.thumbprint',
    ],
  ])('refuses %j (%s)', (oauth2, fragment) => {
    const error = configError(oauth2);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(/^mailbox support: /);
    expect(error.message).toContain(fragment);
  });

  it('needs the user name of the mailbox', () => {
    expect(configError({}, ' ').message).toContain('user: OAuth2 needs the user name');
  });
});
