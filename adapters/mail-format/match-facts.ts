/**
 * The facts a rule's `attachment` and `body` conditions test (issue 15 point 6), from a parsed body: the attachment
 * summaries and the text part, cut to the length the matcher tests.
 *
 * @module
 */
import type { AttachmentSummary, MessageBody } from '../contract.js';

/** The longest body text a rule tests (the matcher's bound on any tested value): 64 KiB characters. */
export const BODY_TEXT_LIMIT = 65_536;

/**
 * The attachments and body text of a parsed message, as rules see them.
 *
 * @example
 * ```ts
 * const facts = matchFactsOf(await parseBody(raw, 25 * 1024 * 1024));
 * const withFacts = { ...message, ...facts };
 * ```
 */
export function matchFactsOf(body: MessageBody): {
  readonly attachments: readonly AttachmentSummary[];
  readonly bodyText: string;
} {
  // mailparser gives the text part, or the text it made of the HTML part when there is no text part.
  const text = body.text ?? '';
  return {
    attachments: body.attachments.map((a) => ({
      filename: a.filename,
      contentType: a.contentType.toLowerCase(),
      size: a.size,
    })),
    bodyText: text.length > BODY_TEXT_LIMIT ? text.slice(0, BODY_TEXT_LIMIT) : text,
  };
}
