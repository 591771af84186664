/**
 * The SASL XOAUTH2 mechanism (Google's and Microsoft's "XOAUTH2", the predecessor of RFC 7628's OAUTHBEARER),
 * pure: the client's response, the server's error challenge, and a responder for SASL clients that answer
 * continuations one at a time (the POP3 adapter's `Pop3Client.authenticate`).
 *
 * The exchange: the client sends `base64("user=" user ^A "auth=Bearer " token ^A ^A)`. On success the server says
 * OK. On failure it sends a continuation carrying `base64({"status":"401","schemes":"bearer","scope":"…"})`, which
 * the client must answer with an empty line; only then comes the final failure reply.
 *
 * @module
 */

/**
 * The server's error challenge, decoded. Fields are as the server sent them (strings in practice).
 *
 * @example
 * ```ts
 * const error: XOAuth2Error = { status: '401', schemes: 'bearer', scope: 'https://outlook.office.com/IMAP.AccessAsUser.All', raw: '{...}' };
 * ```
 */
export interface XOAuth2Error {
  readonly status?: string;
  readonly schemes?: string;
  readonly scope?: string;
  /** The decoded challenge text (JSON, or whatever the server sent). */
  readonly raw: string;
}

function assertClean(what: string, value: string): void {
  // ^A separates the fields; CR/LF would end the command line: either would let a value inject protocol text.
  if (value.includes('\x01') || value.includes('\r') || value.includes('\n'))
    throw new TypeError(`XOAUTH2 ${what} must not contain ^A, CR or LF`);
  if (value === '') throw new TypeError(`XOAUTH2 ${what} must not be empty`);
}

/**
 * The client's XOAUTH2 response, base64-encoded: `base64("user=" + user + "\x01auth=Bearer " + token + "\x01\x01")`.
 *
 * @example
 * ```ts
 * xoauth2InitialResponse('someuser@example.com', 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg');
 * // 'dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=='
 * ```
 */
export function xoauth2InitialResponse(user: string, token: string): string {
  assertClean('user', user);
  assertClean('token', token);
  return Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`, 'utf8').toString('base64');
}

/**
 * Decodes a continuation's payload (the text after `+ ` / `334 `) as an XOAUTH2 error; `undefined` when it is empty
 * (the "send your response" prompt of a server that takes no initial response).
 *
 * @example
 * ```ts
 * parseXOAuth2Challenge('eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJtYWlsIn0=');
 * // { status: '401', schemes: 'bearer', scope: 'mail', raw: '{"status":"401","schemes":"bearer","scope":"mail"}' }
 * ```
 */
export function parseXOAuth2Challenge(payload: string): XOAuth2Error | undefined {
  const text = payload.trim();
  if (text === '') return undefined;
  const raw = Buffer.from(text, 'base64').toString('utf8');
  try {
    const json = JSON.parse(raw) as Record<string, unknown>;
    const field = (name: string) => (json[name] === undefined ? {} : { [name]: String(json[name]) });
    return { ...field('status'), ...field('schemes'), ...field('scope'), raw };
  } catch {
    return { raw };
  }
}

/**
 * An XOAUTH2 exchange for a SASL client that sends `AUTH XOAUTH2 [initial-response]` and then answers each
 * continuation with `respond(payload)`. The initial response is left out when the command line would pass
 * `maxCommandLength` octets (RFC 5034 §4: 255 for POP3; Microsoft's access tokens are ~2 KB), and the empty
 * challenge is answered with it instead; an error challenge is answered with an empty line, and remembered in
 * `error`.
 *
 * @example
 * ```ts
 * const sasl = xoauth2Sasl(user, token);
 * try {
 *   await client.authenticate(user, 'XOAUTH2', sasl.initialResponse, sasl.respond);
 * } catch (e) {
 *   console.log(sasl.error?.status); // '401' when the server explained its refusal
 * }
 * ```
 */
export function xoauth2Sasl(
  user: string,
  token: string,
  options: { readonly maxCommandLength?: number; readonly command?: string } = {},
): {
  readonly initialResponse: string | undefined;
  readonly respond: (payload: string) => string;
  readonly error: XOAuth2Error | undefined;
} {
  const response = xoauth2InitialResponse(user, token);
  const command = options.command ?? 'AUTH XOAUTH2';
  const inline = command.length + 1 + response.length + 2 <= (options.maxCommandLength ?? 255);
  let sent = inline;
  let error: XOAuth2Error | undefined;
  return {
    initialResponse: inline ? response : undefined,
    respond(payload: string): string {
      const challenge = parseXOAuth2Challenge(payload);
      if (!sent && challenge === undefined) {
        sent = true;
        return response;
      }
      // An error (or anything else once the response is out): an empty line asks the server for its final reply.
      if (challenge !== undefined) error = challenge;
      return '';
    },
    get error() {
      return error;
    },
  };
}
