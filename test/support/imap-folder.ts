/**
 * What a folder of a test user's mailbox holds, read without changing anything (EXAMINE; imapflow fetches with
 * PEEK): for tests that prove a run changed nothing, or exactly what it should.
 */
import { readFileSync } from 'node:fs';
import { ImapFlow } from 'imapflow';
import type { MailServers } from '../../scripts/harness/mail-servers.js';

/**
 * A connected IMAP client of test user `name` (TLS with the run's CA); the caller logs out.
 *
 * @example
 * ```ts
 * const client = await connectImap(servers, 'desk');
 * ```
 */
export async function connectImap(servers: MailServers, name: string): Promise<ImapFlow> {
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

/**
 * Each message of `folder` of user `name`: subject and sorted flags, in UID order; `[]` when the folder is missing.
 *
 * @example
 * ```ts
 * const before = await folderState(servers, 'desk', 'INBOX'); // [{ subject: 'Hello', flags: [] }]
 * ```
 */
export async function folderState(
  servers: MailServers,
  name: string,
  folder: string,
): Promise<{ subject: string; flags: string[] }[]> {
  const client = await connectImap(servers, name);
  try {
    if (!(await client.list()).some((box) => box.path === folder)) return [];
    await client.mailboxOpen(folder, { readOnly: true });
    const rows = await client.fetchAll('1:*', { envelope: true, flags: true });
    return rows.map((row) => ({ subject: row.envelope?.subject ?? '', flags: [...(row.flags ?? [])].sort() }));
  } finally {
    await client.logout();
  }
}
