/**
 * `RSET` (RFC 1939 §5).
 *
 * @module
 */
import type { Pop3Transport } from '../transport.js';

/**
 * `RSET`: unmarks every message marked with DELE in this session.
 *
 * @example
 * ```ts
 * await rset(transport); // nothing marked any more
 * ```
 */
export async function rset(transport: Pop3Transport): Promise<void> {
  await transport.exec({ line: 'RSET', name: 'RSET', needsLogin: true });
}
