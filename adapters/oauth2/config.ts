/**
 * The OAuth2 configuration of a mailbox (SPEC S3: Exchange Online with only a user name) and its validation, done
 * before anything connects. Defaults are documented in docs/exchange-online.md.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { MailServiceError, configError as sharedConfigError } from '../errors.js';

/**
 * How tokens are obtained.
 *
 * @example
 * ```ts
 * const flow: OAuth2Flow = 'deviceCode';
 * ```
 */
export type OAuth2Flow = 'deviceCode' | 'interactive' | 'clientCredentials';

/**
 * The `oauth2` block of a mailbox.
 *
 * @example
 * ```ts
 * // Delegated (a person signs in once per protocol with `mail-autopilot login`):
 * const delegated: OAuth2Config = { tenant: 'contoso.onmicrosoft.com', clientId: '00000000-0000-0000-0000-000000000001' };
 * // App-only (no person; an administrator granted the app access to the mailbox):
 * const appOnly: OAuth2Config = {
 *   tenant: 'contoso.onmicrosoft.com', clientId: '00000000-0000-0000-0000-000000000001',
 *   flow: 'clientCredentials', clientSecret: process.env.AUTOPILOT_CLIENT_SECRET,
 * };
 * ```
 */
export interface OAuth2Config {
  /**
   * Directory (tenant) id or a verified domain of the tenant. Default `organizations` (any work or school account),
   * which serves delegated sign-in; app-only access needs the real tenant.
   */
  readonly tenant?: string;
  /** Application (client) id of the app registration. Required: there is no default app. */
  readonly clientId: string;
  /**
   * `deviceCode` (default for delegated access: a code to type at https://microsoft.com/devicelogin, for servers
   * without a browser), `interactive` (a browser on this machine, loopback redirect) or `clientCredentials` (app-only;
   * the default when a `clientSecret` or `certificate` is given).
   */
  readonly flow?: OAuth2Flow;
  /** App-only: the client secret's value. */
  readonly clientSecret?: string;
  /** App-only: a certificate uploaded to the app registration, and the PEM file of its private key. */
  readonly certificate?: { readonly thumbprint: string; readonly privateKeyFile: string };
  /**
   * The authority URL. Default `https://login.microsoftonline.com/<tenant>`; set it for national clouds
   * (`https://login.microsoftonline.us/<tenant>`, …).
   */
  readonly authority?: string;
}

/**
 * A mailbox as OAuth2 sees it: its id (for errors and the `login` hint), the account (user name), and its
 * `oauth2` block.
 *
 * @example
 * ```ts
 * const mailbox: OAuth2Mailbox = {
 *   id: 'support', user: 'support@contoso.com',
 *   oauth2: { tenant: 'contoso.onmicrosoft.com', clientId: '00000000-0000-0000-0000-000000000001' },
 * };
 * ```
 */
export interface OAuth2Mailbox {
  readonly id: string;
  readonly user: string;
  readonly oauth2: OAuth2Config;
}

/**
 * The default of {@link OAuth2Config.tenant}.
 *
 * @example
 * ```ts
 * const tenant = config.tenant ?? DEFAULT_TENANT; // 'organizations'
 * ```
 */
export const DEFAULT_TENANT = 'organizations';

/**
 * The host of the default authority (Microsoft Entra ID, global cloud).
 *
 * @example
 * ```ts
 * const authority = `https://${DEFAULT_AUTHORITY_HOST}/${tenant}`;
 * ```
 */
export const DEFAULT_AUTHORITY_HOST = 'login.microsoftonline.com';

/** Tenants that name no single directory: fine for a person signing in, impossible for app-only access. */
const MULTI_TENANT = new Set(['common', 'organizations', 'consumers']);

/**
 * A validated `oauth2` block: what the token broker works with.
 *
 * @example
 * ```ts
 * const settings = resolveOAuth2Settings(mailbox);
 * settings.flow;      // 'deviceCode'
 * settings.authority; // 'https://login.microsoftonline.com/organizations'
 * ```
 */
export interface OAuth2Settings {
  readonly mailboxId: string;
  /** The account: the mailbox's user name, also the XOAUTH2 `user`. */
  readonly user: string;
  readonly clientId: string;
  readonly authority: string;
  readonly flow: OAuth2Flow;
  /** `delegated` for deviceCode/interactive (a signed-in person), `appOnly` for clientCredentials. */
  readonly access: 'delegated' | 'appOnly';
  readonly clientSecret?: string;
  /** msal's certificate credential: SHA-1 (40 hex digits) or SHA-256 (64) thumbprint and the PEM private key. */
  readonly certificate?: {
    readonly thumbprint?: string;
    readonly thumbprintSha256?: string;
    readonly privateKey: string;
  };
}

/** The shared {@link sharedConfigError} with the field under `oauth2.` (the block the problem is in). */
function configError(mailboxId: string, field: string, message: string, cause?: unknown): MailServiceError {
  return sharedConfigError(mailboxId, `oauth2.${field}`, message, cause);
}

