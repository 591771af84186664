/**
 * A local identity provider that behaves like Microsoft Entra ID (login.microsoftonline.com, v2.0 endpoints) for
 * what msal-node uses, on a loopback HTTP port: the device-code endpoint, the token endpoint with the grant types
 * `device_code`, `authorization_code` (PKCE; the browser is simulated by `browse`), `refresh_token` and
 * `client_credentials` (secret or certificate assertion), consent per scope (a
 * scope not consented yet is refused with `invalid_grant`/`consent_required`, AADSTS65001), refresh-token rotation,
 * and revocation of a user's sessions (`invalid_grant`/`bad_token`, AADSTS50173). Errors have Microsoft's JSON shape.
 *
 * Access tokens are JWTs with header `typ` exactly `JWT`, signed HS256 with a key id, carrying Exchange Online's
 * v1 claims (`aud` https://outlook.office.com, `upn`, `scp` or `roles`, `appid`, `tid`) plus a `scope` claim with the
 * same names, which is what Dovecot's oauth2 passdb checks (NOTES.md; `startMailServers({ oauth2 })`).
 *
 * msal-node reaches it through {@link identityProviderNetworkClient}: with the real authority host msal makes no
 * discovery call (NOTES.md), so only the requests a real sign-in makes arrive here. Used by
 * test/adapters/oauth2/*.int.test.ts (issue 7).
 *
 * @module
 */
import {
  createHash,
  createHmac,
  createPublicKey,
  constants as cryptoConstants,
  randomBytes,
  randomUUID,
  verify,
  X509Certificate,
} from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** The resource of Exchange Online's delegated (`…AccessAsUser.All`, `SMTP.Send`) and app-only scopes. */
const EXCHANGE_RESOURCES = new Set(['https://outlook.office.com', 'https://outlook.office365.com']);
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

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

interface UserRecord {
  readonly upn: string;
  readonly oid: string;
  /** Bumped by revokeSignInSessions: refresh tokens of an older generation are revoked. */
  generation: number;
}

interface DeviceCodeRecord {
  readonly deviceCode: string;
  readonly userCode: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
  state: 'pending' | 'approved' | 'declined' | 'redeemed';
  user?: string;
}

interface AuthorizationCodeRecord {
  readonly user: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly expiresAt: number;
}

interface RefreshTokenRecord {
  readonly user: string;
  readonly clientId: string;
  readonly generation: number;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Splits `https://outlook.office.com/IMAP.AccessAsUser.All` into resource and permission. */
function splitScope(scope: string): { resource: string; permission: string } | undefined {
  const match = /^(https:\/\/[^/]+)\/(.+)$/.exec(scope);
  return match ? { resource: match[1]!, permission: match[2]! } : undefined;
}

class TokenError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly aadsts: number,
    description: string,
    readonly suberror?: string,
  ) {
    super(description);
  }
}

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

/**
 * Starts the identity provider on a free 127.0.0.1 port.
 *
 * @example
 * ```ts
 * const idp = await startIdentityProvider({ users: ['alice@example.test'], signing: { keyId: 'k1', hmacKey } });
 * idp.registerApp({ clientId, publicClient: true });
 * // ... msal with { system: { networkClient: idp.networkClient() } } ...
 * await idp.close();
 * ```
 */
