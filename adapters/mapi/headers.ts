/**
 * Headers and envelope of a MAPI message: parsed from the transport headers the store kept
 * (PR_TRANSPORT_MESSAGE_HEADERS) when there are any, else made from the MAPI fields, so rules on headers see the
 * same lower-case map as with IMAP and POP3. The parsing is the mail-format module's; what MAPI adds is the
 * fallback to its own fields.
 *
 * @module
 */
import type { MailAddress, MessageEnvelope } from '../contract.js';
import { envelopeOf, formatAddress, normalizeMessageId, parseHeaderBlock } from '../mail-format/index.js';
import type { MapiEnvelope } from './types.js';

/** MAPI's own address fields, lower-cased as Exchange compares them, entries without an address left out. */
function mapiAddresses(list: MapiEnvelope['from']): MailAddress[] {
  return list.map((a) => ({ name: a.name, address: a.address.toLowerCase() })).filter((a) => a.address);
}

/**
 * The headers map and envelope of a listed MAPI message: from its transport headers where present, else from the
 * MAPI fields (Simple MAPI, and mail that never crossed a transport). MAPI fields fill what the headers lack.
 *
 * @example
 * ```ts
 * const { headers, envelope } = headersAndEnvelope(mapiEnvelope);
 * envelope.from[0]?.address; // 'ada@example.test'
 * ```
 */
export function headersAndEnvelope(source: MapiEnvelope): {
  headers: Map<string, string[]>;
  envelope: MessageEnvelope;
} {
  const mapiFrom = mapiAddresses(source.from);
  const mapiTo = mapiAddresses(source.to);
  const mapiCc = mapiAddresses(source.cc);
  const receivedAt = source.receivedAt ? new Date(source.receivedAt) : null;
  const transport = source.transportHeaders ?? '';
  const headers = parseHeaderBlock(transport);
  const fromHeaders = envelopeOf(transport, headers);
  const setIfMissing = (name: string, value: string | null) => {
    if (value && !headers.has(name)) headers.set(name, [value]);
  };
  setIfMissing('subject', source.subject);
  setIfMissing('from', mapiFrom.map(formatAddress).join(', '));
  setIfMissing('to', mapiTo.map(formatAddress).join(', '));
  setIfMissing('cc', mapiCc.map(formatAddress).join(', '));
  setIfMissing('date', receivedAt ? receivedAt.toUTCString() : null);
  setIfMissing('message-id', source.messageId);
  const envelope: MessageEnvelope = {
    subject: source.transportHeaders !== null && fromHeaders.subject !== '' ? fromHeaders.subject : source.subject,
    from: fromHeaders.from.length > 0 ? fromHeaders.from : mapiFrom,
    to: fromHeaders.to.length > 0 ? fromHeaders.to : mapiTo,
    cc: fromHeaders.cc.length > 0 ? fromHeaders.cc : mapiCc,
    replyTo: fromHeaders.replyTo,
    date: fromHeaders.date ?? receivedAt,
    messageId: normalizeMessageId(source.messageId) ?? fromHeaders.messageId,
    inReplyTo: fromHeaders.inReplyTo,
  };
  return { headers, envelope };
}
