/**
 * Sign-in, the shared token cache and silent refresh (issue 7, SPEC S4) against the local identity provider
 * (scripts/harness/identity-provider.ts), which stands in for login.microsoftonline.com through msal's network client.
 */
import { stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMailServiceError } from '../../../adapters/errors.js';
import {
  createOAuth2Broker,
  type DeviceCodePrompt,
  type OAuth2Broker,
  PROTOCOL_SCOPES,
} from '../../../adapters/oauth2/index.js';
import { acquireInChildProcess, type OAuth2Fixture, startOAuth2Fixture } from './helpers.js';

const ALICE = 'alice@example.test';
const BOB = 'bob@example.test';

let fx: OAuth2Fixture;

beforeAll(async () => {
  fx = await startOAuth2Fixture([ALICE, BOB]);
});
afterAll(() => fx?.close());

function brokerFor(cache: string): OAuth2Broker {
  return createOAuth2Broker({ tokenCache: fx.cachePath(cache), networkClient: fx.idp.networkClient() });
}

function deviceCodeRequests(clientId: string): string[][] {
  return fx.idp.requests
    .filter((r) => r.endpoint === 'devicecode' && r.clientId === clientId)
    .map((r) => [...r.scopes]);
}

describe('device-code sign-in and the shared cache', () => {
  it('signs in for IMAP once; a second process then gets the token silently from the same cache file', async () => {
    const broker = brokerFor('second-process');
    const mailbox = fx.mailbox('support', ALICE);
    const prompts: DeviceCodePrompt[] = [];

    const results = await broker.login({
      mailboxes: [mailbox],
      protocols: ['imap'],
      onDeviceCode: fx.approveAs(ALICE, prompts),
    });

    expect(results).toMatchObject([{ mailboxId: 'support', protocol: 'imap', outcome: 'signedIn', account: ALICE }]);
    expect(prompts).toHaveLength(1);
    expect(prompts[0]).toMatchObject({
      mailboxId: 'support',
      protocols: ['imap'],
      verificationUri: 'https://microsoft.com/devicelogin',
    });
    expect(prompts[0]?.message).toContain(prompts[0]?.userCode);

    const child = await acquireInChildProcess(fx, fx.cachePath('second-process'), mailbox, 'imap');
    expect(child).toMatchObject({ ok: true, fromCache: true });
    expect(
      fx.idp.verifyAccessToken(child.accessToken ?? '', { user: ALICE, scope: 'IMAP.AccessAsUser.All' }),
    ).toBeDefined();
  });

  it('the cache file is private to its owner (mode 0600), also after a rewrite', async () => {
    const broker = brokerFor('mode');
    await broker.login({ mailboxes: [fx.mailbox('m', ALICE)], protocols: ['imap'], onDeviceCode: fx.approveAs(ALICE) });
    expect((await stat(fx.cachePath('mode'))).mode & 0o777).toBe(0o600);
    await broker.acquireToken(fx.mailbox('m', ALICE), 'imap', { forceRefresh: true });
    expect((await stat(fx.cachePath('mode'))).mode & 0o777).toBe(0o600);
  });

  it('SMTP after IMAP asks once, for SMTP only; a second login skips both and says why', async () => {
    const broker = brokerFor('smtp-after-imap');
    const mailbox = fx.mailbox('sales', BOB);
    const before = deviceCodeRequests(fx.clientId).length;

    await broker.login({ mailboxes: [mailbox], protocols: ['imap'], onDeviceCode: fx.approveAs(BOB) });
    const second = await broker.login({
      mailboxes: [mailbox],
      protocols: ['imap', 'smtp'],
      onDeviceCode: fx.approveAs(BOB),
    });

    expect(deviceCodeRequests(fx.clientId).slice(before)).toEqual([[PROTOCOL_SCOPES.imap], [PROTOCOL_SCOPES.smtp]]);
    expect(second.map((r) => [r.protocol, r.outcome])).toEqual([
      ['imap', 'skipped'],
      ['smtp', 'signedIn'],
    ]);
    expect(second[0]?.reason).toMatch(/already signed in as bob@example\.test/);

    const third = await broker.login({
      mailboxes: [mailbox],
      protocols: ['imap', 'smtp'],
      onDeviceCode: fx.approveAs(BOB),
    });
    expect(third.map((r) => r.outcome)).toEqual(['skipped', 'skipped']);
    expect(deviceCodeRequests(fx.clientId).slice(before)).toHaveLength(2);
  });

  it('another mailbox of the same account needs no sign-in (S4: any mailbox may have signed in)', async () => {
    const broker = brokerFor('two-mailboxes');
    const seen: DeviceCodePrompt[] = [];
    const results = await broker.login({
      mailboxes: [fx.mailbox('first', ALICE, ['imap']), fx.mailbox('second', ALICE, ['imap'])],
      onDeviceCode: fx.approveAs(ALICE, seen),
    });
    expect(results.map((r) => [r.mailboxId, r.outcome])).toEqual([
      ['first', 'signedIn'],
      ['second', 'skipped'],
    ]);
    expect(seen).toHaveLength(1);
  });

  it('polls while the person has not signed in yet (authorization_pending), then succeeds', async () => {
    const broker = brokerFor('pending');
    const results = await broker.login({
      mailboxes: [fx.mailbox('slow', ALICE)],
      protocols: ['pop'],
      // The person types the code a moment later, on another device.
      onDeviceCode: (prompt) => {
        setTimeout(() => fx.idp.approveDeviceCode(prompt.userCode, ALICE), 50);
      },
    });
    expect(results).toMatchObject([{ protocol: 'pop', outcome: 'signedIn' }]);
    const polls = fx.idp.requests.filter((r) => r.grantType?.endsWith('device_code') && r.user === undefined);
    expect(polls.some((r) => r.outcome === 'authorization_pending')).toBe(true);
  });

  it('a declined consent is a failed login, and nothing is cached', async () => {
    const broker = brokerFor('declined');
    const results = await broker.login({
      mailboxes: [fx.mailbox('no', ALICE)],
      protocols: ['imap'],
      onDeviceCode: (prompt) => fx.idp.denyDeviceCode(prompt.userCode),
    });
    expect(results).toMatchObject([{ outcome: 'failed', error: { code: 'OAUTH_ACCESS_DENIED', retryable: false } }]);
    await expect(broker.acquireToken(fx.mailbox('no', ALICE), 'imap')).rejects.toMatchObject({
      code: 'OAUTH_LOGIN_REQUIRED',
    });
  });

  it('signing in as another account than the mailbox user is refused', async () => {
    const broker = brokerFor('mismatch');
    const results = await broker.login({
      mailboxes: [fx.mailbox('shared', BOB)],
      protocols: ['imap'],
      onDeviceCode: fx.approveAs(ALICE),
    });
    expect(results).toMatchObject([{ outcome: 'failed', error: { code: 'OAUTH_ACCOUNT_MISMATCH' } }]);
    expect(results[0]?.reason).toContain('sign in as bob@example.test');
  });
});

