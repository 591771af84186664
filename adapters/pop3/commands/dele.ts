/**
 * `DELE` (RFC 1939 §5).
 *
 * @module
 */
import type { Pop3Transport } from '../transport.js';

/**
 * `DELE n`: marks the message; the server removes it only when the session ends with QUIT (UPDATE state, RFC 1939
 * §6), so a connection lost before QUIT removes nothing.
 *
 * @example
 * ```ts
 * await dele(transport, 3);
 * await quit(transport); // commits
 * ```
 */
export async function dele(transport: Pop3Transport, number: number): Promise<void> {
  await transport.exec({ line: `DELE ${number}`, name: 'DELE', needsLogin: true });
}
