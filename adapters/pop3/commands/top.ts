/**
 * `TOP` (RFC 1939 §7, optional): a message's header block and first body lines.
 *
 * @module
 */
import { Pop3CommandError } from '../errors.js';
import type { Pop3Request, Pop3Transport } from '../transport.js';

function topRequest(number: number, lines: number): Pop3Request {
  return { line: `TOP ${number} ${lines}`, name: 'TOP', multiline: true, needsLogin: true };
}

/**
 * `TOP n lines`: the header block and the first `lines` body lines, byte for byte (dot-stuffing undone). A server
 * without TOP answers `-ERR`: a {@link Pop3CommandError} whose `command` is `TOP`.
 *
 * @example
 * ```ts
 * const head = await top(transport, 1, 0);
 * ```
 */
export async function top(transport: Pop3Transport, number: number, lines = 0): Promise<Buffer> {
  const { body } = await transport.exec(topRequest(number, lines));
  return body ?? Buffer.alloc(0);
}

/**
 * `TOP n lines` for many messages, pipelined (only for servers that announce PIPELINING in CAPA): one write, the
 * replies read in order. A message's `-ERR` is its entry's {@link Pop3CommandError}, not a rejection.
 *
 * @example
 * ```ts
 * if ((await capa(transport)).has('PIPELINING')) heads = await topMany(transport, [1, 2, 3]);
 * ```
 */
export async function topMany(
  transport: Pop3Transport,
  numbers: readonly number[],
  lines = 0,
): Promise<(Buffer | Pop3CommandError)[]> {
  const replies = await transport.pipeline(numbers.map((number) => topRequest(number, lines)));
  return replies.map((reply) => (reply instanceof Pop3CommandError ? reply : (reply.body ?? Buffer.alloc(0))));
}
