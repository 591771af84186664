/**
 * The shapes of the local identity provider (identity-provider.ts): what a test registers and reads, and the
 * provider's own bookkeeping records. Kept apart so the server file holds only the grant logic.
 *
 * @module
 */
import type { INetworkModule } from '@azure/msal-node';
/**
 * An app registration.
 *
 * @example
 * ```ts
 * idp.registerApp({ clientId: randomUUID(), name: 'mail-autopilot', publicClient: true });
 * idp.registerApp({ clientId, name: 'daemon', secret: 's3cret', appPermissions: ['IMAP.AccessAsApp'] });
 * ```
 */
export interface TestAppRegistration {
  readonly clientId: string;
  readonly name?: string;
  /** "Allow public client flows" (device code): default true when the app has no credential. */
  readonly publicClient?: boolean;
  /** A client secret (confidential client). */
  readonly secret?: string;
  /** A certificate (PEM) whose private key signs client assertions. */
  readonly certificatePem?: string;
  /** Application permissions on Exchange Online an administrator consented to (`IMAP.AccessAsApp`, …). */
  readonly appPermissions?: readonly string[];
}

/**
 * Options of {@link startIdentityProvider}.
 *
 * @example
 * ```ts
 * const idp = await startIdentityProvider({ users: ['alice@example.test'], signing: { keyId: 'k1', hmacKey } });
 * ```
 */
export interface IdentityProviderOptions {
  /** The directory (tenant) id. Default: a random GUID. */
  readonly tenantId?: string;
  /** Verified domains of the tenant (accepted in the authority URL). Default: the users' domains. */
  readonly domains?: readonly string[];
  /** User principal names. */
  readonly users: readonly string[];
  /** The HS256 key access tokens are signed with, filed under `keyId` (Dovecot validates with the same). */
  readonly signing: { readonly keyId: string; readonly hmacKey: Buffer };
  /** `expires_in` of access tokens. Default 3600 (Microsoft: 60–90 min). msal renews within 300 s of expiry. */
  readonly accessTokenLifetimeSeconds?: number;
  /** The device-code polling `interval`. Default 5 (Microsoft's). */
  readonly deviceCodeIntervalSeconds?: number;
}

/**
 * One request at the token or device-code endpoint, as the test sees it.
 *
 * @example
 * ```ts
 * expect(idp.requests.filter((r) => r.endpoint === 'devicecode').map((r) => r.scopes)).toEqual([[IMAP]]);
 * ```
 */
export interface IdpRequest {
  readonly endpoint: 'devicecode' | 'token';
  readonly grantType?: string;
  readonly clientId: string;
  /** Requested scopes without openid/profile/offline_access. */
  readonly scopes: readonly string[];
  readonly user?: string;
  /** `issued`, `device_code` (devicecode endpoint) or the error code returned (`authorization_pending`, …). */
  readonly outcome: string;
}

/**
 * The claims of an access token that verified.
 *
 * @example
 * ```ts
 * const claims = idp.verifyAccessToken(token);
 * claims?.upn; // 'alice@example.test'
 * ```
 */
export interface AccessTokenClaims {
  readonly aud: string;
  readonly upn?: string;
  readonly appid: string;
  readonly scp?: string;
  readonly roles?: readonly string[];
  readonly exp: number;
  readonly [claim: string]: unknown;
}

/**
 * A running identity provider.
 *
 * @example
 * ```ts
 * const idp: IdentityProvider = await startIdentityProvider({ users: ['alice@example.test'], signing });
 * idp.approveDeviceCode(prompt.userCode, 'alice@example.test');
 * ```
 */
export interface IdentityProvider {
  /** `http://127.0.0.1:<port>`: what the network client sends Microsoft's requests to. */
  readonly url: string;
  readonly tenantId: string;
  /** Every device-code and token request so far, in order. */
  readonly requests: readonly IdpRequest[];
  registerApp(app: TestAppRegistration): void;
  /** The person signs in at the device login page with `userCode` and consents to what was asked for. */
  approveDeviceCode(userCode: string, user: string): void;
  /** The person declines the consent prompt. */
  denyDeviceCode(userCode: string): void;
  /**
   * A browser on this machine (the interactive flow): opens msal's authorize URL as `user` signing in and
   * consenting (or declining), and posts the answer to msal's loopback redirect URI (`response_mode=form_post`).
   */
  browse(authorizeUrl: string, user: string, options?: { readonly decline?: boolean }): Promise<void>;
  /** Scopes `user` consented to for `clientId` (full URIs). */
  consentedScopes(user: string, clientId: string): string[];
  /** Withdraws consent (all of it, or the given scopes). */
  revokeConsent(user: string, clientId: string, scopes?: readonly string[]): void;
  /** Like `Revoke-MgUserSignInSession`: every refresh token of `user` issued so far stops working. */
  revokeSignInSessions(user: string): void;
  /** Changes `expires_in` of access tokens issued from now on. */
  setAccessTokenLifetime(seconds: number): void;
  /** Checks signature, `typ`, expiry (and optionally user and a scope or role): the claims, or undefined. */
  verifyAccessToken(
    token: string,
    expect?: { readonly user?: string; readonly scope?: string },
  ): AccessTokenClaims | undefined;
  /** msal's network client reaching this provider (see {@link identityProviderNetworkClient}). */
  networkClient(): INetworkModule;
  close(): Promise<void>;
}

/** The identity provider's bookkeeping of one User. */
export interface UserRecord {
  readonly upn: string;
  readonly oid: string;
  /** Bumped by revokeSignInSessions: refresh tokens of an older generation are revoked. */
  generation: number;
}

/** The identity provider's bookkeeping of one DeviceCode. */
export interface DeviceCodeRecord {
  readonly deviceCode: string;
  readonly userCode: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
  state: 'pending' | 'approved' | 'declined' | 'redeemed';
  user?: string;
}

/** The identity provider's bookkeeping of one AuthorizationCode. */
export interface AuthorizationCodeRecord {
  readonly user: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly expiresAt: number;
}

/** The identity provider's bookkeeping of one RefreshToken. */
export interface RefreshTokenRecord {
  readonly user: string;
  readonly clientId: string;
  readonly generation: number;
}
