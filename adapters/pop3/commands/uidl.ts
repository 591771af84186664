/**
 * `UIDL` (RFC 1939 §7): the unique ids that identify messages across sessions (SPEC S6).
 *
 * @module
 */
import type { Pop3Transport } from '../transport.js';
import { scanListing } from './listing.js';

/**
 * One `UIDL` line: the message number in this session and its unique id.
 *
 * @example
 * ```ts
 * const entry: UidlEntry = { number: 1, uid: '00000001575a2b6d' };
 * ```
 */
export interface UidlEntry {
  readonly number: number;
  readonly uid: string;
}

/**
 * `UIDL` of the whole maildrop, in message-number order. A server without UIDL answers `-ERR`: a
 * {@link Pop3CommandError} whose `command` is `UIDL`.
 *
 * @example
 * ```ts
 * for (const { number, uid } of await uidl(transport)) console.log(number, uid);
 * ```
 */
export async function uidl(transport: Pop3Transport): Promise<UidlEntry[]> {
  const { body } = await transport.exec({ line: 'UIDL', name: 'UIDL', multiline: true, needsLogin: true });
  return scanListing(transport, 'UIDL', body?.toString('latin1') ?? '').map(([number, uid]) => ({ number, uid }));
}

/**
 * `UIDL n`: the unique id of one message, as the server says now.
 *
 * @example
 * ```ts
 * if ((await uidlOf(transport, 3)) !== expectedUid) throw new Error('message 3 changed');
 * ```
 */
export async function uidlOf(transport: Pop3Transport, number: number): Promise<string> {
  const { text } = await transport.exec({ line: `UIDL ${number}`, name: 'UIDL', needsLogin: true });
  const [row] = scanListing(transport, 'UIDL', text);
  if (!row) throw transport.error('PROTOCOL_ERROR', 'UIDL reply is malformed', true);
  return row[1];
}
