/**
 * The msal applications of one installation: a public client per (client id, authority) for delegated access and a
 * confidential client per (client id, authority, credential) for app-only access. All of them share the one token
 * cache file; msal's own logging is off, so tokens and user names never reach a log.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import {
  ConfidentialClientApplication,
  type Configuration,
  type ICachePlugin,
  type INetworkModule,
  LogLevel,
  PublicClientApplication,
} from '@azure/msal-node';
import type { OAuth2Settings } from './config.js';

/**
 * What every msal application of a {@link MsalClients} gets.
 *
 * @example
 * ```ts
 * const clients = createMsalClients({ cachePlugin: createFileCachePlugin(path) });
 * ```
 */
export interface MsalClientsOptions {
  readonly cachePlugin: ICachePlugin;
  /** msal's HTTP client; default msal's own (fetch). Tests route Microsoft's hosts to a local identity provider. */
  readonly networkClient?: INetworkModule;
}

/**
 * Hands out msal applications, made once per distinct configuration.
 *
 * @example
 * ```ts
 * const pca = clients.publicClient(settings);
 * const accounts = await pca.getTokenCache().getAllAccounts();
 * ```
 */
export interface MsalClients {
  publicClient(settings: OAuth2Settings): PublicClientApplication;
  confidentialClient(settings: OAuth2Settings): ConfidentialClientApplication;
}

function fingerprint(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 16);
}

/**
 * Creates the application registry (see {@link MsalClients}).
 *
 * @example
 * ```ts
 * const clients = createMsalClients({ cachePlugin, networkClient });
 * const token = await clients.confidentialClient(settings).acquireTokenByClientCredential({ scopes });
 * ```
 */
export function createMsalClients(options: MsalClientsOptions): MsalClients {
  const publics = new Map<string, PublicClientApplication>();
  const confidentials = new Map<string, ConfidentialClientApplication>();
  const base = (settings: OAuth2Settings): Configuration => ({
    auth: { clientId: settings.clientId, authority: settings.authority },
    cache: { cachePlugin: options.cachePlugin },
    system: {
      ...(options.networkClient !== undefined ? { networkClient: options.networkClient } : {}),
      loggerOptions: { loggerCallback: () => undefined, piiLoggingEnabled: false, logLevel: LogLevel.Error },
    },
  });

  return {
    publicClient(settings) {
      const key = `${settings.clientId}|${settings.authority}`;
      let app = publics.get(key);
      if (app === undefined) {
        app = new PublicClientApplication(base(settings));
        publics.set(key, app);
      }
      return app;
    },
    confidentialClient(settings) {
      const credential =
        settings.clientSecret !== undefined
          ? `secret:${fingerprint(settings.clientSecret)}`
          : `cert:${settings.certificate?.thumbprint ?? settings.certificate?.thumbprintSha256 ?? ''}:${fingerprint(settings.certificate?.privateKey ?? '')}`;
      const key = `${settings.clientId}|${settings.authority}|${credential}`;
      let app = confidentials.get(key);
      if (app === undefined) {
        const config = base(settings);
        app = new ConfidentialClientApplication({
          ...config,
          auth: {
            ...config.auth,
            ...(settings.clientSecret !== undefined ? { clientSecret: settings.clientSecret } : {}),
            ...(settings.certificate !== undefined ? { clientCertificate: { ...settings.certificate } } : {}),
          },
        });
        confidentials.set(key, app);
      }
      return app;
    },
  };
}
