/**
 * Bytes of a header as text, by one rule for every adapter: UTF-8 when the bytes are valid UTF-8 (RFC 6532), else
 * Windows-1252, the superset of Latin-1 that 8-bit mail in the wild is written in. No byte is lost either way.
 *
 * @module
 */
import { decode as decodeCharset, normalizeCharset } from 'libmime/lib/charset.js';

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes raw header bytes: UTF-8 if valid, else Windows-1252 (which maps 0x80–0x9F to `€`, `„`, `“`… where plain
 * Latin-1 would give C1 controls). A string is returned as it is.
 *
 * @example
 * ```ts
 * headerText(Buffer.from('Subject: Grüße')); // 'Subject: Grüße'
 * headerText(Buffer.from([0x80, 0x20, 0xe9])); // '€ é'
 * ```
 */
export function headerText(bytes: Buffer | string): string {
  if (typeof bytes === 'string') return bytes;
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return decodeCharset(bytes, 'windows-1252');
  }
}

/**
 * Decodes bytes in a named charset through libmime (iconv-lite, with libmime's alias table: `latin1`, `iso-8859-1`
 * and `us-ascii` read as Windows-1252, `win-1257` as `windows-1257`, the Japanese charsets via encoding-japanese).
 * A charset nobody knows falls back to {@link headerText}'s rule.
 *
 * @example
 * ```ts
 * decodeBytes(Buffer.from([0xe9]), 'ISO-8859-1'); // 'é'
 * decodeBytes(Buffer.from([0xe9]), 'x-made-up'); // 'é' (not UTF-8, so Windows-1252)
 * ```
 */
export function decodeBytes(bytes: Buffer, charset: string): string {
  return isKnownCharset(charset) ? decodeCharset(bytes, charset) : headerText(bytes);
}

/**
 * Whether a charset is one we can name: a WHATWG label (Node's full ICU knows every one of them, the Japanese and
 * Chinese multi-byte sets included) as written or after libmime's alias table. libmime itself would read an unknown
 * charset as lossy UTF-8; we apply the header rule instead.
 *
 * @example
 * ```ts
 * isKnownCharset('win-1257'); // true (libmime's alias for windows-1257)
 * isKnownCharset('x-unknown'); // false
 * ```
 */
export function isKnownCharset(charset: string): boolean {
  const label = charset.split('*', 1)[0]!.trim();
  return [label, normalizeCharset(label)].some((name) => {
    try {
      new TextDecoder(name);
      return true;
    } catch {
      return false;
    }
  });
}