function readPrivateKey(mailboxId: string, file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw configError(mailboxId, 'certificate.privateKeyFile', `cannot read ${JSON.stringify(file)}`, error);
  }
  if (!/-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(pem)) {
    throw configError(mailboxId, 'certificate.privateKeyFile', `${JSON.stringify(file)} holds no PEM private key`);
  }
  if (pem.includes('ENCRYPTED PRIVATE KEY')) {
    throw configError(
      mailboxId,
      'certificate.privateKeyFile',
      `${JSON.stringify(file)} is encrypted; give it unencrypted (mode 0600)`,
    );
  }
  return pem;
}

/**
 * Validates a mailbox's `oauth2` block and fills in the defaults. Every problem is a `CONFIG_INVALID`
 * {@link MailServiceError} (not retryable) naming the mailbox and the field. Reads the certificate's private key.
 *
 * @example
 * ```ts
 * resolveOAuth2Settings({ id: 'support', user: 'support@contoso.com', oauth2: { clientId: '' } });
 * // throws MailServiceError CONFIG_INVALID: "mailbox support: oauth2.clientId: expected the application (client) id ..."
 * ```
 */
export function resolveOAuth2Settings(mailbox: OAuth2Mailbox): OAuth2Settings {
  const id = mailbox.id;
  const config = mailbox.oauth2 as Partial<OAuth2Config> | undefined;
  if (typeof config !== 'object' || config === null) throw configError(id, 'clientId', 'the oauth2 block is missing');
  if (typeof mailbox.user !== 'string' || mailbox.user.trim() === '') {
    throw new MailServiceError({
      code: 'CONFIG_INVALID',
      message: 'user: OAuth2 needs the user name of the mailbox (the account that signs in)',
      retryable: false,
      mailboxId: id,
    });
  }
  if (typeof config.clientId !== 'string' || config.clientId.trim() === '') {
    throw configError(id, 'clientId', 'expected the application (client) id of the app registration');
  }
  const tenant = config.tenant ?? DEFAULT_TENANT;
  if (typeof tenant !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(tenant)) {
    throw configError(id, 'tenant', `expected a tenant id or domain, got ${JSON.stringify(tenant)}`);
  }
  const hasSecret = config.clientSecret !== undefined;
  const hasCertificate = config.certificate !== undefined;
  const flow: OAuth2Flow = config.flow ?? (hasSecret || hasCertificate ? 'clientCredentials' : 'deviceCode');
  if (!['deviceCode', 'interactive', 'clientCredentials'].includes(flow)) {
    throw configError(id, 'flow', `expected deviceCode, interactive or clientCredentials, got ${JSON.stringify(flow)}`);
  }

  let authority = `https://${DEFAULT_AUTHORITY_HOST}/${tenant}`;
  if (config.authority !== undefined) {
    let url: URL;
    try {
      url = new URL(config.authority);
    } catch (error) {
      throw configError(id, 'authority', `not a URL: ${JSON.stringify(config.authority)}`, error);
    }
    if (url.protocol !== 'https:') throw configError(id, 'authority', 'must be an https:// URL');
    if (url.pathname.split('/').filter(Boolean).length === 0) {
      throw configError(id, 'authority', 'must name the tenant: https://<host>/<tenant>');
    }
    authority = config.authority.replace(/\/+$/, '');
  }
  const authorityTenant = new URL(authority).pathname.split('/').filter(Boolean)[0] ?? '';

  const base = { mailboxId: id, user: mailbox.user.trim(), clientId: config.clientId.trim(), authority, flow };
  if (flow !== 'clientCredentials') {
    if (hasSecret || hasCertificate) {
      throw configError(
        id,
        hasSecret ? 'clientSecret' : 'certificate',
        `belongs to app-only access (flow clientCredentials); flow ${flow} signs a person in and sends no secret`,
      );
    }
    return { ...base, access: 'delegated' };
  }

  if (MULTI_TENANT.has(authorityTenant.toLowerCase())) {
    throw configError(
      id,
      'tenant',
      `app-only access (clientCredentials) needs the tenant id or domain, not ${JSON.stringify(authorityTenant)}`,
    );
  }
  if (hasSecret === hasCertificate) {
    throw configError(id, 'clientSecret', 'app-only access needs exactly one of clientSecret and certificate');
  }
  if (hasSecret) {
    if (typeof config.clientSecret !== 'string' || config.clientSecret === '') {
      throw configError(id, 'clientSecret', 'must be a non-empty string');
    }
    return { ...base, access: 'appOnly', clientSecret: config.clientSecret };
  }
  const certificate = config.certificate as { thumbprint?: unknown; privateKeyFile?: unknown };
  const thumbprint = typeof certificate.thumbprint === 'string' ? certificate.thumbprint.replace(/[\s:]/g, '') : '';
  if (!/^([0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$/.test(thumbprint)) {
    throw configError(
      id,
      'certificate.thumbprint',
      'expected the certificate thumbprint as shown in the app registration (40 or 64 hex digits)',
    );
  }
  if (typeof certificate.privateKeyFile !== 'string' || certificate.privateKeyFile === '') {
    throw configError(id, 'certificate.privateKeyFile', 'expected the PEM file of the private key');
  }
  const privateKey = readPrivateKey(id, certificate.privateKeyFile);
  return {
    ...base,
    access: 'appOnly',
    certificate:
      thumbprint.length === 40
        ? { thumbprint: thumbprint.toUpperCase(), privateKey }
        : { thumbprintSha256: thumbprint.toUpperCase(), privateKey },
  };
}
