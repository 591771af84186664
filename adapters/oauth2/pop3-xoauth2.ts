/**
 * POP3 `AUTH XOAUTH2` (RFC 5034 framing, XOAUTH2 payload) as one step over a line pair: for POP3 clients without
 * SASL (node-pop3 has none and takes any `+` line for success: NOTES.md). It never mistakes a `+` continuation for
 * `+OK`: the error challenge is answered with an empty line and the final `-ERR` is what it reports.
 *
 * @module
 */
import { type XOAuth2Error, xoauth2Sasl } from './xoauth2.js';

/**
 * The two halves of a POP3 connection after the greeting: `send` writes one line (without CRLF), `readLine`
 * resolves to the next reply line (without CRLF).
 *
 * @example
 * ```ts
 * const io: Pop3LineIo = { send: (line) => socket.write(`${line}\r\n`), readLine: () => lines.next() };
 * ```
 */
export interface Pop3LineIo {
  send(line: string): void | Promise<void>;
  readLine(): Promise<string>;
}

/**
 * The outcome of {@link pop3AuthXOAuth2}: `ok` with the server's `+OK` line, or not, with the final reply and, when
 * the server explained itself, the decoded error challenge.
 *
 * @example
 * ```ts
 * const result = await pop3AuthXOAuth2(io, user, token);
 * if (!result.ok) console.log(result.reply, result.error?.status);
 * ```
 */
export type Pop3XOAuth2Result =
  | { readonly ok: true; readonly reply: string }
  | { readonly ok: false; readonly reply: string; readonly error?: XOAuth2Error };

/** Continuations beyond this many mean the server is not speaking XOAUTH2; the exchange is cancelled with `*`. */
const MAX_CONTINUATIONS = 3;

function isContinuation(line: string): boolean {
  return line === '+' || line.startsWith('+ ');
}

/**
 * Authenticates a POP3 session with `AUTH XOAUTH2`. The initial response goes on the command line when the line
 * stays within 255 octets (RFC 5034 §4); otherwise it is sent after the server's empty `+` challenge, as Exchange
 * Online documents it. Resolves with the result; rejects only when `send`/`readLine` do.
 *
 * @example
 * ```ts
 * const result = await pop3AuthXOAuth2({ send, readLine }, 'support@contoso.com', accessToken);
 * if (!result.ok) throw new Error(`POP3 XOAUTH2 refused: ${result.reply}`);
 * ```
 */
export async function pop3AuthXOAuth2(
  io: Pop3LineIo,
  user: string,
  token: string,
  options: { readonly maxCommandLength?: number } = {},
): Promise<Pop3XOAuth2Result> {
  const sasl = xoauth2Sasl(user, token, { maxCommandLength: options.maxCommandLength ?? 255, command: 'AUTH XOAUTH2' });
  await io.send(sasl.initialResponse === undefined ? 'AUTH XOAUTH2' : `AUTH XOAUTH2 ${sasl.initialResponse}`);
  const failure = (reply: string): Pop3XOAuth2Result =>
    sasl.error === undefined ? { ok: false, reply } : { ok: false, reply, error: sasl.error };
  for (let round = 0; ; round++) {
    const line = await io.readLine();
    if (line.startsWith('+OK')) return { ok: true, reply: line };
    if (!isContinuation(line)) return failure(line);
    if (round >= MAX_CONTINUATIONS) {
      await io.send('*');
      return failure(await io.readLine());
    }
    await io.send(sasl.respond(line.slice(1).trim()));
  }
}
