/**
 * msal's failures as MailServiceErrors: which need a person (OAUTH_LOGIN_REQUIRED with the login command), which
 * may pass by themselves (retryable), which need the configuration fixed.
 */
import { InteractionRequiredAuthError, ServerError } from '@azure/msal-node';
import { describe, expect, it } from 'vitest';
import { loginCommand, TokenCacheError, toOAuth2Error } from '../../../adapters/oauth2/index.js';

const map = (error: unknown) => toOAuth2Error(error, 'support', 'pop', 'support@contoso.test');

describe('toOAuth2Error', () => {
  it('names the command that fixes a missing sign-in', () => {
    // One command for every protocol the mailbox lacks (login skips those that work), naming the config file.
    expect(loginCommand('support', 'autopilot.yaml')).toBe(
      'mail-autopilot login --config autopilot.yaml --mailbox support',
    );
    expect(loginCommand('support', '/etc/my autopilot.yaml')).toBe(
      "mail-autopilot login --config '/etc/my autopilot.yaml' --mailbox support",
    );
    expect(loginCommand('support')).toBe('mail-autopilot login --config FILE --mailbox support');
  });

  it.each([
    [new InteractionRequiredAuthError('invalid_grant', '', 'AADSTS50173', 'bad_token'), 'revoked or has expired'],
    [
      new InteractionRequiredAuthError('invalid_grant', '', 'AADSTS65001', 'consent_required'),
      'no consent for this protocol',
    ],
    [new InteractionRequiredAuthError('no_tokens_found', ''), 'no sign-in for support@contoso.test'],
    [new ServerError('invalid_grant', '', 'AADSTS70000'), 'revoked or has expired'],
  ])('%s needs a person: OAUTH_LOGIN_REQUIRED, not retryable, with the login command', (error, reason) => {
    const mapped = map(error);
    expect(mapped).toMatchObject({ code: 'OAUTH_LOGIN_REQUIRED', retryable: false, mailboxId: 'support' });
    expect(mapped.message).toContain(reason);
    expect(mapped.message).toContain('run: mail-autopilot login --config FILE --mailbox support');
    expect(mapped.message).toMatch(/^mailbox support: POP3 needs an OAuth2 sign-in/);
    expect(toOAuth2Error(error, 'support', 'pop', 'support@contoso.test', 'a.yaml').message).toContain(
      'run: mail-autopilot login --config a.yaml --mailbox support',
    );
  });

  it.each([
    [new ServerError('invalid_client', '', 'AADSTS7000215', undefined, '7000215'), 'OAUTH_CLIENT_REJECTED', false],
    [new ServerError('temporarily_unavailable', ''), 'OAUTH_UNAVAILABLE', true],
    [Object.assign(new ServerError('server_error', ''), { status: 503 }), 'OAUTH_UNAVAILABLE', true],
    [{ name: 'NetworkError', errorCode: 'network_error' }, 'OAUTH_UNAVAILABLE', true],
    [
      { name: 'AuthError', errorCode: 'post_request_failed', errorMessage: 'authorization_declined' },
      'OAUTH_ACCESS_DENIED',
      false,
    ],
    [{ name: 'ClientAuthError', errorCode: 'device_code_expired' }, 'OAUTH_SIGN_IN_ABORTED', true],
    [new TokenCacheError('TOKEN_CACHE_LOCKED', 'locked'), 'OAUTH_TOKEN_CACHE_LOCKED', true],
    [new TokenCacheError('TOKEN_CACHE_IO', 'EACCES'), 'OAUTH_TOKEN_CACHE_FAILED', false],
    [new Error('something else'), 'OAUTH_FAILED', true],
  ])('%o → %s (retryable %s)', (error, code, retryable) => {
    expect(map(error)).toMatchObject({ code, retryable, mailboxId: 'support' });
  });

  it("carries Microsoft's AADSTS number but never the request's secrets", () => {
    const mapped = map(new ServerError('invalid_client', '', 'client_secret=hunter2 was wrong', undefined, '7000215'));
    expect(mapped.message).toContain('AADSTS7000215');
    expect(mapped.message).not.toContain('hunter2');
  });
});
