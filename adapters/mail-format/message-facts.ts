/**
 * The facts a rule's `size`, `attachment` and `body` conditions test (issue 15 point 6), from a parsed body or from
 * a whole raw message (the `test` command's .eml files): the attachment summaries and the text part, cut to the
 * mailbox's `bodyMatchBytes` (bytes of UTF-8) (a resolved setting: this module sets no bound of its own).
 *
 * @module
 */
import type { AttachmentSummary, MessageBody } from '../contract.js';
import { parseBody } from './body.js';

/**
 * What `attachment` and `body` conditions test, as the matcher reads them off a message.
 *
 * @example
 * ```ts
 * const facts: MatchFacts = { attachments: [], bodyText: 'Hello' };
 * ```
 */
export interface MatchFacts {
  readonly attachments: readonly AttachmentSummary[];
  /** The text part (else the text of the HTML part), at most `bodyMatchBytes` bytes of UTF-8. */
  readonly bodyText: string;
}

/**
 * A text cut to at most `maxBytes` bytes of UTF-8, never inside a character: the one cut of the body text, whether
 * it came from a whole body or from a partial fetch of the text part, so both give a rule the same text.
 *
 * @example
 * ```ts
 * cutUtf8('grüße', 3); // 'gr' ('ü' takes two bytes)
 * ```
 */
export function cutUtf8(text: string, maxBytes: number): string {
  // A character takes at most 4 bytes: a text this short cannot pass the bound.
  if (text.length * 4 <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Back to the start of the character the bound falls in (continuation bytes are 10xxxxxx).
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/**
 * The attachments and body text of a parsed message, as rules see them.
 *
 * @example
 * ```ts
 * const facts = matchFactsOf(await session.fetchBody(message), mailbox.bodyMatchBytes);
 * const withFacts = { ...message, ...facts };
 * ```
 */
export function matchFactsOf(body: MessageBody, bodyMatchBytes: number): MatchFacts {
  // mailparser gives the text part, or the text it made of the HTML part when there is no text part.
  const text = body.text ?? '';
  return {
    attachments: body.attachments.map((a) => ({
      filename: a.filename,
      contentType: a.contentType.toLowerCase(),
      size: a.size,
    })),
    bodyText: cutUtf8(text, bodyMatchBytes),
  };
}

/**
 * Size, attachments and body text of a whole raw message (an .eml file): what a mailbox learns from the server
 * (size) and from a fetched body. Attachment contents are not kept beyond `bodyMatchBytes` (their sizes still
 * count), so a large file costs no more memory than the text a rule tests.
 *
 * @example
 * ```ts
 * const facts = await factsFromRaw(readFileSync('invoice.eml'), 64 * 1024);
 * facts.size; facts.attachments[0]?.contentType; // 48213, 'application/pdf'
 * ```
 */
export async function factsFromRaw(raw: Buffer, bodyMatchBytes: number): Promise<MatchFacts & { size: number }> {
  return { size: raw.length, ...matchFactsOf(await parseBody(raw, bodyMatchBytes), bodyMatchBytes) };
}
