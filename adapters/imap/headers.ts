/**
 * A small RFC 5322 header-block parser: unfolds, lower-cases names, keeps every value in order and decodes
 * RFC 2047 encoded words. Enough for rules that look at headers only (S13), without a full MIME parse.
 *
 * @module
 */

import { TextDecoder } from 'node:util';

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
/** Adjacent encoded words are separated only by white space, which RFC 2047 §6.2 says to drop. */
const BETWEEN_WORDS = /^[ \t\r\n]*$/;

/**
 * Decodes RFC 2047 encoded words (`=?UTF-8?B?...?=`, `=?ISO-8859-1?Q?...?=`) in a header value. Adjacent words of
 * one charset are joined before decoding, so a character split across two words survives. A word in a charset
 * this runtime cannot decode is left as it is.
 *
 * @example
 * ```ts
 * decodeEncodedWords('=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus Berlin'); // 'Grüße aus Berlin'
 * ```
 */
export function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return value;
  const parts: { text: string; word?: { charset: string; bytes: Buffer } }[] = [];
  let last = 0;
  for (const match of value.matchAll(ENCODED_WORD)) {
    const [raw, charsetSpec = '', encoding = '', text = ''] = match;
    const index = match.index ?? 0;
    const between = value.slice(last, index);
    const previous = parts.at(-1);
    // White space between two encoded words is dropped (RFC 2047 §6.2); any other text is kept.
    if (!(previous?.word && BETWEEN_WORDS.test(between)) && between.length > 0) parts.push({ text: between });
    // RFC 2231 allows a language after the charset: `UTF-8*de`.
    const charset = charsetSpec.split('*', 1)[0]!.toLowerCase();
    const bytes = encoding.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : decodeQ(text);
    const tail = parts.at(-1);
    if (tail?.word && tail.word.charset === charset && BETWEEN_WORDS.test(between)) {
      // Same charset, adjacent: join the bytes so a character split across the two words decodes whole.
      tail.word.bytes = Buffer.concat([tail.word.bytes, bytes]);
      tail.text += raw;
    } else {
      parts.push({ text: raw, word: { charset, bytes } });
    }
    last = index + raw.length;
  }
  let out = '';
  for (const part of parts)
    out += part.word ? (decodeBytes(part.word.bytes, part.word.charset) ?? part.text) : part.text;
  return out + value.slice(last);
}

/** The Q encoding of RFC 2047 §4.2: `_` is a space, `=XX` a byte. */
function decodeQ(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '_') bytes.push(0x20);
    else if (ch === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(ch.charCodeAt(0) & 0xff);
  }
  return Buffer.from(bytes);
}

/**
 * Windows-1252 at 0x80–0x9F (undefined bytes stay C1 controls). Node 20's TextDecoder decodes every label of
 * windows-1252 (also `iso-8859-1`, `us-ascii`, which WHATWG maps to it) as plain Latin-1, losing `€`, `„`, `“`….
 */
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/** Decodes bytes in a charset (WHATWG names and aliases, via ICU), or `undefined` when it is unknown. */
function decodeBytes(bytes: Buffer, charset: string): string | undefined {
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset);
  } catch {
    return undefined;
  }
  if (decoder.encoding !== 'windows-1252') return decoder.decode(bytes);
  let out = '';
  for (const byte of bytes) out += byte >= 0x80 && byte <= 0x9f ? CP1252_HIGH[byte - 0x80] : String.fromCharCode(byte);
  return out;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Header bytes as text: UTF-8 (RFC 6532) when valid, else Latin-1 so no byte is lost. */
function headerText(block: Buffer | string): string {
  if (typeof block === 'string') return block;
  try {
    return STRICT_UTF8.decode(block);
  } catch {
    return block.toString('latin1');
  }
}

/**
 * Parses a header block (up to the first empty line) into lower-cased names, each with all its values in order,
 * unfolded, trimmed and RFC 2047-decoded. Lines that are neither a field nor a continuation are ignored.
 *
 * @example
 * ```ts
 * const headers = parseHeaderBlock(Buffer.from('Subject: Hi\r\nReceived: a\r\n b\r\nReceived: c\r\n\r\n'));
 * headers.get('received'); // ['a b', 'c']
 * ```
 */
export function parseHeaderBlock(block: Buffer | string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  const lines = headerText(block).split(/\r?\n/);
  let name: string | null = null;
  let value = '';
  const commit = () => {
    if (name === null) return;
    const decoded = decodeEncodedWords(value.trim());
    const values = headers.get(name);
    if (values) values.push(decoded);
    else headers.set(name, [decoded]);
    name = null;
  };
  for (const line of lines) {
    if (line === '') break;
    if (line[0] === ' ' || line[0] === '\t') {
      // Unfolding (RFC 5322 §2.2.3) removes the line break only; the white space stays.
      if (name !== null) value += line;
      continue;
    }
    commit();
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const field = line.slice(0, colon).trim().toLowerCase();
    if (field.length === 0 || /\s/.test(field)) continue;
    name = field;
    value = line.slice(colon + 1);
  }
  commit();
  return headers;
}

/**
 * The headers of a message, parsed from the raw block on first use: discovery hands every message to the rules,
 * and a rule that reads only the envelope never pays for the parse.
 *
 * @example
 * ```ts
 * const headers = new LazyHeaders(row.headers);
 * headers.get('list-id'); // parses now, once
 * ```
 */
export class LazyHeaders implements ReadonlyMap<string, readonly string[]> {
  #raw: Buffer | string | undefined;
  #parsed: Map<string, string[]> | undefined;

  constructor(raw: Buffer | string | undefined) {
    this.#raw = raw;
  }

  #map(): Map<string, string[]> {
    if (this.#parsed === undefined) {
      this.#parsed = this.#raw === undefined ? new Map() : parseHeaderBlock(this.#raw);
      this.#raw = undefined;
    }
    return this.#parsed;
  }

  get size(): number {
    return this.#map().size;
  }
  get(name: string): readonly string[] | undefined {
    return this.#map().get(name);
  }
  has(name: string): boolean {
    return this.#map().has(name);
  }
  forEach(
    callback: (value: readonly string[], key: string, map: ReadonlyMap<string, readonly string[]>) => void,
  ): void {
    for (const [key, value] of this.#map()) callback(value, key, this);
  }
  entries(): MapIterator<[string, readonly string[]]> {
    return this.#map().entries();
  }
  keys(): MapIterator<string> {
    return this.#map().keys();
  }
  values(): MapIterator<readonly string[]> {
    return this.#map().values();
  }
  [Symbol.iterator](): MapIterator<[string, readonly string[]]> {
    return this.#map()[Symbol.iterator]();
  }
}
