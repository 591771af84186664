/**
 * Parses a message source stream into a {@link MessageBody} with mailparser's streaming parser, keeping at most
 * a budget of attachment bytes in memory.
 *
 * @module
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type AttachmentStream, MailParser, type MessageText } from 'mailparser';
import type { MessageBody } from '../contract.js';

type Attachment = MessageBody['attachments'][number];

/**
 * Streams `source` through mailparser. Attachment contents are kept while their sum stays within `maxBytes`;
 * an attachment that would pass it is read to the end (for its size) but its content is left out (`null`) and
 * `truncated` is set. Text and HTML longer than `maxBytes` characters are cut and set `truncated` as well.
 * mailparser itself holds each text part whole while parsing; attachments never are.
 *
 * @example
 * ```ts
 * const body = await parseBody(await session.fetchSource(message), 25 * 1024 * 1024);
 * if (body.truncated) log.warn('large message: some attachments left out');
 * ```
 */
export async function parseBody(source: Readable, maxBytes: number): Promise<MessageBody> {
  const parser = new MailParser({
    skipImageLinks: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    checksumAlgo: false,
    maxHtmlLengthToParse: maxBytes,
  });
  let budget = maxBytes;
  let truncated = false;
  let text: string | null = null;
  let html: string | null = null;
  const attachments: Attachment[] = [];
  const reading: Promise<void>[] = [];

  const readAttachment = (part: AttachmentStream): Promise<void> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let keep = true;
      part.content.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (!keep) return;
        if (size > budget) {
          keep = false;
          truncated = true;
          chunks.length = 0;
          return;
        }
        chunks.push(chunk);
      });
      part.content.once('error', reject);
      part.content.once('end', () => {
        if (keep) budget -= size;
        attachments.push({
          filename: part.filename ?? null,
          contentType: part.contentType,
          size,
          content: keep ? Buffer.concat(chunks) : null,
        });
        part.release?.();
        resolve();
      });
    });

  parser.on('data', (data: AttachmentStream | MessageText) => {
    if (data.type === 'attachment') {
      reading.push(readAttachment(data));
      return;
    }
    const cut = (value: string | undefined): string | null => {
      if (value === undefined) return null;
      if (value.length <= maxBytes) return value;
      truncated = true;
      return value.slice(0, maxBytes);
    };
    text = cut(data.text);
    html = cut(data.html);
  });
  await pipeline(source, parser);
  await Promise.all(reading);
  return { text, html, attachments, truncated };
}
