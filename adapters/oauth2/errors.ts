/**
 * Turns msal's failures (and the token cache's) into one {@link MailServiceError} each. A token that needs a person
 * (new consent, a revoked or expired refresh token, no sign-in yet) is `OAUTH_LOGIN_REQUIRED` and its message tells
 * the administrator the exact `login` command; the reconnect pattern (S8–S11) still applies, it just cannot help.
 * Messages carry Microsoft's error code (`AADSTS…`) but never a token.
 *
 * @module
 */
import { MailServiceError } from '../errors.js';
import { type OAuth2Protocol, protocolLabel } from './scopes.js';
import { TokenCacheError } from './token-cache.js';

/** The fields of an msal error this mapping reads (msal's classes: AuthError and subclasses). */
interface MsalFailure {
  readonly name?: string;
  readonly errorCode?: string;
  /** msal's device-code polling reports the server's error code here, under `post_request_failed`. */
  readonly errorMessage?: string;
  readonly subError?: string;
  readonly errorNo?: string;
  readonly status?: number;
  readonly httpStatus?: number;
  readonly message?: string;
}

/** A path as a shell word: bare when it has no characters a shell treats specially, else single-quoted. */
function shellWord(value: string): string {
  return /^[\w./@:+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command that fixes an `OAUTH_LOGIN_REQUIRED` error: `login` for the mailbox, without `--protocol`, so one
 * sign-in covers every protocol the mailbox still lacks (a reading protocol and SMTP alike; those that work are
 * skipped). `configFile` is the configuration `run` was given; without it the command says `--config FILE`.
 *
 * @example
 * ```ts
 * loginCommand('support', 'autopilot.yaml'); // 'mail-autopilot login --config autopilot.yaml --mailbox support'
 * loginCommand('support');                   // 'mail-autopilot login --config FILE --mailbox support'
 * ```
 */
export function loginCommand(mailboxId: string, configFile?: string): string {
  return `mail-autopilot login --config ${configFile === undefined ? 'FILE' : shellWord(configFile)} --mailbox ${mailboxId}`;
}

/**
 * An `OAUTH_LOGIN_REQUIRED` error (not retryable): `reason` says why, the message ends with the `login` command.
 *
 * @example
 * ```ts
 * throw loginRequiredError('support', 'imap', 'no sign-in for support@contoso.com in the token cache');
 * // "mailbox support: IMAP needs an OAuth2 sign-in: no sign-in for ...; run: mail-autopilot login --config FILE --mailbox support"
 * ```
 */
export function loginRequiredError(
  mailboxId: string,
  protocol: OAuth2Protocol,
  reason: string,
  cause?: unknown,
  configFile?: string,
): MailServiceError {
  return new MailServiceError({
    code: 'OAUTH_LOGIN_REQUIRED',
    message: `${protocolLabel(protocol)} needs an OAuth2 sign-in: ${reason}; run: ${loginCommand(mailboxId, configFile)}`,
    retryable: false,
    mailboxId,
    cause,
  });
}

function aadsts(failure: MsalFailure): string {
  const parts = [failure.errorCode, failure.errorNo ? `AADSTS${failure.errorNo}` : undefined].filter(Boolean);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** Why a person is needed, in words, from msal's interaction-required codes. */
function interactionReason(failure: MsalFailure, user: string): string {
  const code = failure.errorCode ?? '';
  const sub = failure.subError ?? '';
  if (code === 'no_tokens_found' || code === 'no_account_found') return `no sign-in for ${user} in the token cache`;
  if (code === 'consent_required' || sub === 'consent_required') {
    return `the app has no consent for this protocol yet${aadsts(failure)}`;
  }
  if (code === 'refresh_token_expired') return 'the refresh token has expired';
  if (sub === 'bad_token' || code === 'invalid_grant' || code === 'bad_token') {
    return `the refresh token was revoked or has expired${aadsts(failure)}`;
  }
  return `Microsoft asks for the user to sign in again${aadsts(failure)}`;
}

/**
 * Maps a failure of a token acquisition for `protocol` of mailbox `mailboxId` (account `user`); `configFile` goes
 * into the `login` command of an `OAUTH_LOGIN_REQUIRED` message.
 *
 * @example
 * ```ts
 * try { await pca.acquireTokenSilent(request); } catch (e) { throw toOAuth2Error(e, 'support', 'imap', 'support@contoso.com'); }
 * ```
 */
export function toOAuth2Error(
  error: unknown,
  mailboxId: string,
  protocol: OAuth2Protocol,
  user: string,
  configFile?: string,
): MailServiceError {
  if (error instanceof MailServiceError) return error;
  const make = (code: string, message: string, retryable: boolean) =>
    new MailServiceError({
      code,
      message: `OAuth2 (${protocolLabel(protocol)}): ${message}`,
      retryable,
      mailboxId,
      cause: error,
    });

  if (error instanceof TokenCacheError) {
    return error.code === 'TOKEN_CACHE_LOCKED'
      ? make('OAUTH_TOKEN_CACHE_LOCKED', error.message, true)
      : make('OAUTH_TOKEN_CACHE_FAILED', error.message, false);
  }
  const raw = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as MsalFailure;
  const failure: MsalFailure =
    raw.errorCode === 'post_request_failed' && raw.errorMessage
      ? { ...raw, name: 'ServerError', errorCode: raw.errorMessage }
      : raw;
  const code = failure.errorCode ?? '';
  const status = failure.status ?? failure.httpStatus;

  if (failure.name === 'InteractionRequiredAuthError') {
    return loginRequiredError(mailboxId, protocol, interactionReason(failure, user), error, configFile);
  }
  if (failure.name === 'NetworkError' || code === 'network_error' || code === 'endpoints_resolution_error') {
    return make('OAUTH_UNAVAILABLE', `the identity provider cannot be reached${aadsts(failure)}`, true);
  }
  if (failure.name === 'ClientConfigurationError') {
    return make('CONFIG_INVALID', `msal refused the configuration${aadsts(failure)}`, false);
  }
  if (code === 'device_code_expired' || code === 'user_timeout_reached' || code === 'device_code_polling_cancelled') {
    return make(
      'OAUTH_SIGN_IN_ABORTED',
      `the sign-in was not completed in time or was cancelled${aadsts(failure)}`,
      true,
    );
  }
  if (failure.name === 'ServerError' || status !== undefined) {
    if (code === 'invalid_client' || code === 'unauthorized_client') {
      return make(
        'OAUTH_CLIENT_REJECTED',
        `the identity provider refused the application: check clientId, tenant and the secret or certificate${aadsts(failure)}`,
        false,
      );
    }
    if (code === 'invalid_grant') {
      return loginRequiredError(mailboxId, protocol, interactionReason(failure, user), error, configFile);
    }
    if (code === 'access_denied' || code === 'authorization_declined') {
      return make('OAUTH_ACCESS_DENIED', `the sign-in was declined${aadsts(failure)}`, false);
    }
    if (code === 'invalid_scope' || code === 'invalid_request' || code === 'invalid_resource') {
      return make('OAUTH_REQUEST_REJECTED', `the identity provider rejected the request${aadsts(failure)}`, false);
    }
    if (code === 'temporarily_unavailable' || (status !== undefined && status >= 500)) {
      return make('OAUTH_UNAVAILABLE', `the identity provider is temporarily unavailable${aadsts(failure)}`, true);
    }
  }
  return make('OAUTH_FAILED', `token acquisition failed${aadsts(failure)}`, true);
}
