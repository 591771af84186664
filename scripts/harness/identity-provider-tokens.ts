/**
 * Token mechanics of the local identity provider (identity-provider.ts): JWT signing, client-assertion checks,
 * Microsoft-shaped error bodies. Pure functions of their inputs; the server keeps the state.
 *
 * @module
 */
import {
  createHmac,
  createPublicKey,
  constants as cryptoConstants,
  randomUUID,
  verify,
  X509Certificate,
} from 'node:crypto';
import type { TestAppRegistration } from './identity-provider-types.js';

/** Base64url of the bytes or UTF-8 text, as JWTs spell it. */
export function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** The current time in whole seconds, as JWT `exp`/`iat` count. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Splits `https://outlook.office.com/IMAP.AccessAsUser.All` into resource and permission. */
export function splitScope(scope: string): { resource: string; permission: string } | undefined {
  const match = /^(https:\/\/[^/]+)\/(.+)$/.exec(scope);
  return match ? { resource: match[1]!, permission: match[2]! } : undefined;
}

/** A refusal of the token endpoint: HTTP status, OAuth error, AADSTS code, description. */
export class TokenError extends Error {
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
 * Signs the claims as a JWT with header `typ: JWT`, HS256 and the key id, as Dovecot's oauth2 passdb verifies them.
 *
 * @example
 * ```ts
 * const token = signJwt({ keyId: 'k1', hmacKey }, { aud: 'https://outlook.office.com', upn });
 * ```
 */
export function signJwt(
  signing: { readonly keyId: string; readonly hmacKey: Buffer | string },
  claims: Record<string, unknown>,
): string {
  const head = b64url(JSON.stringify({ typ: 'JWT', alg: 'HS256', kid: signing.keyId }));
  const body = b64url(JSON.stringify(claims));
  const signature = createHmac('sha256', signing.hmacKey).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

/**
 * Checks a client assertion (RFC 7523) the way Entra ID does for certificate credentials: the thumbprint names the
 * app's certificate, the RS256/PS256 signature verifies, and `iss`/`sub`/`aud`/`exp` fit.
 *
 * @example
 * ```ts
 * if (!verifyClientAssertion(app, form.get('client_assertion') ?? '', tokenUrl)) throw new TokenError(...);
 * ```
 */
export function verifyClientAssertion(app: TestAppRegistration, assertion: string, tokenUrl: string): boolean {
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
}

/**
 * The JSON body of a token-endpoint refusal in Microsoft's shape (error, description with trace ids, AADSTS code).
 *
 * @example
 * ```ts
 * respond(response, error.status, tokenErrorBody(error));
 * ```
 */
export function tokenErrorBody(error: TokenError): Record<string, unknown> {
  return {
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
  };
}
