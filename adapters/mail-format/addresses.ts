/**
 * Mail addresses: parsed by nodemailer's addressparser (groups flattened, quoted commas kept inside one name), names
 * RFC 2047-decoded after parsing; and one way to write an address back.
 *
 * @module
 */
import addressparser from 'nodemailer/lib/addressparser';
import type { MailAddress } from '../contract.js';
import { decodeEncodedWords } from './encoded-words.js';
import { displayName } from './outgoing-headers.js';

/**
 * The addresses of raw (undecoded) header values (`From`, `To`, `Cc`, `Reply-To`): every mailbox of every value, in
 * order, groups flattened. Entries without an address (an empty group, a bare name) are left out. Addresses are
 * kept as written; case folding is the business of whoever compares them.
 *
 * @example
 * ```ts
 * parseAddresses(['"Doe, Jane" <jane@example.test>, =?UTF-8?Q?J=C3=BCrgen?= <j@example.test>']);
 * // [{ name: 'Doe, Jane', address: 'jane@example.test' }, { name: 'Jürgen', address: 'j@example.test' }]
 * ```
 */
export function parseAddresses(values: readonly string[] | string | undefined): MailAddress[] {
  const list: MailAddress[] = [];
  for (const value of typeof values === 'string' ? [values] : (values ?? [])) {
    for (const entry of addressparser(value, { flatten: true })) {
      if (typeof entry.address !== 'string' || entry.address.length === 0) continue;
      list.push({ name: decodeEncodedWords(entry.name ?? ''), address: entry.address });
    }
  }
  return list;
}

/**
 * An address as a header writes it: `"Name" <address>`, or the bare address without a name; `''` without an
 * address. The name is made header-safe ({@link displayName}: one line, bounded) and quoted, `"` and `\` escaped.
 *
 * @example
 * ```ts
 * formatAddress({ name: 'Ada "the" Lovelace', address: 'ada@example.test' }); // '"Ada \"the\" Lovelace" <ada@example.test>'
 * formatAddress({ name: '', address: 'ada@example.test' }); // 'ada@example.test'
 * ```
 */
export function formatAddress(address: MailAddress): string {
  if (!address.address) return '';
  const name = displayName(address.name);
  return name ? `"${name.replace(/["\\]/g, '\\$&')}" <${address.address}>` : address.address;
}
