/**
 * `login`: signs a person in only for the protocols of a mailbox that have no usable token yet (SPEC S4), and says
 * for every protocol what it did and why. A protocol whose refresh token still gets a new access token silently is
 * skipped — also when another mailbox or the sending configuration signed in for it. The protocols still missing for
 * one mailbox are consented to in one sign-in. App-only mailboxes need no sign-in: their token is fetched to check
 * the credentials.
 *
 * @module
 */
import { MailServiceError } from '../errors.js';
import type { MsalClients } from './clients.js';
import { type OAuth2Mailbox, type OAuth2Settings, resolveOAuth2Settings } from './config.js';
import { toOAuth2Error } from './errors.js';
import { OAUTH2_PROTOCOLS, type OAuth2Protocol, OFFLINE_ACCESS, PROTOCOL_SCOPES, protocolLabel } from './scopes.js';
import { type DeviceCodePrompt, signInInteractively, signInWithDeviceCode } from './sign-in.js';
import type { AcquiredToken } from './types.js';

/**
 * A mailbox to sign in for, with the protocols it uses with OAuth2.
 *
 * @example
 * ```ts
 * const target: LoginMailbox = { id: 'support', user: 'support@contoso.com', oauth2: { clientId }, protocols: ['imap', 'smtp'] };
 * ```
 */
export interface LoginMailbox extends OAuth2Mailbox {
  /** `imap` or `pop` for reading, `smtp` for sending. Default: all three. */
  readonly protocols?: readonly OAuth2Protocol[];
}

/**
 * What `login` is asked to do.
 *
 * @example
 * ```ts
 * const request: LoginRequest = { mailboxes: [target], protocols: ['smtp'], onDeviceCode: (p) => print(p.message) };
 * ```
 */
export interface LoginRequest {
  readonly mailboxes: readonly LoginMailbox[];
  /** Only these of each mailbox's protocols (`--protocol`); default all of them. */
  readonly protocols?: readonly OAuth2Protocol[];
  /** Shows the device code to the person. */
  readonly onDeviceCode?: (prompt: DeviceCodePrompt) => void;
  /** Stops waiting for a person. */
  readonly signal?: AbortSignal;
  /** Gives up waiting for the person after this long (device code). */
  readonly timeoutSeconds?: number;
}

/**
 * The outcome of `login` for one mailbox and protocol.
 *
 * @example
 * ```ts
 * for (const r of results) console.log(`${r.mailboxId} ${r.protocol}: ${r.outcome}: ${r.reason}`);
 * ```
 */
export interface LoginResult {
  readonly mailboxId: string;
  readonly protocol: OAuth2Protocol;
  /** `skipped` (a usable token exists), `signedIn` (a person signed in now) or `failed`. */
  readonly outcome: 'skipped' | 'signedIn' | 'failed';
  /** In words, for the administrator. */
  readonly reason: string;
  /** The signed-in account, when known. */
  readonly account?: string;
  readonly error?: MailServiceError;
}

/**
 * What {@link runLogin} needs from the broker.
 *
 * @example
 * ```ts
 * const deps: LoginDeps = { clients, acquireSilently: (settings, protocol, force) => acquire(settings, protocol, force) };
 * ```
 */
export interface LoginDeps {
  readonly clients: MsalClients;
  readonly acquireSilently: (
    settings: OAuth2Settings,
    protocol: OAuth2Protocol,
    forceRefresh: boolean,
  ) => Promise<AcquiredToken>;
  readonly openBrowser?: (url: string) => Promise<void>;
}

function until(token: AcquiredToken): string {
  return token.expiresOn === null ? '' : ` (valid until ${token.expiresOn.toISOString()})`;
}

function skipReason(settings: OAuth2Settings, token: AcquiredToken): string {
  if (settings.access === 'appOnly') {
    return `app-only access (client credentials) needs no sign-in; a token for the application was obtained${until(token)}`;
  }
  return `already signed in as ${token.account}; the refresh token in the cache still works (a new access token was obtained silently${until(token)})`;
}

function failed(mailboxId: string, protocol: OAuth2Protocol, error: MailServiceError): LoginResult {
  return { mailboxId, protocol, outcome: 'failed', reason: error.message, error };
}

