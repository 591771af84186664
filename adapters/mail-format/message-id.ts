/**
 * Message-IDs (RFC 5322 §3.6.4) as every adapter reports them, by one rule.
 *
 * @module
 */

const MSG_ID = /<[^<>\s]+>/;

/**
 * A Message-ID in its `<…>` form: the first `<…>` token of the value (comments and junk around it dropped); else
 * the first word of a bare id wrapped in angle brackets (servers and MAPI stores that drop them); null when missing
 * or blank.
 *
 * @example
 * ```ts
 * normalizeMessageId('<a@example.test> (comment)'); // '<a@example.test>'
 * normalizeMessageId(' a@example.test '); // '<a@example.test>'
 * normalizeMessageId(''); // null
 * ```
 */
export function normalizeMessageId(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  const bracketed = MSG_ID.exec(value);
  if (bracketed) return bracketed[0];
  const word = value.trim().split(/\s+/, 1)[0]!.replace(/[<>]/g, '');
  return word.length > 0 ? `<${word}>` : null;
}

/**
 * Every `<…>` Message-ID of a References or In-Reply-To value, in order.
 *
 * @example
 * ```ts
 * messageIdsIn('<a@x> <b@x>\r\n <c@x>'); // ['<a@x>', '<b@x>', '<c@x>']
 * ```
 */
export function messageIdsIn(value: string): string[] {
  return value.match(new RegExp(MSG_ID.source, 'g')) ?? [];
}
