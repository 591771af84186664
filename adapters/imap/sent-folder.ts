/**
 * The Sent folder of an IMAP mailbox (issue 13 point 4): where a copy of each sent reply/forward/send goes, and
 * where recovery looks for a send that started without a recorded outcome.
 *
 * @module
 */
import type { ImapFlow, ListResponse } from 'imapflow';

/** The folder created when the server has neither a `\Sent` SPECIAL-USE folder nor one named like it. */
export const DEFAULT_SENT_FOLDER = 'Sent';

/**
 * The Sent folder among LIST entries: the one with SPECIAL-USE `\Sent` (RFC 6154; imapflow reads it from the
 * LIST answer, or guesses it from well-known names such as "Sent Items"), else one named "Sent" in any case.
 *
 * @example
 * ```ts
 * pickSentFolder([{ path: 'INBOX' }, { path: 'INBOX.Sent Items', specialUse: '\\Sent' }] as ListResponse[]);
 * // 'INBOX.Sent Items'
 * ```
 */
export function pickSentFolder(
  entries: readonly Pick<ListResponse, 'path' | 'name' | 'specialUse' | 'flags'>[],
): string | undefined {
  const usable = entries.filter((entry) => !entry.flags?.has('\\Noselect') && !entry.flags?.has('\\NonExistent'));
  const special = usable.find((entry) => entry.specialUse === '\\Sent');
  if (special) return special.path;
  const named = usable.find(
    (entry) =>
      entry.path.toLowerCase() === DEFAULT_SENT_FOLDER.toLowerCase() ||
      entry.name?.toLowerCase() === DEFAULT_SENT_FOLDER.toLowerCase(),
  );
  return named?.path;
}

/**
 * The path of the Sent folder, created as {@link DEFAULT_SENT_FOLDER} when there is none and `create` is set.
 * `undefined` when there is none and `create` is not set. LIST needs no SELECT: the selected folder stays.
 *
 * @example
 * ```ts
 * const path = await sentFolderPath(client, { create: true }); // e.g. 'Sent'
 * ```
 */
export async function sentFolderPath(client: ImapFlow, options: { create: boolean }): Promise<string | undefined> {
  const found = pickSentFolder(await client.list());
  if (found !== undefined || !options.create) return found;
  const created = await client.mailboxCreate(DEFAULT_SENT_FOLDER);
  return created.path;
}

/**
 * Whether `path` holds a message whose Message-ID is `messageId` (`SEARCH HEADER Message-ID`, a substring match
 * that the angle brackets make exact up to case). Selects `path` read-only (EXAMINE): call it on a connection of
 * its own, never on the session's, whose selected folder and UIDVALIDITY tracking must not change.
 *
 * @example
 * ```ts
 * await sentHolds(asideClient, 'Sent', '<reply.1@example.test>'); // true
 * ```
 */
export async function sentHolds(client: ImapFlow, path: string, messageId: string): Promise<boolean> {
  const id = messageId.trim();
  const bracketed = id.startsWith('<') ? id : `<${id}>`;
  await client.mailboxOpen(path, { readOnly: true });
  const found = await client.search({ header: { 'message-id': bracketed } }, { uid: true });
  if (!Array.isArray(found)) throw new Error(`the server refused SEARCH HEADER Message-ID in ${JSON.stringify(path)}`);
  return found.length > 0;
}
