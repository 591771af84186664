/**
 * `STAT` (RFC 1939 §5).
 *
 * @module
 */
import type { Pop3Transport } from '../transport.js';

/**
 * The number of messages in the maildrop and their total size in octets.
 *
 * @example
 * ```ts
 * const { count, size } = await stat(transport);
 * ```
 */
export async function stat(transport: Pop3Transport): Promise<{ count: number; size: number }> {
  const { text } = await transport.exec({ line: 'STAT', name: 'STAT', needsLogin: true });
  const [count = Number.NaN, size = Number.NaN] = text.trim().split(/\s+/).map(Number);
  if (!Number.isInteger(count) || !Number.isInteger(size)) {
    throw transport.error('PROTOCOL_ERROR', 'STAT reply is malformed', true);
  }
  return { count, size };
}
