/**
 * `NOOP` (RFC 1939 §5).
 *
 * @module
 */
import type { Pop3Transport } from '../transport.js';

/**
 * `NOOP`: asks for a `+OK` and nothing else (a liveness check).
 *
 * @example
 * ```ts
 * await noop(transport);
 * ```
 */
export async function noop(transport: Pop3Transport): Promise<void> {
  await transport.exec({ line: 'NOOP', name: 'NOOP', needsLogin: true });
}
