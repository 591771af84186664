/**
 * The parsed body of a POP3 message (RETR is whole anyway): mailparser, with attachment contents above a budget
 * left out.
 *
 * @module
 */
import { simpleParser } from 'mailparser';
import type { MessageBody } from '../contract.js';

/**
 * Parses a message's source. Attachment contents are kept while their sum stays within `maxBytes`; larger ones
 * are reported with their size but `content: null`, and `truncated` is set.
 *
 * @example
 * ```ts
 * const body = await parseSource(await client.retrieve(1), 25 * 1024 * 1024);
 * console.log(body.text);
 * ```
 */
export async function parseSource(source: Buffer, maxBytes: number): Promise<MessageBody> {
  const parsed = await simpleParser(source, {
    skipImageLinks: true,
    skipTextToHtml: true,
    skipTextLinks: true,
  });
  let budget = maxBytes;
  let truncated = false;
  const attachments = parsed.attachments.map((attachment) => {
    const keep = attachment.size <= budget;
    if (keep) budget -= attachment.size;
    else truncated = true;
    return {
      filename: attachment.filename ?? null,
      contentType: attachment.contentType,
      size: attachment.size,
      content: keep ? attachment.content : null,
    };
  });
  return {
    text: parsed.text ?? null,
    html: typeof parsed.html === 'string' ? parsed.html : null,
    attachments,
    truncated,
  };
}
