/**
 * The two ways a person signs in (delegated access): the device-code flow — a code typed at Microsoft's device login
 * page on any device, for servers without a browser — and the interactive flow, a browser on this machine with a
 * loopback redirect (`http://localhost`, which the app registration must list under "Mobile and desktop
 * applications"). Both consent to the scopes asked for and leave the tokens in the shared cache.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import type { AuthenticationResult, DeviceCodeRequest, PublicClientApplication } from '@azure/msal-node';
import type { OAuth2Protocol } from './scopes.js';

/**
 * What the person must do to finish a device-code sign-in. Shown by the `login` command.
 *
 * @example
 * ```ts
 * const onDeviceCode = (prompt: DeviceCodePrompt) => console.log(`${prompt.mailboxId}: ${prompt.message}`);
 * ```
 */
export interface DeviceCodePrompt {
  readonly mailboxId: string;
  /** The account the mailbox expects to sign in. */
  readonly user: string;
  readonly protocols: readonly OAuth2Protocol[];
  /** The code to type. */
  readonly userCode: string;
  /** Where to type it (`https://microsoft.com/devicelogin`). */
  readonly verificationUri: string;
  readonly expiresInSeconds: number;
  /** Microsoft's own sentence with the page and the code, in the user's language. */
  readonly message: string;
}

/**
 * One sign-in: which app, what to consent to, and how to reach the person.
 *
 * @example
 * ```ts
 * const request: SignInRequest = {
 *   mailboxId: 'support', user: 'support@contoso.com', protocols: ['imap'], scopes: delegatedScopes('imap'),
 *   onDeviceCode: (p) => console.log(p.message),
 * };
 * ```
 */
export interface SignInRequest {
  readonly mailboxId: string;
  readonly user: string;
  readonly protocols: readonly OAuth2Protocol[];
  readonly scopes: readonly string[];
  readonly onDeviceCode?: (prompt: DeviceCodePrompt) => void;
  /** Opens a URL in a browser (interactive flow). Default: the system's opener (xdg-open, open, start). */
  readonly openBrowser?: (url: string) => Promise<void>;
  /** Stops waiting for the person (device code: at the next poll). */
  readonly signal?: AbortSignal;
  /** Gives up waiting for the person after this long (device code). Default: until the code expires (~15 min). */
  readonly timeoutSeconds?: number;
}

/**
 * Signs in with the device-code flow. Resolves with msal's result (the account and the tokens, already cached).
 *
 * @example
 * ```ts
 * const result = await signInWithDeviceCode(pca, { mailboxId, user, protocols: ['imap'], scopes, onDeviceCode });
 * console.log(result.account?.username);
 * ```
 */
export async function signInWithDeviceCode(
  app: PublicClientApplication,
  request: SignInRequest,
): Promise<AuthenticationResult | null> {
  const msalRequest: DeviceCodeRequest = {
    scopes: [...request.scopes],
    deviceCodeCallback: (response) =>
      request.onDeviceCode?.({
        mailboxId: request.mailboxId,
        user: request.user,
        protocols: request.protocols,
        userCode: response.userCode,
        verificationUri: response.verificationUri,
        expiresInSeconds: response.expiresIn,
        message: response.message,
      }),
    ...(request.timeoutSeconds !== undefined ? { timeout: request.timeoutSeconds } : {}),
  };
  // msal reads `cancel` from this very object before each poll.
  const cancel = () => {
    msalRequest.cancel = true;
  };
  if (request.signal?.aborted) cancel();
  request.signal?.addEventListener('abort', cancel, { once: true });
  try {
    return await app.acquireTokenByDeviceCode(msalRequest);
  } finally {
    request.signal?.removeEventListener('abort', cancel);
  }
}

/**
 * Opens `url` with the system's opener, detached. Rejects when the opener cannot be started.
 *
 * @example
 * ```ts
 * await openSystemBrowser('https://login.microsoftonline.com/...');
 * ```
 */
export function openSystemBrowser(url: string): Promise<void> {
  const [command, args] =
    process.platform === 'win32'
      ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
      : [process.platform === 'darwin' ? 'open' : 'xdg-open', [url]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args as string[], { detached: true, stdio: 'ignore' });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

const SUCCESS_PAGE =
  '<!doctype html><title>mail-autopilot</title><p>Signed in. You can close this window and return to mail-autopilot.</p>';
const ERROR_PAGE =
  '<!doctype html><title>mail-autopilot</title><p>The sign-in did not succeed. Return to mail-autopilot for details.</p>';

/**
 * Signs in with a browser on this machine (authorization code with PKCE; msal listens on a loopback port for the
 * redirect). The account name is passed as a login hint.
 *
 * @example
 * ```ts
 * const result = await signInInteractively(pca, { mailboxId, user, protocols: ['smtp'], scopes });
 * ```
 */
export async function signInInteractively(
  app: PublicClientApplication,
  request: SignInRequest,
): Promise<AuthenticationResult> {
  return app.acquireTokenInteractive({
    scopes: [...request.scopes],
    loginHint: request.user,
    openBrowser: request.openBrowser ?? openSystemBrowser,
    successTemplate: SUCCESS_PAGE,
    errorTemplate: ERROR_PAGE,
  });
}