export async function startIdentityProvider(options: IdentityProviderOptions): Promise<IdentityProvider> {
  const tenantId = options.tenantId ?? randomUUID();
  const users = new Map<string, UserRecord>(
    options.users.map((upn) => [upn.toLowerCase(), { upn: upn.toLowerCase(), oid: randomUUID(), generation: 0 }]),
  );
  const domains = new Set(
    (options.domains ?? options.users.map((upn) => upn.slice(upn.indexOf('@') + 1))).map((d) => d.toLowerCase()),
  );
  const apps = new Map<string, TestAppRegistration>();
  const consents = new Map<string, Set<string>>(); // `${user}|${clientId}` → full scope URIs
  const deviceCodes = new Map<string, DeviceCodeRecord>();
  const refreshTokens = new Map<string, RefreshTokenRecord>();
  const authorizationCodes = new Map<string, AuthorizationCodeRecord>();
  const requests: IdpRequest[] = [];
  let accessTokenLifetime = options.accessTokenLifetimeSeconds ?? 3600;
  const interval = options.deviceCodeIntervalSeconds ?? 5;

  const sign = (header: Record<string, unknown>, claims: Record<string, unknown>): string => {
    const head = b64url(JSON.stringify(header));
    const body = b64url(JSON.stringify(claims));
    const signature = createHmac('sha256', options.signing.hmacKey).update(`${head}.${body}`).digest('base64url');
    return `${head}.${body}.${signature}`;
  };
  const jwt = (claims: Record<string, unknown>) =>
    sign({ typ: 'JWT', alg: 'HS256', kid: options.signing.keyId }, claims);

  const consentKey = (user: string, clientId: string) => `${user.toLowerCase()}|${clientId}`;
  const consented = (user: string, clientId: string): Set<string> => {
    const key = consentKey(user, clientId);
    let set = consents.get(key);
    if (set === undefined) {
      set = new Set();
      consents.set(key, set);
    }
    return set;
  };

  const knownTenant = (segment: string): boolean => {
    const lower = segment.toLowerCase();
    return lower === tenantId || lower === 'organizations' || lower === 'common' || domains.has(lower);
  };

  /** The resource all requested scopes belong to (Entra ID refuses scopes of two resources in one request). */
  const resourceOf = (scopes: readonly string[]): string => {
    const resources = new Set(scopes.map((scope) => splitScope(scope)?.resource));
    if (resources.size !== 1 || resources.has(undefined)) {
      throw new TokenError(
        400,
        'invalid_scope',
        70011,
        `AADSTS70011: The provided value for the input parameter 'scope' is not valid.`,
      );
    }
    const resource = [...resources][0]!;
    if (!EXCHANGE_RESOURCES.has(resource)) {
      throw new TokenError(
        400,
        'invalid_resource',
        500011,
        `AADSTS500011: The resource principal named ${resource} was not found in the tenant.`,
      );
    }
    return resource;
  };

  const issueDelegated = (user: UserRecord, app: TestAppRegistration, requested: readonly string[]) => {
    const resource = resourceOf(requested);
    const granted = [...consented(user.upn, app.clientId)].filter((scope) => splitScope(scope)?.resource === resource);
    const missing = requested.filter((scope) => !granted.includes(scope));
    if (missing.length > 0) {
      throw new TokenError(
        400,
        'invalid_grant',
        65001,
        `AADSTS65001: The user or administrator has not consented to use the application with ID '${app.clientId}' named '${app.name ?? 'app'}'. Send an interactive authorization request for this user and resource.`,
        'consent_required',
      );
    }
    const now = nowSeconds();
    // Like Entra ID: a token for a resource carries every permission consented for it, not only the requested one.
    const permissions = granted.map((scope) => splitScope(scope)!.permission).join(' ');
    const accessToken = jwt({
      aud: resource,
      iss: `https://sts.windows.net/${tenantId}/`,
      iat: now - 60,
      nbf: now - 60,
      exp: now + accessTokenLifetime,
      appid: app.clientId,
      oid: user.oid,
      sub: b64url(randomBytes(16)),
      tid: tenantId,
      upn: user.upn,
      unique_name: user.upn,
      scp: permissions,
      scope: permissions,
      ver: '1.0',
    });
    const refreshToken = `rt.${b64url(randomBytes(32))}`;
    refreshTokens.set(refreshToken, { user: user.upn, clientId: app.clientId, generation: user.generation });
    const idToken = jwt({
      aud: app.clientId,
      iss: `https://login.microsoftonline.com/${tenantId}/v2.0`,
      iat: now - 60,
      nbf: now - 60,
      exp: now + 3600,
      name: user.upn,
      oid: user.oid,
      preferred_username: user.upn,
      sub: b64url(randomBytes(16)),
      tid: tenantId,
      ver: '2.0',
    });
    return {
      token_type: 'Bearer',
      scope: granted.join(' '),
      expires_in: accessTokenLifetime,
      ext_expires_in: accessTokenLifetime,
      access_token: accessToken,
      refresh_token: refreshToken,
      id_token: idToken,
      client_info: b64url(JSON.stringify({ uid: user.oid, utid: tenantId })),
    };
  };

  const authenticateClient = (form: URLSearchParams, tokenUrl: string): TestAppRegistration => {
    const app = apps.get(form.get('client_id') ?? '');
    if (app === undefined) {
      throw new TokenError(
        400,
        'unauthorized_client',
        700016,
        `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found in the directory.`,
      );
    }
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    if (secret !== null) {
      if (app.secret === undefined || secret !== app.secret) {
        throw new TokenError(401, 'invalid_client', 7000215, 'AADSTS7000215: Invalid client secret provided.');
      }
      return app;
    }
    if (assertion !== null) {
      if (form.get('client_assertion_type') !== ASSERTION_TYPE || !verifyAssertion(app, assertion, tokenUrl)) {
        throw new TokenError(
          401,
          'invalid_client',
          700027,
          'AADSTS700027: Client assertion contains an invalid signature.',
        );
      }
      return app;
    }
    throw new TokenError(
      401,
      'invalid_client',
      7000218,
      "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  };

  const handleDeviceCode = (form: URLSearchParams): unknown => {
    const clientId = form.get('client_id') ?? '';
    const scopes = (form.get('scope') ?? '').split(' ').filter((scope) => scope !== '' && !OIDC_SCOPES.has(scope));
    const app = apps.get(clientId);
    try {
      if (app === undefined) {
        throw new TokenError(
          400,
          'unauthorized_client',
          700016,
          `AADSTS700016: Application with identifier '${clientId}' was not found in the directory.`,
        );
      }
      if (
        app.publicClient === false ||
        (app.publicClient === undefined && (app.secret ?? app.certificatePem) !== undefined)
      ) {
        throw new TokenError(
          401,
          'invalid_client',
          7000218,
          "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
      }
      resourceOf(scopes);
    } catch (error) {
      requests.push({ endpoint: 'devicecode', clientId, scopes, outcome: (error as TokenError).error });
      throw error;
    }
    const userCode = randomBytes(6).toString('hex').slice(0, 9).toUpperCase();
    const deviceCode = `dc.${b64url(randomBytes(24))}`;
    deviceCodes.set(userCode, {
      deviceCode,
      userCode,
      clientId,
      scopes,
      expiresAt: Date.now() + 900_000,
      state: 'pending',
    });
    requests.push({ endpoint: 'devicecode', clientId, scopes, outcome: 'device_code' });
    return {
      user_code: userCode,
      device_code: deviceCode,
      verification_uri: 'https://microsoft.com/devicelogin',
      expires_in: 900,
      interval,
      message: `To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ${userCode} to authenticate.`,
    };
  };

  const handleToken = (form: URLSearchParams, tokenUrl: string): unknown => {
    const grantType = form.get('grant_type') ?? '';
    const clientId = form.get('client_id') ?? '';
    const scopes = (form.get('scope') ?? '').split(' ').filter((scope) => scope !== '' && !OIDC_SCOPES.has(scope));
    const log = (outcome: string, user?: string) =>
      requests.push({
        endpoint: 'token',
        grantType,
        clientId,
        scopes,
        outcome,
        ...(user !== undefined ? { user } : {}),
      });
    let user: string | undefined;
    try {
      // msal sends the short name; RFC 8628 clients the URN. Entra ID takes both.
      if (grantType === DEVICE_CODE_GRANT || grantType === 'device_code') {
        const record = [...deviceCodes.values()].find((r) => r.deviceCode === form.get('device_code'));
        if (record === undefined || record.clientId !== clientId) {
          throw new TokenError(
            400,
            'invalid_grant',
            70000,
            'AADSTS70000: The provided value for the input parameter device_code is not valid.',
          );
        }
        if (Date.now() > record.expiresAt) {
          throw new TokenError(
            400,
            'expired_token',
            70020,
            'AADSTS70020: The provided value for the input parameter device_code is expired.',
          );
        }
        if (record.state === 'pending') {
          throw new TokenError(
            400,
            'authorization_pending',
            70016,
            'AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling.',
          );
        }
        if (record.state === 'declined') {
          throw new TokenError(
            400,
            'authorization_declined',
            70000,
            'AADSTS70000: The user declined the authorization request.',
          );
        }
        if (record.state === 'redeemed') {
          throw new TokenError(400, 'invalid_grant', 54005, 'AADSTS54005: The device code was already redeemed.');
        }
        record.state = 'redeemed';
        user = record.user!;
        const result = issueDelegated(users.get(user)!, apps.get(clientId)!, record.scopes);
        log('issued', user);
        return result;
      }
      if (grantType === 'authorization_code') {
        const code = form.get('code') ?? '';
        const record = authorizationCodes.get(code);
        authorizationCodes.delete(code);
        if (record === undefined || record.clientId !== clientId || Date.now() > record.expiresAt) {
          throw new TokenError(
            400,
            'invalid_grant',
            70008,
            'AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.',
          );
        }
        if (form.get('redirect_uri') !== record.redirectUri) {
          throw new TokenError(
            400,
            'invalid_grant',
            500112,
            'AADSTS500112: The reply address does not match the reply address provided when requesting the authorization code.',
          );
        }
        const verifier = form.get('code_verifier') ?? '';
        if (createHash('sha256').update(verifier).digest('base64url') !== record.codeChallenge) {
          throw new TokenError(
            400,
            'invalid_grant',
            501481,
            'AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request.',
          );
        }
        user = record.user;
        const result = issueDelegated(users.get(user)!, apps.get(clientId)!, record.scopes);
        log('issued', user);
        return result;
      }
      if (grantType === 'refresh_token') {
        const presented = form.get('refresh_token') ?? '';
        const record = refreshTokens.get(presented);
        if (record === undefined || record.clientId !== clientId) {
          throw new TokenError(
            400,
            'invalid_grant',
            9002313,
            'AADSTS9002313: Invalid request. Request is malformed or invalid.',
          );
        }
        user = record.user;
        const userRecord = users.get(record.user)!;
        if (record.generation !== userRecord.generation) {
          throw new TokenError(
            400,
            'invalid_grant',
            50173,
            'AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.',
            'bad_token',
          );
        }
        const app = apps.get(clientId)!;
        // Rotation: a new refresh token every time; the presented one keeps working until revoked (like Entra ID).
        const result = issueDelegated(userRecord, app, scopes);
        log('issued', user);
        return result;
      }
      if (grantType === 'client_credentials') {
        const app = authenticateClient(form, tokenUrl);
        if (scopes.length !== 1 || !scopes[0]!.endsWith('/.default')) {
          throw new TokenError(
            400,
            'invalid_scope',
            1002012,
            'AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.',
          );
        }
        const resource = scopes[0]!.slice(0, -'/.default'.length);
        if (!EXCHANGE_RESOURCES.has(resource)) {
          throw new TokenError(
            400,
            'invalid_resource',
            500011,
            `AADSTS500011: The resource principal named ${resource} was not found in the tenant.`,
          );
        }
        const now = nowSeconds();
        const roles = [...(app.appPermissions ?? [])];
        const accessToken = jwt({
          aud: resource,
          iss: `https://sts.windows.net/${tenantId}/`,
          iat: now - 60,
          nbf: now - 60,
          exp: now + accessTokenLifetime,
          appid: app.clientId,
          oid: randomUUID(),
          sub: app.clientId,
          tid: tenantId,
          roles,
          scope: roles.join(' '),
          ver: '1.0',
        });
        log('issued');
        return {
          token_type: 'Bearer',
          expires_in: accessTokenLifetime,
          ext_expires_in: accessTokenLifetime,
          access_token: accessToken,
        };
      }
      throw new TokenError(
        400,
        'unsupported_grant_type',
        70003,
        `AADSTS70003: The app requested an unsupported grant type '${grantType}'.`,
      );
    } catch (error) {
      if (error instanceof TokenError) log(error.error, user);
      throw error;
    }
  };

  const verifyAssertion = (app: TestAppRegistration, assertion: string, tokenUrl: string): boolean => {
    if (app.certificatePem === undefined) return false;
    const [head = '', body = '', signature = ''] = assertion.split('.');
    let header: Record<string, string>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return false;
    }
    const certificate = new X509Certificate(app.certificatePem);
    const sha1 = Buffer.from(certificate.fingerprint.replace(/:/g, ''), 'hex').toString('base64url');
    const sha256 = Buffer.from(certificate.fingerprint256.replace(/:/g, ''), 'hex').toString('base64url');
    if (header.x5t !== sha1 && header['x5t#S256'] !== sha256) return false;
    const key = createPublicKey(certificate.publicKey.export({ format: 'pem', type: 'spki' }));
    const data = Buffer.from(`${head}.${body}`);
    const sig = Buffer.from(signature, 'base64url');
    const ok =
      header.alg === 'RS256'
        ? verify('sha256', data, key, sig)
        : header.alg === 'PS256'
          ? verify(
              'sha256',
              data,
              {
                key,
                padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
                saltLength: cryptoConstants.RSA_PSS_SALTLEN_DIGEST,
              },
              sig,
            )
          : false;
    return (
      ok &&
      claims.iss === app.clientId &&
      claims.sub === app.clientId &&
      claims.aud === tokenUrl &&
      Number(claims.exp) > nowSeconds()
    );
  };

  const respond = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    response.end(JSON.stringify(body));
  };
  const errorBody = (error: TokenError) => ({
    error: error.error,
    error_description: `${error.message}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
    error_codes: [error.aadsts],
    timestamp: new Date()
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, 'Z'),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
    error_uri: `https://login.microsoftonline.com/error?code=${error.aadsts}`,
    ...(error.suberror !== undefined ? { suberror: error.suberror } : {}),
  });

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const url = new URL(request.url ?? '/', 'http://idp.invalid');
    const host = String(request.headers['x-original-host'] ?? 'login.microsoftonline.com');
    const [tenant = '', ...rest] = url.pathname.split('/').filter(Boolean);
    const route = rest.join('/');
    try {
      if (request.method === 'GET' && tenant === 'common' && route === 'discovery/instance') {
        return respond(response, 200, {
          tenant_discovery_endpoint: `https://${host}/${tenantId}/v2.0/.well-known/openid-configuration`,
          'api-version': '1.1',
          metadata: [
            {
              preferred_network: 'login.microsoftonline.com',
              preferred_cache: 'login.windows.net',
              aliases: MICROSOFT_LOGIN_HOSTS,
            },
          ],
        });
      }
      if (request.method !== 'POST' || (route !== 'oauth2/v2.0/devicecode' && route !== 'oauth2/v2.0/token')) {
        return respond(response, 404, {
          error: 'not_found',
          error_description: `no such endpoint: ${request.method} ${url.pathname}`,
        });
      }
      if (!knownTenant(tenant)) {
        throw new TokenError(400, 'invalid_request', 90002, `AADSTS90002: Tenant '${tenant}' not found.`);
      }
      if (route === 'oauth2/v2.0/devicecode') return respond(response, 200, handleDeviceCode(form));
      return respond(response, 200, handleToken(form, `https://${host}/${tenant}/oauth2/v2.0/token`));
    } catch (error) {
      if (error instanceof TokenError) return respond(response, error.status, errorBody(error));
      return respond(response, 500, { error: 'server_error', error_description: String(error) });
    }
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closed: Promise<void> | null = null;

  const userNamed = (name: string): UserRecord => {
    const record = users.get(name.toLowerCase());
    if (record === undefined) throw new Error(`identity provider: no user ${name}`);
    return record;
  };

  return {
    url,
    tenantId,
    requests,
    registerApp(app) {
      apps.set(app.clientId, app);
    },
    approveDeviceCode(userCode, user) {
      const record = deviceCodes.get(userCode);
      if (record === undefined || record.state !== 'pending')
        throw new Error(`identity provider: no pending device code ${userCode}`);
      const upn = userNamed(user).upn;
      record.state = 'approved';
      record.user = upn;
      for (const scope of record.scopes) consented(upn, record.clientId).add(scope);
    },
    denyDeviceCode(userCode) {
      const record = deviceCodes.get(userCode);
      if (record === undefined || record.state !== 'pending')
        throw new Error(`identity provider: no pending device code ${userCode}`);
      record.state = 'declined';
    },
    async browse(authorizeUrl, user, browseOptions) {
      const query = new URL(authorizeUrl).searchParams;
      const clientId = query.get('client_id') ?? '';
      const redirectUri = query.get('redirect_uri') ?? '';
      const scopes = (query.get('scope') ?? '').split(' ').filter((scope) => scope !== '' && !OIDC_SCOPES.has(scope));
      if (!apps.has(clientId)) throw new Error(`identity provider: no app ${clientId}`);
      if (!/^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?\/?$/.test(redirectUri)) {
        throw new Error(`identity provider: redirect URI ${redirectUri} is not a registered loopback address`);
      }
      if (query.get('response_mode') !== 'form_post' || query.get('code_challenge_method') !== 'S256') {
        throw new Error('identity provider: expected response_mode=form_post and PKCE S256');
      }
      const answer = new URLSearchParams({ state: query.get('state') ?? '' });
      if (browseOptions?.decline) {
        answer.set('error', 'access_denied');
        answer.set('error_description', 'AADSTS65004: User declined to consent to access the app.');
      } else {
        const record = userNamed(user);
        for (const scope of scopes) consented(record.upn, clientId).add(scope);
        const code = `code.${b64url(randomBytes(24))}`;
        authorizationCodes.set(code, {
          user: record.upn,
          clientId,
          scopes,
          redirectUri,
          codeChallenge: query.get('code_challenge') ?? '',
          expiresAt: Date.now() + 600_000,
        });
        answer.set('code', code);
        answer.set('client_info', b64url(JSON.stringify({ uid: record.oid, utid: tenantId })));
      }
      const response = await fetch(redirectUri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: answer.toString(),
      });
      await response.text();
    },
    consentedScopes(user, clientId) {
      return [...consented(userNamed(user).upn, clientId)];
    },
    revokeConsent(user, clientId, scopes) {
      const set = consented(userNamed(user).upn, clientId);
      for (const scope of scopes ?? [...set]) set.delete(scope);
    },
    revokeSignInSessions(user) {
      userNamed(user).generation += 1;
    },
    setAccessTokenLifetime(seconds) {
      accessTokenLifetime = seconds;
    },
    verifyAccessToken(token, expect) {
      const [head = '', body = '', signature = ''] = token.split('.');
      const good = createHmac('sha256', options.signing.hmacKey).update(`${head}.${body}`).digest('base64url');
      if (signature.length !== good.length || signature !== good) return undefined;
      let header: Record<string, unknown>;
      let claims: AccessTokenClaims;
      try {
        header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8'));
        claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      } catch {
        return undefined;
      }
      if (header.typ !== 'JWT' || header.kid !== options.signing.keyId || !(claims.exp > nowSeconds()))
        return undefined;
      if (expect?.user !== undefined && claims.upn !== undefined && claims.upn !== expect.user.toLowerCase())
        return undefined;
      if (expect?.scope !== undefined) {
        const granted = [...(claims.scp ?? '').split(' '), ...(claims.roles ?? [])];
        if (!granted.includes(expect.scope)) return undefined;
      }
      return claims;
    },
    networkClient() {
      return identityProviderNetworkClient(url);
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}
