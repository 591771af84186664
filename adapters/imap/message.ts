/**
 * Identity and shape of a discovered IMAP message, built from one FETCH row (pure).
 *
 * @module
 */
import type { FetchMessageObject, MessageAddressObject } from 'imapflow';
import type { DiscoveredMessage, MailAddress, MessageEnvelope, MessageIdentity } from '../contract.js';
import { attachmentsOfStructure, LazyHeaders, normalizeMessageId, parseHeaderDate } from '../mail-format/index.js';

/**
 * The service key of a message: folder, UIDVALIDITY and UID (RFC 3501 §2.3.1.1: the pair UIDVALIDITY + UID is
 * unique for the folder's lifetime).
 *
 * @example
 * ```ts
 * imapMessageKey('INBOX', 1700000000n, 42); // 'imap:INBOX:1700000000:42'
 * ```
 */
export function imapMessageKey(folder: string, uidValidity: bigint | number | string, uid: number): string {
  return `imap:${folder}:${uidValidity}:${uid}`;
}

/**
 * Reads a key made by {@link imapMessageKey} back into its parts, or `undefined` when it is not one. The folder
 * may itself contain colons, so UIDVALIDITY and UID are taken from the end.
 *
 * @example
 * ```ts
 * parseImapMessageKey('imap:INBOX:7:42'); // { folder: 'INBOX', uidValidity: '7', uid: 42 }
 * ```
 */
export function parseImapMessageKey(key: string): { folder: string; uidValidity: string; uid: number } | undefined {
  const match = /^imap:(.+):(\d+):(\d+)$/.exec(key);
  if (!match) return undefined;
  return { folder: match[1]!, uidValidity: match[2]!, uid: Number(match[3]) };
}

/**
 * A sorted, de-duplicated UID list as a compact IMAP sequence set (`1:3,7,9:10`), so a FETCH of 10,000
 * consecutive UIDs is one short command.
 *
 * @example
 * ```ts
 * toSequenceSet([9, 1, 2, 3, 7, 10]); // '1:3,7,9:10'
 * ```
 */
export function toSequenceSet(uids: readonly number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const ranges: string[] = [];
  let start = sorted[0];
  let end = start;
  for (const uid of sorted.slice(1)) {
    if (end !== undefined && uid === end + 1) {
      end = uid;
      continue;
    }
    ranges.push(start === end ? `${start}` : `${start}:${end}`);
    start = uid;
    end = uid;
  }
  if (start !== undefined) ranges.push(start === end ? `${start}` : `${start}:${end}`);
  return ranges.join(',');
}

/**
 * What to FETCH for discovery: everything a header-only rule needs, never the body (the header block is read with
 * BODY.PEEK, so discovery never sets \Seen).
 *
 * @example
 * ```ts
 * const rows = await client.fetchAll('1:500', DISCOVERY_QUERY, { uid: true });
 * ```
 */
export const DISCOVERY_QUERY = { uid: true, flags: true, size: true, envelope: true, headers: true } as const;

/**
 * {@link DISCOVERY_QUERY} with BODYSTRUCTURE: for mailboxes whose rules test attachments (issue 15 point 6), which
 * the server then answers without the message being downloaded.
 *
 * @example
 * ```ts
 * const query = settings.discoverAttachments ? DISCOVERY_QUERY_WITH_STRUCTURE : DISCOVERY_QUERY;
 * ```
 */
export const DISCOVERY_QUERY_WITH_STRUCTURE = { ...DISCOVERY_QUERY, bodyStructure: true } as const;

function addresses(list: readonly MessageAddressObject[] | undefined): MailAddress[] {
  return (list ?? [])
    .filter((entry) => typeof entry.address === 'string' || typeof entry.name === 'string')
    .map((entry) => ({ name: entry.name ?? '', address: entry.address ?? '' }));
}

/**
 * Builds the {@link DiscoveredMessage} of one FETCH row (see {@link DISCOVERY_QUERY}). The envelope comes from the
 * server's ENVELOPE; where a field is missing there, the parsed headers fill in. Headers are parsed on first use.
 *
 * @example
 * ```ts
 * const message = toDiscoveredMessage(row, { mailboxId: 'support', folder: 'INBOX', uidValidity: 7n });
 * message.identity.key; // 'imap:INBOX:7:42'
 * ```
 */
export function toDiscoveredMessage(
  row: Pick<FetchMessageObject, 'uid' | 'flags' | 'size' | 'envelope' | 'headers'> &
    Partial<Pick<FetchMessageObject, 'bodyStructure'>>,
  where: { mailboxId: string; folder: string; uidValidity: bigint | number | string },
): DiscoveredMessage {
  // Parsed only if a rule reads them, or the envelope lacks a field.
  const headers = new LazyHeaders(row.headers);
  const env = row.envelope ?? {};
  const first = (name: string) => headers.get(name)?.[0];
  const messageId = normalizeMessageId(env.messageId ?? first('message-id'));
  const envelope: MessageEnvelope = {
    subject: env.subject ?? first('subject') ?? '',
    from: addresses(env.from),
    to: addresses(env.to),
    cc: addresses(env.cc),
    replyTo: addresses(env.replyTo),
    date: parseHeaderDate(env.date ?? first('date')),
    messageId,
    inReplyTo: normalizeMessageId(env.inReplyTo ?? first('in-reply-to')),
  };
  const identity: MessageIdentity = {
    mailboxId: where.mailboxId,
    key: imapMessageKey(where.folder, where.uidValidity, row.uid),
    messageId,
  };
  return {
    identity,
    ref: String(row.uid),
    flags: [...(row.flags ?? [])],
    size: row.size ?? 0,
    envelope,
    headers,
    ...(row.bodyStructure ? { attachments: attachmentsOfStructure(row.bodyStructure) } : {}),
  };
}