async function loginMailbox(
  mailbox: LoginMailbox,
  protocols: readonly OAuth2Protocol[],
  request: LoginRequest,
  deps: LoginDeps,
): Promise<LoginResult[]> {
  let settings: OAuth2Settings;
  try {
    settings = resolveOAuth2Settings(mailbox);
  } catch (error) {
    const typed =
      error instanceof MailServiceError ? error : toOAuth2Error(error, mailbox.id, protocols[0] ?? 'imap', '');
    return protocols.map((protocol) => failed(mailbox.id, protocol, typed));
  }

  const results = new Map<OAuth2Protocol, LoginResult>();
  const missing: OAuth2Protocol[] = [];
  for (const protocol of protocols) {
    try {
      // A cached access token alone proves little: the refresh token behind it may have been revoked (that is why
      // the administrator was told to run login). Only a silent refresh shows the protocol will keep working.
      const token = await deps.acquireSilently(settings, protocol, true);
      results.set(protocol, {
        mailboxId: mailbox.id,
        protocol,
        outcome: 'skipped',
        reason: skipReason(settings, token),
        ...(token.account !== null ? { account: token.account } : {}),
      });
    } catch (error) {
      const typed = toOAuth2Error(error, mailbox.id, protocol, settings.user);
      if (typed.code === 'OAUTH_LOGIN_REQUIRED' && settings.access === 'delegated') missing.push(protocol);
      else results.set(protocol, failed(mailbox.id, protocol, typed));
    }
  }

  if (missing.length > 0) {
    for (const result of await signIn(settings, missing, request, deps)) results.set(result.protocol, result);
  }
  return protocols.map((protocol) => results.get(protocol)!);
}

/** One sign-in consenting to every protocol in `missing`; then each is checked silently, as the adapters will. */
async function signIn(
  settings: OAuth2Settings,
  missing: readonly OAuth2Protocol[],
  request: LoginRequest,
  deps: LoginDeps,
): Promise<LoginResult[]> {
  const app = deps.clients.publicClient(settings);
  const signInRequest = {
    mailboxId: settings.mailboxId,
    user: settings.user,
    protocols: missing,
    scopes: [...missing.map((protocol) => PROTOCOL_SCOPES[protocol]), OFFLINE_ACCESS],
    ...(request.onDeviceCode !== undefined ? { onDeviceCode: request.onDeviceCode } : {}),
    ...(deps.openBrowser !== undefined ? { openBrowser: deps.openBrowser } : {}),
    ...(request.signal !== undefined ? { signal: request.signal } : {}),
    ...(request.timeoutSeconds !== undefined ? { timeoutSeconds: request.timeoutSeconds } : {}),
  };
  let account: string | undefined;
  try {
    const result =
      settings.flow === 'interactive'
        ? await signInInteractively(app, signInRequest)
        : await signInWithDeviceCode(app, signInRequest);
    account = result?.account?.username;
  } catch (error) {
    const typed = toOAuth2Error(error, settings.mailboxId, missing[0]!, settings.user);
    return missing.map((protocol) => failed(settings.mailboxId, protocol, typed));
  }
  if (account === undefined || account.trim().toLowerCase() !== settings.user.toLowerCase()) {
    const mismatch = new MailServiceError({
      code: 'OAUTH_ACCOUNT_MISMATCH',
      message: `OAuth2: signed in as ${account ?? 'an unknown account'}, but the mailbox's user is ${settings.user}; run login again and sign in as ${settings.user}`,
      retryable: false,
      mailboxId: settings.mailboxId,
    });
    return missing.map((protocol) => failed(settings.mailboxId, protocol, mismatch));
  }
  const results: LoginResult[] = [];
  for (const protocol of missing) {
    try {
      await deps.acquireSilently(settings, protocol, false);
      results.push({
        mailboxId: settings.mailboxId,
        protocol,
        outcome: 'signedIn',
        reason: `signed in as ${account}; ${protocolLabel(protocol)} is consented and its tokens are in the cache`,
        account,
      });
    } catch (error) {
      results.push(
        failed(settings.mailboxId, protocol, toOAuth2Error(error, settings.mailboxId, protocol, settings.user)),
      );
    }
  }
  return results;
}

/**
 * Runs `login` for every mailbox of the request, one after the other (so a sign-in made for one mailbox is seen by
 * the next that uses the same account).
 *
 * @example
 * ```ts
 * const results = await runLogin({ mailboxes: [target] }, { clients, acquireSilently });
 * ```
 */
export async function runLogin(request: LoginRequest, deps: LoginDeps): Promise<LoginResult[]> {
  const results: LoginResult[] = [];
  for (const mailbox of request.mailboxes) {
    const uses = mailbox.protocols ?? OAUTH2_PROTOCOLS;
    const protocols = OAUTH2_PROTOCOLS.filter(
      (protocol) =>
        uses.includes(protocol) && (request.protocols === undefined || request.protocols.includes(protocol)),
    );
    results.push(...(await loginMailbox(mailbox, protocols, request, deps)));
  }
  return results;
}