describe('interactive sign-in (a browser on this machine, loopback redirect)', () => {
  const interactive = (id: string, user: string) => ({
    id,
    user,
    oauth2: { tenant: fx.idp.tenantId, clientId: fx.clientId, flow: 'interactive' as const },
  });

  it('signs in with PKCE through the loopback redirect; later tokens come silently', async () => {
    const opened: string[] = [];
    const broker = createOAuth2Broker({
      tokenCache: fx.cachePath('interactive'),
      networkClient: fx.idp.networkClient(),
      openBrowser: async (url) => {
        opened.push(url);
        await fx.idp.browse(url, ALICE);
      },
    });
    const results = await broker.login({ mailboxes: [interactive('browser', ALICE)], protocols: ['imap'] });
    expect(results).toMatchObject([{ outcome: 'signedIn', account: ALICE }]);
    expect(new URL(opened[0] ?? '').searchParams.get('login_hint')).toBe(ALICE);
    const token = await broker.tokenProvider(interactive('browser', ALICE), 'imap')({ forceRefresh: true });
    expect(fx.idp.verifyAccessToken(token, { user: ALICE, scope: 'IMAP.AccessAsUser.All' })).toBeDefined();
  });

  it('a consent declined in the browser is OAUTH_ACCESS_DENIED', async () => {
    const broker = createOAuth2Broker({
      tokenCache: fx.cachePath('interactive-declined'),
      networkClient: fx.idp.networkClient(),
      openBrowser: (url) => fx.idp.browse(url, ALICE, { decline: true }),
    });
    const results = await broker.login({ mailboxes: [interactive('browser', ALICE)], protocols: ['smtp'] });
    expect(results).toMatchObject([{ outcome: 'failed', error: { code: 'OAUTH_ACCESS_DENIED' } }]);
  });
});

