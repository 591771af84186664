/**
 * `AUTH` (RFC 5034): SASL authentication with continuations, and XOAUTH2 on top of it (SPEC S3).
 *
 * @module
 */
import { xoauth2Sasl } from '../../oauth2/xoauth2.js';
import type { Pop3Transport } from '../transport.js';

/**
 * Answers a SASL server challenge (the base64 text after `+ `) with the next base64 line to send (`''` for an
 * empty line, `'*'` to cancel, RFC 5034 §4).
 *
 * @example
 * ```ts
 * // XOAUTH2: a challenge carries the error as JSON; the client must answer with an empty line to get the -ERR.
 * const respond: SaslResponder = async () => '';
 * ```
 */
export type SaslResponder = (challenge: string) => string | Promise<string>;

/** Continuations beyond this many mean the server is not speaking the mechanism: the exchange is cancelled. */
const MAX_CONTINUATIONS = 8;

/**
 * `AUTH mechanism [initial-response]`, then each `+ challenge` answered by `respond` until `+OK` or `-ERR`. A `+`
 * continuation is never taken for success (node-pop3 0.11.0 did: NOTES.md). A refusal is `AUTH_FAILED`.
 *
 * @example
 * ```ts
 * await authenticate(transport, user, 'PLAIN', Buffer.from(`\0${user}\0${password}`).toString('base64'), () => '*');
 * ```
 */
export async function authenticate(
  transport: Pop3Transport,
  user: string,
  mechanism: string,
  initialResponse: string | undefined,
  respond: SaslResponder,
): Promise<void> {
  // RFC 5034 §4: an empty initial response is sent as "=".
  const initial = initialResponse === undefined ? '' : ` ${initialResponse === '' ? '=' : initialResponse}`;
  let rounds = 0;
  await transport.exec({
    line: `AUTH ${mechanism}${initial}`,
    name: 'AUTH',
    user,
    onContinuation: (challenge) => (++rounds > MAX_CONTINUATIONS ? '*' : respond(challenge)),
  });
  transport.markAuthenticated();
}

/**
 * `AUTH XOAUTH2` with an OAuth2 access token. The initial response goes on the AUTH line only while the line stays
 * within 255 octets (RFC 5034 §4); a real (≈2 KB) Microsoft token is sent after the server's empty `+` instead. An
 * error challenge (JSON with the status) is answered with an empty line, and the final `-ERR` is `AUTH_FAILED`.
 *
 * @example
 * ```ts
 * await authXOAuth2(transport, 'support@contoso.com', await accessToken());
 * ```
 */
export async function authXOAuth2(transport: Pop3Transport, user: string, token: string): Promise<void> {
  const sasl = xoauth2Sasl(user, token, { maxCommandLength: 255, command: 'AUTH XOAUTH2' });
  await authenticate(transport, user, 'XOAUTH2', sasl.initialResponse, sasl.respond);
}
