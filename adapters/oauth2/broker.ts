/**
 * The token broker of an installation (SPEC S3, S4): hands the mail adapters a token provider per mailbox and
 * protocol that takes tokens silently from the shared cache (refreshing them with the refresh token when needed),
 * and signs people in (`login`) only for protocols that have no usable token yet.
 *
 * @module
 */
import type { AccountInfo, AuthenticationResult, INetworkModule } from '@azure/msal-node';
import { MailServiceError } from '../errors.js';
import { createMsalClients, type MsalClients } from './clients.js';
import { type OAuth2Mailbox, type OAuth2Settings, resolveOAuth2Settings } from './config.js';
import { loginRequiredError, toOAuth2Error } from './errors.js';
import type { FileLockOptions } from './file-lock.js';
import { type LoginRequest, type LoginResult, runLogin } from './login.js';
import { APP_ONLY_SCOPE, delegatedScopes, type OAuth2Protocol } from './scopes.js';
import { createFileCachePlugin } from './token-cache.js';
import type { AccessTokenProvider, AcquiredToken } from './types.js';

// The token types live in types.ts, which login.ts imports too (no broker ↔ login circle, issue 14).
export type { AccessTokenProvider, AcquiredToken } from './types.js';

/**
 * Options of {@link createOAuth2Broker}.
 *
 * @example
 * ```ts
 * const options: OAuth2BrokerOptions = { tokenCache: '/var/lib/mail-autopilot/tokens.json' };
 * ```
 */
export interface OAuth2BrokerOptions {
  /** The installation's token cache file (see {@link defaultTokenCachePath}). */
  readonly tokenCache: string;
  /** msal's HTTP client; default msal's own. Tests pass one that reaches a local identity provider. */
  readonly networkClient?: INetworkModule;
  /** Opens a browser for the interactive flow; default the system's opener. */
  readonly openBrowser?: (url: string) => Promise<void>;
  /** Waiting for the cache's lock file. */
  readonly lock?: FileLockOptions;
  /** The configuration file, named in the `login` command of `OAUTH_LOGIN_REQUIRED` messages. */
  readonly configFile?: string;
}

/**
 * The broker (see the module description). One per installation and process; cheap to keep for the process's life.
 *
 * @example
 * ```ts
 * const broker = createOAuth2Broker({ tokenCache });
 * const imap = createImapService({ ...imapConfig, accessToken: broker.tokenProvider(mailbox, 'imap') });
 * ```
 */
export interface OAuth2Broker {
  /**
   * The token provider of `mailbox` for `protocol`. The configuration is validated here (a `CONFIG_INVALID`
   * {@link MailServiceError} is thrown at once); tokens are only fetched when the provider is called.
   */
  tokenProvider(mailbox: OAuth2Mailbox, protocol: OAuth2Protocol): AccessTokenProvider;
  /** A token for `mailbox` and `protocol`, silently (cache, then refresh token); never asks a person. */
  acquireToken(
    mailbox: OAuth2Mailbox,
    protocol: OAuth2Protocol,
    options?: { readonly forceRefresh?: boolean },
  ): Promise<AcquiredToken>;
  /** Signs in for the protocols that have no usable token yet; says which it skipped and why. */
  login(request: LoginRequest): Promise<LoginResult[]>;
}

function sameUser(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** The cached account of `user` (several tenants may know the same name: prefer the configured tenant). */
function pickAccount(accounts: readonly AccountInfo[], settings: OAuth2Settings): AccountInfo | undefined {
  const matching = accounts.filter((account) => sameUser(account.username, settings.user));
  const tenant = new URL(settings.authority).pathname.split('/').filter(Boolean)[0]?.toLowerCase();
  return matching.find((account) => account.tenantId.toLowerCase() === tenant) ?? matching[0];
}

function toAcquired(
  result: AuthenticationResult | null,
  settings: OAuth2Settings,
  protocol: OAuth2Protocol,
): AcquiredToken {
  if (result === null || !result.accessToken) {
    throw new MailServiceError({
      code: 'OAUTH_FAILED',
      message: `OAuth2 (${protocol}): the identity provider returned no access token`,
      retryable: true,
      mailboxId: settings.mailboxId,
    });
  }
  return {
    accessToken: result.accessToken,
    expiresOn: result.expiresOn ?? null,
    fromCache: result.fromCache,
    account: settings.access === 'delegated' ? (result.account?.username ?? settings.user) : null,
  };
}

/**
 * Creates the broker of an installation.
 *
 * @example
 * ```ts
 * const broker = createOAuth2Broker({ tokenCache: defaultTokenCachePath(config.baseDir) });
 * const results = await broker.login({ mailboxes: [mailbox], protocols: ['imap'], onDeviceCode: (p) => print(p.message) });
 * ```
 */
export function createOAuth2Broker(options: OAuth2BrokerOptions): OAuth2Broker {
  const clients: MsalClients = createMsalClients({
    cachePlugin: createFileCachePlugin(options.tokenCache, options.lock ? { lock: options.lock } : {}),
    ...(options.networkClient !== undefined ? { networkClient: options.networkClient } : {}),
  });

  async function acquireWithSettings(
    settings: OAuth2Settings,
    protocol: OAuth2Protocol,
    forceRefresh: boolean,
  ): Promise<AcquiredToken> {
    try {
      if (settings.access === 'appOnly') {
        const result = await clients
          .confidentialClient(settings)
          .acquireTokenByClientCredential({ scopes: [APP_ONLY_SCOPE], skipCache: forceRefresh });
        return toAcquired(result, settings, protocol);
      }
      const app = clients.publicClient(settings);
      const account = pickAccount(await app.getTokenCache().getAllAccounts(), settings);
      if (account === undefined) {
        const reason = `no sign-in for ${settings.user} in the token cache`;
        throw loginRequiredError(settings.mailboxId, protocol, reason, undefined, options.configFile);
      }
      const result = await app.acquireTokenSilent({ account, scopes: delegatedScopes(protocol), forceRefresh });
      return toAcquired(result, settings, protocol);
    } catch (error) {
      throw toOAuth2Error(error, settings.mailboxId, protocol, settings.user, options.configFile);
    }
  }

  const broker: OAuth2Broker = {
    tokenProvider(mailbox, protocol) {
      const settings = resolveOAuth2Settings(mailbox);
      return async (providerOptions) =>
        (await acquireWithSettings(settings, protocol, providerOptions?.forceRefresh === true)).accessToken;
    },
    acquireToken(mailbox, protocol, acquireOptions) {
      return acquireWithSettings(resolveOAuth2Settings(mailbox), protocol, acquireOptions?.forceRefresh === true);
    },
    login(request) {
      return runLogin(request, {
        clients,
        acquireSilently: acquireWithSettings,
        ...(options.openBrowser !== undefined ? { openBrowser: options.openBrowser } : {}),
      });
    },
  };
  return broker;
}
