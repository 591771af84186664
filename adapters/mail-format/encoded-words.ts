/**
 * RFC 2047 encoded words, decoded by libmime: adjacent words of one charset and encoding are joined before decoding,
 * so a character split across two words comes out whole; white space between adjacent words is dropped (§6.2);
 * `latin1`/`iso-8859-1` read as Windows-1252. A word in a charset nobody knows is decoded by the header rule of
 * {@link headerText} (UTF-8 if valid, else Windows-1252) rather than as lossy UTF-8.
 *
 * @module
 */
import { Libmime } from 'libmime';
import { headerText, isKnownCharset } from './header-text.js';

class HeaderWords extends Libmime {
  override decodeWord(charset: string, encoding: string, text: string): string {
    if (isKnownCharset(charset)) return super.decodeWord(charset, encoding, text);
    // `binary` maps each byte to one code point, so the word's bytes come back whole for the fallback rule.
    return headerText(Buffer.from(super.decodeWord('binary', encoding, text), 'latin1'));
  }
}

const words = new HeaderWords();

/**
 * Decodes the encoded words of a header value; text around them is kept.
 *
 * @example
 * ```ts
 * decodeEncodedWords('=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus Berlin'); // 'Grüße aus Berlin'
 * decodeEncodedWords('=?UTF-8?B?4oI=?= =?UTF-8?B?rA==?='); // '€' (split across two words)
 * ```
 */
export function decodeEncodedWords(value: string): string {
  return value.includes('=?') ? words.decodeWords(value) : value;
}
