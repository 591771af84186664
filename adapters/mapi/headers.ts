/**
 * Headers and envelope of a MAPI message: parsed from the transport headers the store kept
 * (PR_TRANSPORT_MESSAGE_HEADERS) when there are any, else made from the MAPI fields, so rules on headers see the
 * same lower-case map as with IMAP and POP3.
 *
 * @module
 */
import addressparser from 'nodemailer/lib/addressparser';
import type { MailAddress, MessageEnvelope } from '../contract.js';
import type { MapiEnvelope } from './types.js';

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

function decodeWord(charset: string, encoding: string, text: string): string | null {
  const bytes =
    encoding.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64')
      : Buffer.from(
          text
            .replace(/_/g, ' ')
            .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
          'latin1',
        );
  try {
    return new TextDecoder(charset.split('*', 1)[0]!).decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Decodes RFC 2047 encoded words (white space between adjacent encoded words dropped, §6.2).
 *
 * @example
 * ```ts
 * decodeEncodedWords('=?UTF-8?Q?Gr=C3=BC=C3=9Fe?='); // 'Grüße'
 * ```
 */
export function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return value;
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(
      ENCODED_WORD,
      (raw, charset: string, encoding: string, text: string) => decodeWord(charset, encoding, text) ?? raw,
    );
}

/**
 * Splits a header block into fields: names lower-cased, values unfolded and decoded, all values kept in order.
 *
 * @example
 * ```ts
 * parseHeaderText('Subject: Hi\r\n there\r\nX-A: 1\r\n').get('subject'); // ['Hi there']
 * ```
 */
export function parseHeaderText(text: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  const end = text.search(/\r?\n\r?\n/);
  const block = end >= 0 ? text.slice(0, end) : text;
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = decodeEncodedWords(line.slice(colon + 1).trim());
    headers.set(name, [...(headers.get(name) ?? []), value]);
  }
  return headers;
}

function addresses(value: string | undefined): MailAddress[] {
  if (!value) return [];
  return addressparser(value, { flatten: true })
    .filter((entry): entry is { name: string; address: string } => typeof entry.address === 'string')
    .map((entry) => ({ name: decodeEncodedWords(entry.name ?? ''), address: entry.address.toLowerCase() }));
}

function formatAddress(address: MailAddress): string {
  return address.name ? `"${address.name.replace(/["\\]/g, '')}" <${address.address}>` : address.address;
}

function messageIdOf(value: string | undefined): string | null {
  return /<[^<>\s]+>/.exec(value ?? '')?.[0] ?? null;
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
  const mapiFrom = source.from
    .map((a) => ({ name: a.name, address: a.address.toLowerCase() }))
    .filter((a) => a.address);
  const mapiTo = source.to.map((a) => ({ name: a.name, address: a.address.toLowerCase() })).filter((a) => a.address);
  const mapiCc = source.cc.map((a) => ({ name: a.name, address: a.address.toLowerCase() })).filter((a) => a.address);
  const receivedAt = source.receivedAt ? new Date(source.receivedAt) : null;
  const headers =
    source.transportHeaders !== null ? parseHeaderText(source.transportHeaders) : new Map<string, string[]>();
  const first = (name: string) => headers.get(name)?.[0];
  const setIfMissing = (name: string, value: string | null) => {
    if (value && !headers.has(name)) headers.set(name, [value]);
  };
  setIfMissing('subject', source.subject);
  setIfMissing('from', mapiFrom.map(formatAddress).join(', '));
  setIfMissing('to', mapiTo.map(formatAddress).join(', '));
  setIfMissing('cc', mapiCc.map(formatAddress).join(', '));
  setIfMissing('date', receivedAt ? receivedAt.toUTCString() : null);
  setIfMissing('message-id', source.messageId);
  const headerFrom = addresses(first('from'));
  const headerDate = first('date') ? new Date(first('date')!) : null;
  const envelope: MessageEnvelope = {
    subject: source.transportHeaders !== null && first('subject') !== undefined ? first('subject')! : source.subject,
    from: headerFrom.length > 0 ? headerFrom : mapiFrom,
    to: addresses(first('to')).length > 0 ? addresses(first('to')) : mapiTo,
    cc: addresses(first('cc')).length > 0 ? addresses(first('cc')) : mapiCc,
    replyTo: addresses(first('reply-to')),
    date: headerDate && !Number.isNaN(headerDate.getTime()) ? headerDate : receivedAt,
    messageId: source.messageId ?? messageIdOf(first('message-id')),
    inReplyTo: messageIdOf(first('in-reply-to')),
  };
  return { headers, envelope };
}
