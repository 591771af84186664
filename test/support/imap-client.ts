/**
 * A plain imapflow client on the harness's Dovecot, for tests that set up or read back a folder around the product
 * (APPEND with an internal date, reading what an action did).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { ImapFlow } from 'imapflow';
import type { MailServers } from '../../scripts/harness/mail-servers.js';

/**
 * Connects as the harness user `name` over IMAPS (verified against the harness CA). The caller logs out.
 *
 * @example
 * ```ts
 * const client = await testImapClient(servers, 'support');
 * await client.append('INBOX', raw, [], new Date('2026-10-01T00:00:00Z'));
 * await client.logout();
 * ```
 */
export async function testImapClient(servers: MailServers, name: string): Promise<ImapFlow> {
  const user = servers.user(name);
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: servers.ports.imaps,
    secure: true,
    tls: { ca: [readFileSync(servers.caFile)] },
    auth: { user: user.user, pass: user.password },
    logger: false,
  });
  await client.connect();
  return client;
}
