/**
 * How msal-node reaches the local identity provider: a network client that routes Microsoft's login hosts to it and
 * refuses every other host (the tests have no internet).
 *
 * @module
 */
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';

/**
 * The hosts of Microsoft's global cloud that the network client routes to the local identity provider.
 *
 * @example
 * ```ts
 * MICROSOFT_LOGIN_HOSTS.includes(new URL(url).hostname);
 * ```
 */
export const MICROSOFT_LOGIN_HOSTS: readonly string[] = [
  'login.microsoftonline.com',
  'login.windows.net',
  'login.microsoft.com',
  'sts.windows.net',
];

/**
 * An msal network client that sends requests for Microsoft's login hosts to `url` (the local identity provider)
 * and refuses every other host as a network failure would: the tests have no internet. Usable in a child process
 * (it needs only the URL).
 *
 * @example
 * ```ts
 * const pca = new PublicClientApplication({ auth, system: { networkClient: identityProviderNetworkClient(idp.url) } });
 * ```
 */
export function identityProviderNetworkClient(url: string): INetworkModule {
  const send = async <T>(
    method: 'GET' | 'POST',
    target: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> => {
    const parsed = new URL(target);
    if (!MICROSOFT_LOGIN_HOSTS.includes(parsed.hostname)) {
      throw new Error(`no network in tests: ${parsed.hostname} is not routed to the local identity provider`);
    }
    const response = await fetch(`${url}${parsed.pathname}${parsed.search}`, {
      method,
      headers: { ...(options?.headers ?? {}), 'x-original-host': parsed.hostname },
      ...(method === 'POST' ? { body: options?.body ?? '' } : {}),
    });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      headers[key] = value;
    });
    return { headers, body: (await response.json()) as T, status: response.status };
  };
  return {
    sendGetRequestAsync: (target, options) => send('GET', target, options),
    sendPostRequestAsync: (target, options) => send('POST', target, options),
  };
}