describe('run time: silent tokens', () => {
  it('refreshes an access token that is about to expire, silently, with the refresh token (rotated)', async () => {
    const broker = brokerFor('refresh');
    const mailbox = fx.mailbox('refresh', ALICE);
    // msal renews tokens within 5 minutes of expiry: a 2-minute token counts as expired at once.
    fx.idp.setAccessTokenLifetime(120);
    try {
      await broker.login({ mailboxes: [mailbox], protocols: ['imap'], onDeviceCode: fx.approveAs(ALICE) });
      const refreshesBefore = fx.idp.requests.filter((r) => r.grantType === 'refresh_token').length;
      const provider = broker.tokenProvider(mailbox, 'imap');

      const token = await provider();

      const refreshes = fx.idp.requests.filter((r) => r.grantType === 'refresh_token').slice(refreshesBefore);
      expect(refreshes).toMatchObject([{ outcome: 'issued', user: ALICE, scopes: [PROTOCOL_SCOPES.imap] }]);
      expect(fx.idp.verifyAccessToken(token, { user: ALICE, scope: 'IMAP.AccessAsUser.All' })).toBeDefined();
    } finally {
      fx.idp.setAccessTokenLifetime(3600);
    }
    // With a normal lifetime the next token comes from the cache, without the identity provider.
    const countBefore = fx.idp.requests.length;
    await broker.acquireToken(mailbox, 'imap', { forceRefresh: true });
    const cached = await broker.acquireToken(mailbox, 'imap');
    expect(cached.fromCache).toBe(true);
    expect(fx.idp.requests.length).toBe(countBefore + 1);
  });

  it('a revoked refresh token gives OAUTH_LOGIN_REQUIRED with the login command to run', async () => {
    const broker = brokerFor('revoked');
    const mailbox = fx.mailbox('revoked-box', BOB);
    await broker.login({ mailboxes: [mailbox], protocols: ['smtp'], onDeviceCode: fx.approveAs(BOB) });
    fx.idp.revokeSignInSessions(BOB);

    const error = await broker
      .tokenProvider(
        mailbox,
        'smtp',
      )({ forceRefresh: true })
      .catch((e: unknown) => e);

    expect(isMailServiceError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'OAUTH_LOGIN_REQUIRED', retryable: false, mailboxId: 'revoked-box' });
    expect((error as Error).message).toMatch(/^mailbox revoked-box: SMTP needs an OAuth2 sign-in/);
    expect((error as Error).message).toContain('mail-autopilot login --config FILE --mailbox revoked-box');
    expect((error as Error).message).toMatch(/revoked or has expired/);

    // `login` sees the same and signs in again.
    const again = await broker.login({ mailboxes: [mailbox], protocols: ['smtp'], onDeviceCode: fx.approveAs(BOB) });
    expect(again).toMatchObject([{ outcome: 'signedIn' }]);
  });

  it('a protocol never consented gives OAUTH_LOGIN_REQUIRED naming that protocol', async () => {
    const broker = brokerFor('no-consent');
    const mailbox = fx.mailbox('reader', ALICE);
    await broker.login({ mailboxes: [mailbox], protocols: ['imap'], onDeviceCode: fx.approveAs(ALICE) });
    fx.idp.revokeConsent(ALICE, fx.clientId, [PROTOCOL_SCOPES.smtp]);

    const error = await broker
      .tokenProvider(mailbox, 'smtp')()
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'OAUTH_LOGIN_REQUIRED', retryable: false });
    expect((error as Error).message).toContain('no consent for this protocol');
    expect((error as Error).message).toMatch(/^mailbox reader: SMTP needs an OAuth2 sign-in/);
  });

  it('a mailbox nobody signed in for gives OAUTH_LOGIN_REQUIRED without asking the identity provider', async () => {
    const broker = brokerFor('empty');
    const countBefore = fx.idp.requests.length;
    const error = await broker
      .tokenProvider(fx.mailbox('new', ALICE), 'pop')()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'OAUTH_LOGIN_REQUIRED' });
    expect((error as Error).message).toMatch(/^mailbox new: POP3 needs an OAuth2 sign-in/);
    expect(fx.idp.requests.length).toBe(countBefore);
  });

  it('an unreachable identity provider is OAUTH_UNAVAILABLE (retryable)', async () => {
    await brokerFor('unreachable').login({
      mailboxes: [fx.mailbox('revoked-box', BOB)],
      protocols: ['smtp'],
      onDeviceCode: fx.approveAs(BOB),
    });
    const broker = createOAuth2Broker({
      tokenCache: fx.cachePath('unreachable'),
      // Nothing listens on port 9 of loopback.
      networkClient: (await import('../../../scripts/harness/identity-provider.js')).identityProviderNetworkClient(
        'http://127.0.0.1:9',
      ),
    });
    const error = await broker
      .tokenProvider(
        fx.mailbox('revoked-box', BOB),
        'smtp',
      )({ forceRefresh: true })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'OAUTH_UNAVAILABLE', retryable: true });
  });
});
