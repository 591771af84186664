/**
 * The facts a rule's `size`, `attachment` and `body` conditions test (issue 15 point 6), from a parsed body or from
 * a whole raw message (the `test` command's .eml files): the attachment summaries and the text part, cut to the
 * mailbox's `bodyMatchBytes` (a resolved setting: this module sets no bound of its own).
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
  /** The text part (else the text of the HTML part), at most `bodyMatchBytes` characters. */
  readonly bodyText: string;
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
    bodyText: text.length > bodyMatchBytes ? text.slice(0, bodyMatchBytes) : text,
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
