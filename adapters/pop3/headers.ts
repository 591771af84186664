/**
 * Headers and envelope of a message from its header block (what `TOP n 0` returns), without a MIME parse of the
 * body: rules that look at headers only never download the body (issue 5, header-only discovery).
 *
 * @module
 */
import addressparser from 'nodemailer/lib/addressparser';
import type { MailAddress, MessageEnvelope } from '../contract.js';

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

function decodeQ(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i]!;
    if (ch === '_') bytes.push(0x20);
    else if (ch === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(ch.charCodeAt(0) & 0xff);
  }
  return Buffer.from(bytes);
}

function decodeCharset(bytes: Buffer, charset: string): string | null {
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Decodes RFC 2047 encoded words; white space between two adjacent encoded words is dropped (§6.2), and adjacent
 * words of one charset are decoded together so a character split across them survives. Unknown charsets stay as
 * written.
 *
 * @example
 * ```ts
 * decodeWords('=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus Berlin'); // 'Grüße aus Berlin'
 * ```
 */
export function decodeWords(value: string): string {
  if (!value.includes('=?')) return value;
  let out = '';
  let last = 0;
  let pending: { charset: string; bytes: Buffer[]; raw: string } | null = null;
  const flush = () => {
    if (pending) out += decodeCharset(Buffer.concat(pending.bytes), pending.charset) ?? pending.raw;
    pending = null;
  };
  for (const match of value.matchAll(ENCODED_WORD)) {
    const [raw, charsetSpec = '', encoding = '', text = ''] = match;
    const index = match.index ?? 0;
    const between = value.slice(last, index);
    const charset = charsetSpec.split('*', 1)[0]!.toLowerCase();
    const bytes = encoding.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : decodeQ(text);
    const adjacent = pending !== null && /^[ \t\r\n]*$/.test(between);
    if (adjacent && pending!.charset === charset) {
      pending!.bytes.push(bytes);
      pending!.raw += raw;
    } else {
      flush();
      if (!adjacent) out += between;
      pending = { charset, bytes: [bytes], raw };
    }
    last = index + raw.length;
  }
  flush();
  return out + value.slice(last);
}

/**
 * Splits a header block into fields: names lower-cased, values unfolded (RFC 5322 §2.2.3) and decoded (RFC 2047),
 * every value kept in order. Stops at the first empty line. Bytes are read as UTF-8 (RFC 6532), which leaves
 * ASCII headers as they are.
 *
 * @example
 * ```ts
 * parseHeaderBlock(Buffer.from('Subject: Hi\r\n there\r\nX-A: 1\r\nX-A: 2\r\n\r\n')).get('x-a'); // ['1', '2']
 * ```
 */
export function parseHeaderBlock(block: Buffer | string): Map<string, string[]> {
  const text = typeof block === 'string' ? block : block.toString('utf8');
  const end = /\r?\n\r?\n/.exec(text);
  const head = end ? text.slice(0, end.index) : text;
  const headers = new Map<string, string[]>();
  let name: string | null = null;
  let value = '';
  const commit = () => {
    if (name === null) return;
    const list = headers.get(name) ?? [];
    list.push(decodeWords(value.trim()));
    headers.set(name, list);
    name = null;
  };
  for (const line of head.split(/\r?\n/)) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && name !== null) {
      value += line;
      continue;
    }
    commit();
    const colon = line.indexOf(':');
    // A line without a colon (or with a space in the name) is not a field; a broken header is skipped, not fatal.
    if (colon <= 0 || /\s/.test(line.slice(0, colon))) continue;
    name = line.slice(0, colon).toLowerCase();
    value = line.slice(colon + 1);
  }
  commit();
  return headers;
}

/** Raw (undecoded) values of one field, for address parsing: decoding first would break quoted commas. */
function rawValues(block: string, field: string): string[] {
  const values: string[] = [];
  const pattern = new RegExp(`^${field}:([^\\r\\n]*(?:\\r?\\n[ \\t][^\\r\\n]*)*)`, 'gim');
  for (const match of block.matchAll(pattern)) values.push(match[1]!.replace(/\r?\n/g, ''));
  return values;
}

function addresses(block: string, field: string): MailAddress[] {
  const list: MailAddress[] = [];
  for (const raw of rawValues(block, field)) {
    for (const entry of addressparser(raw, { flatten: true })) {
      list.push({ name: decodeWords(entry.name ?? ''), address: entry.address ?? '' });
    }
  }
  return list;
}

function firstId(value: string | undefined): string | null {
  if (value === undefined) return null;
  const match = /<[^<>\s]+>/.exec(value);
  return match ? match[0] : value.trim() || null;
}

function parseDate(value: string | undefined): Date | null {
  if (value === undefined) return null;
  const time = Date.parse(value.replace(/\s*\([^)]*\)\s*$/, ''));
  return Number.isNaN(time) ? null : new Date(time);
}

/**
 * The envelope of a message from its header block and the fields {@link parseHeaderBlock} made of it.
 *
 * @example
 * ```ts
 * const raw = Buffer.from('From: Ada <ada@example.test>\r\nSubject: Hi\r\n\r\n');
 * envelopeOf(raw, parseHeaderBlock(raw)).from; // [{ name: 'Ada', address: 'ada@example.test' }]
 * ```
 */
export function envelopeOf(block: Buffer | string, headers: ReadonlyMap<string, readonly string[]>): MessageEnvelope {
  const text = typeof block === 'string' ? block : block.toString('utf8');
  const end = /\r?\n\r?\n/.exec(text);
  const head = end ? text.slice(0, end.index) : text;
  return {
    subject: headers.get('subject')?.[0] ?? '',
    from: addresses(head, 'from'),
    to: addresses(head, 'to'),
    cc: addresses(head, 'cc'),
    replyTo: addresses(head, 'reply-to'),
    date: parseDate(headers.get('date')?.[0]),
    messageId: firstId(headers.get('message-id')?.[0]),
    inReplyTo: firstId(headers.get('in-reply-to')?.[0]),
  };
}
