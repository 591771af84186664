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
 * The shapes live in identity-provider-types.ts, the token mechanics in identity-provider-tokens.ts and msal's
 * network client in identity-provider-network.ts; this file is the server and its grant logic, one closure over the
 * provider's state (users, apps, consents, codes, refresh tokens) — the grants read and change the same maps, which
 * is why it stays one file (~600 lines).
 *
 * @module
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { identityProviderNetworkClient, MICROSOFT_LOGIN_HOSTS } from './identity-provider-network.js';
import {
  b64url,
  nowSeconds,
  signJwt,
  splitScope,
  TokenError,
  tokenErrorBody,
  verifyClientAssertion,
} from './identity-provider-tokens.js';
import type {
  AccessTokenClaims,
  AuthorizationCodeRecord,
  DeviceCodeRecord,
  IdentityProvider,
  IdentityProviderOptions,
  IdpRequest,
  RefreshTokenRecord,
  TestAppRegistration,
  UserRecord,
} from './identity-provider-types.js';

export { identityProviderNetworkClient, MICROSOFT_LOGIN_HOSTS } from './identity-provider-network.js';
export type {
  AccessTokenClaims,
  IdentityProvider,
  IdentityProviderOptions,
  IdpRequest,
  TestAppRegistration,
} from './identity-provider-types.js';

/** The resource of Exchange Online's delegated (`…AccessAsUser.All`, `SMTP.Send`) and app-only scopes. */
const EXCHANGE_RESOURCES = new Set(['https://outlook.office.com', 'https://outlook.office365.com']);
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

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

  const jwt = (claims: Record<string, unknown>) => signJwt(options.signing, claims);

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
      if (form.get('client_assertion_type') !== ASSERTION_TYPE || !verifyClientAssertion(app, assertion, tokenUrl)) {
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

  const respond = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    response.end(JSON.stringify(body));
  };

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
      if (error instanceof TokenError) return respond(response, error.status, tokenErrorBody(error));
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
