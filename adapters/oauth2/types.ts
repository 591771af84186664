/**
 * The token types the broker hands out and `login` reports, in a module of their own so `broker.ts` and
 * `login.ts` both import them and neither imports the other's module for a type (issue 14 point 3: no circle).
 *
 * @module
 */

/**
 * What the mail adapters call before each connection: resolves to a bearer token for XOAUTH2/OAUTHBEARER, or
 * rejects with a {@link MailServiceError} (`OAUTH_LOGIN_REQUIRED` when a person must sign in again).
 * `forceRefresh` skips the cached access token — for a server that just rejected it (SMTP 535).
 *
 * @example
 * ```ts
 * const token = await provider();                          // from the cache when still valid
 * const fresh = await provider({ forceRefresh: true });    // a new one from the identity provider
 * ```
 */
export type AccessTokenProvider = (options?: { readonly forceRefresh?: boolean }) => Promise<string>;

/**
 * A token and what is known about it.
 *
 * @example
 * ```ts
 * const { accessToken, expiresOn, fromCache } = await broker.acquireToken(mailbox, 'imap');
 * ```
 */
export interface AcquiredToken {
  readonly accessToken: string;
  readonly expiresOn: Date | null;
  /** True when the access token came from the cache without asking the identity provider. */
  readonly fromCache: boolean;
  /** The signed-in account (delegated), or `null` (app-only). */
  readonly account: string | null;
}
