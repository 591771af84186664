/**
 * The scan listings shared by UIDL and LIST (RFC 1939 §5, §7): `number value` per line, or on the `+OK` line.
 *
 * @module
 */
import type { Pop3Transport } from '../transport.js';

/**
 * Parses `number value` lines of a multi-line listing (or one `+OK` line) into pairs; a line that is not a message
 * number and a non-empty value is a `PROTOCOL_ERROR` naming `command`.
 *
 * @example
 * ```ts
 * scanListing(transport, 'UIDL', '1 uid-1\r\n2 uid-2\r\n'); // [[1, 'uid-1'], [2, 'uid-2']]
 * ```
 */
export function scanListing(transport: Pop3Transport, command: string, text: string): [number, string][] {
  const rows: [number, string][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const [number = '', value = ''] = line.trim().split(/\s+/, 2);
    const n = Number(number);
    if (!Number.isInteger(n) || n < 1 || value === '') {
      throw transport.error('PROTOCOL_ERROR', `${command} line is malformed`, true);
    }
    rows.push([n, value]);
  }
  return rows;
}
