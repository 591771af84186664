/**
 * `LIST` (RFC 1939 §5): message sizes.
 *
 * @module
 */
import type { Pop3Transport } from '../transport.js';
import { scanListing } from './listing.js';

/**
 * `LIST` of the whole maildrop: message number → size in octets.
 *
 * @example
 * ```ts
 * const sizes = await list(transport);
 * sizes.get(1); // 2841
 * ```
 */
export async function list(transport: Pop3Transport): Promise<Map<number, number>> {
  const { body } = await transport.exec({ line: 'LIST', name: 'LIST', multiline: true, needsLogin: true });
  const sizes = new Map<number, number>();
  for (const [number, size] of scanListing(transport, 'LIST', body?.toString('latin1') ?? '')) {
    const octets = Number(size);
    if (!Number.isInteger(octets) || octets < 0)
      throw transport.error('PROTOCOL_ERROR', 'LIST line is malformed', true);
    sizes.set(number, octets);
  }
  return sizes;
}

/**
 * `LIST n`: the size of one message in octets.
 *
 * @example
 * ```ts
 * const octets = await listOf(transport, 2);
 * ```
 */
export async function listOf(transport: Pop3Transport, number: number): Promise<number> {
  const { text } = await transport.exec({ line: `LIST ${number}`, name: 'LIST', needsLogin: true });
  const octets = Number(scanListing(transport, 'LIST', text)[0]?.[1]);
  if (!Number.isInteger(octets) || octets < 0) throw transport.error('PROTOCOL_ERROR', 'LIST reply is malformed', true);
  return octets;
}
