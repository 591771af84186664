/**
 * The envelope of a message (subject, addresses, date, Message-ID, In-Reply-To) from its header block, for adapters
 * whose server gives no envelope of its own (POP3 `TOP n 0`, MAPI transport headers).
 *
 * @module
 */
import type { MessageEnvelope } from '../contract.js';
import { parseAddresses } from './addresses.js';
import { rawHeaderFields } from './header-block.js';
import { parseHeaderDate } from './header-date.js';
import { normalizeMessageId } from './message-id.js';

/**
 * Builds the envelope from the raw header block (addresses are parsed before their names are decoded) and the
 * fields {@link parseHeaderBlock} made of it (subject, date, ids).
 *
 * @example
 * ```ts
 * const raw = Buffer.from('From: Ada <ada@example.test>\r\nSubject: Hi\r\n\r\n');
 * envelopeOf(raw, parseHeaderBlock(raw)).from; // [{ name: 'Ada', address: 'ada@example.test' }]
 * ```
 */
export function envelopeOf(block: Buffer | string, headers: ReadonlyMap<string, readonly string[]>): MessageEnvelope {
  const raw = rawHeaderFields(block);
  const first = (name: string) => headers.get(name)?.[0];
  return {
    subject: first('subject') ?? '',
    from: parseAddresses(raw.get('from')),
    to: parseAddresses(raw.get('to')),
    cc: parseAddresses(raw.get('cc')),
    replyTo: parseAddresses(raw.get('reply-to')),
    date: parseHeaderDate(first('date')),
    messageId: normalizeMessageId(first('message-id')),
    inReplyTo: normalizeMessageId(first('in-reply-to')),
  };
}
