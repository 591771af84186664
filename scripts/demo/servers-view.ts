/**
 * What the mail servers hold after the demo, looked at over IMAPS as a mail client would: every folder of the
 * watched mailbox, and the inboxes of the correspondents (where automatic replies arrive).
 *
 * @module
 */
import { ImapFlow } from 'imapflow';

/**
 * One message as the demo's checks see it.
 *
 * @example
 * ```ts
 * const m: ViewedMessage = { folder: 'Bounces', subject: 'Undelivered Mail Returned to Sender', messageId: '<a@x>',
 *   seen: true, autoSubmitted: 'auto-replied', inReplyTo: null };
 * ```
 */
export interface ViewedMessage {
  readonly folder: string;
  readonly subject: string;
  readonly messageId: string | null;
  readonly seen: boolean;
  /** The Auto-Submitted header's value, or `null`. */
  readonly autoSubmitted: string | null;
  readonly inReplyTo: string | null;
}

/**
 * The servers' state: messages by mailbox user, and the recipients the SMTP server was asked to deliver to.
 *
 * @example
 * ```ts
 * const view: ServerView = { mailboxes: { 'bob@example.test': [] }, smtpRecipients: ['ada@example.test'] };
 * ```
 */
export interface ServerView {
  readonly mailboxes: Readonly<Record<string, readonly ViewedMessage[]>>;
  readonly smtpRecipients: readonly string[];
}

/**
 * How to reach the IMAPS server.
 *
 * @example
 * ```ts
 * const target: ImapTarget = { port: servers.ports.imaps, ca: readFileSync(servers.caFile) };
 * ```
 */
export interface ImapTarget {
  readonly port: number;
  readonly ca: Buffer;
}

function headerValue(headers: Buffer | undefined, name: string): string | null {
  const text = headers?.toString('latin1').replace(/\r?\n[ \t]+/g, ' ') ?? '';
  return new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(text)?.[1]?.trim() ?? null;
}

/**
 * Lists the messages of a user's folders (all of them, or only `folders`), logging in with the user's password.
 *
 * @example
 * ```ts
 * const inbox = await viewMailbox(target, { user: 'ada@example.test', password: 'secret-ada' }, ['INBOX']);
 * ```
 */
export async function viewMailbox(
  target: ImapTarget,
  login: { readonly user: string; readonly password: string },
  folders?: readonly string[],
): Promise<ViewedMessage[]> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: target.port,
    secure: true,
    tls: { ca: [target.ca] },
    auth: { user: login.user, pass: login.password },
    logger: false,
  });
  await client.connect();
  try {
    const paths = folders ?? (await client.list()).map((entry) => entry.path);
    const found: ViewedMessage[] = [];
    for (const folder of paths) {
      const lock = await client.getMailboxLock(folder);
      try {
        const exists = client.mailbox === false ? 0 : client.mailbox.exists;
        if (exists === 0) continue;
        // Collected first: imapflow allows no other command while a fetch is being consumed (NOTES.md).
        const rows = await client.fetchAll('1:*', {
          envelope: true,
          flags: true,
          headers: ['auto-submitted'],
        });
        for (const row of rows) {
          found.push({
            folder,
            subject: row.envelope?.subject ?? '',
            messageId: row.envelope?.messageId ?? null,
            seen: row.flags?.has('\\Seen') ?? false,
            autoSubmitted: headerValue(row.headers, 'auto-submitted'),
            inReplyTo: row.envelope?.inReplyTo ?? null,
          });
        }
      } finally {
        lock.release();
      }
    }
    return found;
  } finally {
    await client.logout().catch(() => undefined);
  }
}
