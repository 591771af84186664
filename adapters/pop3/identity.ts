/**
 * Message identities in a POP3 maildrop (SPEC S6): the UIDL, or a stable fallback for servers without UIDL.
 *
 * @module
 */
import { createHash } from 'node:crypto';

/**
 * The journal key of a message that has a UIDL: `pop3:` + the UIDL (unique and stable while the message exists,
 * RFC 1939 §7).
 *
 * @example
 * ```ts
 * uidlKey('00000001575a2b6d'); // 'pop3:00000001575a2b6d'
 * ```
 */
export function uidlKey(uid: string): string {
  return `pop3:${uid}`;
}

/**
 * What the fallback identity is made of: header fields as written (from `TOP n 0`) and the size from LIST.
 *
 * @example
 * ```ts
 * const parts: FallbackParts = { messageId: '<a@b>', date: 'Tue, 1 Jul 2025 10:00:00 +0000', from: 'a@b',
 *   subject: 'Hi', size: 1234 };
 * ```
 */
export interface FallbackParts {
  readonly messageId: string | null;
  readonly date: string | null;
  readonly from: string | null;
  readonly subject: string | null;
  readonly size: number;
}

/**
 * Keys for a maildrop whose server has no UIDL: a SHA-256 of Message-ID, Date, From, Subject and size, so the
 * same message gets the same key every cycle, whatever its message number. Identical copies (same hash) are told
 * apart by their order in the maildrop: the second is `#2`, and so on. `pop3-nouidl:` keeps these keys apart from
 * UIDL keys, so a server that later gains UIDL cannot collide with them.
 *
 * @example
 * ```ts
 * fallbackKeys([parts, parts]); // ['pop3-nouidl:3f…', 'pop3-nouidl:3f…#2']
 * ```
 */
export function fallbackKeys(messages: readonly FallbackParts[]): string[] {
  const seen = new Map<string, number>();
  return messages.map((parts) => {
    const hash = createHash('sha256')
      .update(
        JSON.stringify([parts.messageId ?? '', parts.date ?? '', parts.from ?? '', parts.subject ?? '', parts.size]),
      )
      .digest('hex')
      .slice(0, 32);
    const count = (seen.get(hash) ?? 0) + 1;
    seen.set(hash, count);
    return count === 1 ? `pop3-nouidl:${hash}` : `pop3-nouidl:${hash}#${count}`;
  });
}
