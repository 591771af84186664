/**
 * `USER` and `PASS` (RFC 1939 §7): the plain login.
 *
 * @module
 */
import type { Pop3Transport } from '../transport.js';

/**
 * Logs in with USER/PASS. A rejected login is `AUTH_FAILED` (not retryable, naming the user, never the password);
 * a maildrop locked by another session (`-ERR [IN-USE]`) is `MAILDROP_LOCKED` (retryable).
 *
 * @example
 * ```ts
 * await login(transport, 'user1@example.test', 'secret');
 * ```
 */
export async function login(transport: Pop3Transport, user: string, password: string): Promise<void> {
  await transport.exec({ line: `USER ${user}`, name: 'USER', user });
  await transport.exec({ line: `PASS ${password}`, name: 'PASS', user });
  transport.markAuthenticated();
}
