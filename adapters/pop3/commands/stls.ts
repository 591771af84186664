/**
 * `STLS` (RFC 2595): the upgrade of a plaintext connection to TLS.
 *
 * @module
 */
import { MailServiceError } from '../../errors.js';
import { Pop3CommandError } from '../errors.js';
import type { Pop3Transport } from '../transport.js';

/**
 * Asks for STLS and negotiates TLS (certificate verified against the system CAs and the configured CA). Asked for
 * directly rather than after CAPA: a server without it answers `-ERR`, which is `STARTTLS_UNAVAILABLE` — never a
 * silent fallback to plaintext.
 *
 * @example
 * ```ts
 * const transport = await Pop3Transport.connect({ ...options, security: 'starttls' });
 * await stls(transport);
 * transport.encrypted; // true
 * ```
 */
export async function stls(transport: Pop3Transport): Promise<void> {
  try {
    await transport.exec({ line: 'STLS', name: 'STLS', startsTls: true });
  } catch (error) {
    if (!(error instanceof Pop3CommandError)) throw error;
    throw new MailServiceError({
      code: 'STARTTLS_UNAVAILABLE',
      message: `${transport.where}: the server does not offer STLS; use pop3s:// or allow plaintext explicitly`,
      retryable: false,
      mailboxId: transport.mailboxId,
    });
  }
}
