/**
 * `QUIT` (RFC 1939 §6).
 *
 * @module
 */
import type { Pop3Transport } from '../transport.js';

/**
 * `QUIT`: ends the session; the server commits the DELE marks (UPDATE state) and closes. Rejects when the session
 * was already lost (then nothing was committed). The socket is closed either way.
 *
 * @example
 * ```ts
 * await dele(transport, 1);
 * await quit(transport);
 * ```
 */
export async function quit(transport: Pop3Transport): Promise<void> {
  if (transport.failure) throw transport.failure;
  try {
    await transport.exec({ line: 'QUIT', name: 'QUIT', endsSession: true });
  } finally {
    transport.end();
  }
}
