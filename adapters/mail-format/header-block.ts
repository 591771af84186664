/**
 * The header block of a message (up to the first empty line) as fields: unfolded, every value kept in order, names
 * lower-cased for lookup. One parser for IMAP (BODY[HEADER]), POP3 (`TOP n 0`), MAPI (transport
 * headers) and SMTP (a raw message's Message-ID).
 *
 * @module
 */
import { decodeEncodedWords } from './encoded-words.js';
import { headerText } from './header-text.js';

/** A field name is printable ASCII without white space or a colon (RFC 5322 §2.2); anything else is not a field. */
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

/**
 * One field of a header block: its name as written and its value unfolded and trimmed, not decoded.
 *
 * @example
 * ```ts
 * const field: HeaderField = { name: 'List-Id', value: '<news.example.test>' };
 * ```
 */
export interface HeaderField {
  readonly name: string;
  readonly value: string;
}

/**
 * The fields of a header block in order, names as written. The block ends at the first empty line (empty lines in
 * front of it are skipped, as libmime's `decodeHeaders` does); a line starting with white space continues the field
 * before it, and unfolding turns the line break and the white space after it into one space (libmime's rule). Lines
 * that are not a field (no colon, a space in the name) are skipped with their continuation lines; a broken header
 * is never fatal. Names keep their case here because a rebuilt message (MAPI) writes them back.
 *
 * @example
 * ```ts
 * headerFields('List-Id: <a>\r\nSubject: Hi\r\n there\r\n\r\n'); // [{ name: 'List-Id', value: '<a>' }, { name: 'Subject', value: 'Hi there' }]
 * ```
 */
export function headerFields(block: Buffer | string): HeaderField[] {
  const lines = headerText(block).split(/\r?\n|\r/);
  let start = 0;
  while (start < lines.length && lines[start] === '') start += 1;
  const end = lines.indexOf('', start);
  const fields: HeaderField[] = [];
  let current: { name: string; value: string } | null = null;
  for (const line of lines.slice(start, end >= 0 ? end : lines.length)) {
    if (line[0] === ' ' || line[0] === '\t') {
      if (current) current.value += ` ${line.trim()}`;
      continue;
    }
    if (current) fields.push({ name: current.name, value: current.value.trim() });
    current = null;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!FIELD_NAME.test(name)) continue;
    current = { name, value: line.slice(colon + 1) };
  }
  if (current) fields.push({ name: current.name, value: current.value.trim() });
  return fields;
}

/**
 * The fields of a header block by lower-cased name, values unfolded and trimmed but not decoded: for addresses,
 * where decoding first would turn an encoded comma into a separator.
 *
 * @example
 * ```ts
 * rawHeaderFields('To: =?UTF-8?Q?Doe=2C_J?= <j@example.test>\r\n\r\n').get('to'); // ['=?UTF-8?Q?Doe=2C_J?= <j@example.test>']
 * ```
 */
export function rawHeaderFields(block: Buffer | string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const { name, value } of headerFields(block)) {
    const key = name.toLowerCase();
    const values = fields.get(key);
    if (values) values.push(value);
    else fields.set(key, [value]);
  }
  return fields;
}

/**
 * Parses a header block into lower-cased names, each with all its values in order, unfolded (a line break and the
 * white space after it become one space), trimmed and RFC 2047-decoded. Bytes are read by {@link headerText}'s
 * rule (UTF-8, else Windows-1252).
 *
 * @example
 * ```ts
 * const headers = parseHeaderBlock(Buffer.from('Subject: Hi\r\nReceived: a\r\n b\r\nReceived: c\r\n\r\n'));
 * headers.get('received'); // ['a b', 'c']
 * ```
 */
export function parseHeaderBlock(block: Buffer | string): Map<string, string[]> {
  const headers = rawHeaderFields(block);
  for (const [name, values] of headers) headers.set(name, values.map(decodeEncodedWords));
  return headers;
}
