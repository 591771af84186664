/**
 * The OAuth2 broker, loaded when it is needed: msal-node (over 100 ms of cold imports) is read only by a process
 * with a mailbox that has `oauth2:` (issue 12 point 5). Import this module, not `broker.ts` or the barrel, where the
 * broker may not be needed.
 *
 * @module
 */
import type { OAuth2Broker, OAuth2BrokerOptions } from './broker.js';

/**
 * Loads msal-node and the broker, and creates one broker (as `createOAuth2Broker` does).
 *
 * @example
 * ```ts
 * const broker = usesOAuth2 ? await loadOAuth2Broker({ tokenCache }) : undefined;
 * const token = broker?.tokenProvider(mailbox, 'imap');
 * ```
 */
export async function loadOAuth2Broker(options: OAuth2BrokerOptions): Promise<OAuth2Broker> {
  const { createOAuth2Broker } = await import('./broker.js');
  return createOAuth2Broker(options);
}
