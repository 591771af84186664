/**
 * The runtime's outgoing mail (SmtpMessage) in the form the bridge sends through MAPI: bare addresses, attachments
 * read into memory, a raw message taken apart into its parts (MAPI composes the MIME itself).
 *
 * @module
 */
import type { Readable } from 'node:stream';
import { loadMailparser, parseAddresses } from '../mail-format/index.js';
import type { SmtpAddresses, SmtpMessage } from '../smtp/message.js';
import type { MapiOutgoing } from './types.js';

function bare(value: SmtpAddresses | undefined): string[] {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? [value] : [...value];
  return parseAddresses(list).map((entry) => entry.address);
}

async function bytesOf(content: string | Buffer | Readable): Promise<Buffer> {
  if (typeof content === 'string') return Buffer.from(content, 'utf8');
  if (Buffer.isBuffer(content)) return content;
  const chunks: Buffer[] = [];
  for await (const chunk of content) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

/**
 * Converts a message to send into the bridge's form.
 *
 * @example
 * ```ts
 * const outgoing = await toMapiOutgoing({ from: 'a@x', to: 'Ada <ada@example.test>', subject: 'Hi', text: 'x' });
 * outgoing.to; // ['ada@example.test']
 * ```
 */
export async function toMapiOutgoing(mail: SmtpMessage): Promise<MapiOutgoing> {
  if (mail.raw !== undefined) {
    const { simpleParser } = await loadMailparser();
    const parsed = await simpleParser(mail.raw);
    const headers: Record<string, string> = {};
    for (const line of parsed.headerLines) {
      const name = line.line.slice(0, line.line.indexOf(':'));
      if (/^(auto-submitted|x-auto-response-suppress|in-reply-to|references|message-id)$/i.test(name)) {
        headers[name] = line.line.slice(name.length + 1).trim();
      }
    }
    return {
      to: bare(mail.to),
      cc: bare(mail.cc),
      bcc: bare(mail.bcc),
      subject: parsed.subject ?? '',
      text: parsed.text ?? null,
      html: typeof parsed.html === 'string' ? parsed.html : null,
      headers,
      attachments: parsed.attachments.map((attachment) => ({
        filename: attachment.filename ?? 'attachment.bin',
        contentType: attachment.contentType,
        contentBase64: attachment.content.toString('base64'),
      })),
    };
  }
  const headers: Record<string, string> = { ...(mail.headers ?? {}) };
  if (mail.inReplyTo) headers['In-Reply-To'] = mail.inReplyTo;
  const references =
    mail.references === undefined ? [] : typeof mail.references === 'string' ? [mail.references] : [...mail.references];
  if (references.length > 0) headers.References = references.join(' ');
  const attachments = await Promise.all(
    (mail.attachments ?? []).map(async (attachment, i) => ({
      filename: attachment.filename ?? `attachment-${i + 1}.bin`,
      contentType: attachment.contentType ?? 'application/octet-stream',
      contentBase64: (await bytesOf(attachment.content)).toString('base64'),
    })),
  );
  return {
    to: bare(mail.to),
    cc: bare(mail.cc),
    bcc: bare(mail.bcc),
    subject: mail.subject ?? '',
    text: mail.text ?? null,
    html: mail.html ?? null,
    headers,
    attachments,
  };
}
