/**
 * The completeness check's view of an IMAP folder (issue 15 point 4): the UIDs of the watched set as listed
 * messages with the same keys discovery gives them.
 *
 * @module
 */
import type { ServerListing } from '../contract.js';
import { imapMessageKey } from './message.js';

/**
 * Builds the listing of a `UID SEARCH` answer (UNSEEN or ALL, and the rules' filter when `filtered`), sorted by UID.
 *
 * @example
 * ```ts
 * listingOf([42, 7], { folder: 'INBOX', uidValidity: 9n, uidNext: 43, filtered: false }).messages[0]!.key;
 * // 'imap:INBOX:9:7'
 * ```
 */
export function listingOf(
  uids: readonly number[],
  where: { folder: string; uidValidity: bigint; uidNext: number | undefined; filtered: boolean },
): ServerListing {
  const uidValidity = String(where.uidValidity);
  const messages = [...uids]
    .sort((a, b) => a - b)
    .map((uid) => ({
      key: imapMessageKey(where.folder, uidValidity, uid),
      ref: String(uid),
      folder: where.folder,
      uidValidity,
      uid,
    }));
  const filtered = where.filtered ? { filtered: true } : {};
  return where.uidNext === undefined ? { messages, ...filtered } : { messages, uidNext: where.uidNext, ...filtered };
}
