/**
 * OAuth2 for Exchange Online (SPEC S3, S4): a token broker on msal-node with one shared, locked, 0600 token cache;
 * per-protocol delegated sign-in (device code or browser) and app-only access (client credentials); the `login`
 * logic; and the XOAUTH2 SASL pieces the mail adapters need. See docs/exchange-online.md.
 *
 * @module
 */
export {
  type AccessTokenProvider,
  type AcquiredToken,
  createOAuth2Broker,
  type OAuth2Broker,
  type OAuth2BrokerOptions,
} from './broker.js';
export {
  DEFAULT_AUTHORITY_HOST,
  DEFAULT_TENANT,
  type OAuth2Config,
  type OAuth2Flow,
  type OAuth2Mailbox,
  type OAuth2Settings,
  resolveOAuth2Settings,
} from './config.js';
export { loginCommand, loginRequiredError, toOAuth2Error } from './errors.js';
export { acquireFileLock, type FileLockOptions, FileLockTimeoutError } from './file-lock.js';
export { loadOAuth2Broker } from './load-broker.js';
export { type LoginMailbox, type LoginRequest, type LoginResult, runLogin } from './login.js';
export { type Pop3LineIo, type Pop3XOAuth2Result, pop3AuthXOAuth2 } from './pop3-xoauth2.js';
export {
  APP_ONLY_SCOPE,
  delegatedScopes,
  OAUTH2_PROTOCOLS,
  type OAuth2Protocol,
  OFFLINE_ACCESS,
  PROTOCOL_SCOPES,
  parseProtocol,
  protocolLabel,
} from './scopes.js';
export { type DeviceCodePrompt, openSystemBrowser } from './sign-in.js';
export {
  createFileCachePlugin,
  DEFAULT_TOKEN_CACHE_FILE,
  lockPathOf,
  TokenCacheError,
  tokenCachePath,
  writeFileAtomic,
} from './token-cache.js';
export { parseXOAuth2Challenge, type XOAuth2Error, xoauth2InitialResponse, xoauth2Sasl } from './xoauth2.js';
