/**
 * MIME rebuilt from MAPI parts. Neither Simple MAPI nor the Outlook object model gives the original RFC 5322
 * source, so command handlers get a message composed from subject, addresses, bodies and attachments, marked with
 * {@link REBUILT_HEADER} so that nobody mistakes it for the original (issue 8, point 5).
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import MailComposer from 'nodemailer/lib/mail-composer';
import { decodeEncodedWords, formatAddress, headerFields } from '../mail-format/index.js';
import type { MapiMessageParts } from './types.js';

/** The header that marks a rebuilt message; its value names the source (`simple-mapi`, `outlook-object-model`). */
export const REBUILT_HEADER = 'X-Mail-Autopilot-Rebuilt';

/**
 * Who rebuilt a message: also the value of {@link REBUILT_HEADER}.
 *
 * @example
 * ```ts
 * const by: RebuiltBy = 'simple-mapi';
 * ```
 */
export type RebuiltBy = 'simple-mapi' | 'outlook-object-model';

/**
 * A source stream that says it was rebuilt (the runtime can put `rebuiltBy` into handler metadata).
 *
 * @example
 * ```ts
 * const source = await session.fetchSource(message);
 * if ((source as RebuiltSource).rebuiltBy) metadata.sourceRebuilt = true;
 * ```
 */
export type RebuiltSource = Readable & { readonly rebuiltBy: RebuiltBy };

/**
 * Whether a source stream from `fetchSource` was rebuilt from parts, and by what; undefined for original MIME.
 *
 * @example
 * ```ts
 * rebuiltBy(await session.fetchSource(message)); // 'simple-mapi'
 * ```
 */
export function rebuiltBy(source: Readable): RebuiltBy | undefined {
  return (source as Partial<RebuiltSource>).rebuiltBy;
}

/** Headers that describe the original body structure: the rebuilt message has its own. */
const STRUCTURAL = new Set([
  'content-type',
  'content-transfer-encoding',
  'mime-version',
  'content-disposition',
  'content-id',
  'content-description',
  'content-language',
]);

/** The original header fields, unfolded, minus the structural ones (their values become wrong). */
function originalHeaderLines(transportHeaders: string): { key: string; value: string }[] {
  return headerFields(transportHeaders)
    .filter((field) => !STRUCTURAL.has(field.name.toLowerCase()))
    .map((field) => ({ key: field.name, value: field.value }));
}

/**
 * Composes an RFC 5322 message from MAPI parts. With transport headers, the original header fields are kept as
 * they were (Received, Return-Path, List-Id, Auto-Submitted, …); otherwise From/To/Cc/Subject/Date come from the
 * MAPI fields and the Message-ID, which Simple MAPI cannot read, is derived from the key (stable, in the
 * `.invalid` domain, so it can never collide with a real one).
 *
 * @example
 * ```ts
 * const mime = await rebuildMime(parts, 'simple-mapi');
 * mime.toString().startsWith('X-Mail-Autopilot-Rebuilt: simple-mapi'); // true
 * ```
 */
export async function rebuildMime(parts: MapiMessageParts, by: RebuiltBy): Promise<Buffer> {
  const headers: { key: string; value: { prepared: true; value: string } | string }[] = [
    { key: REBUILT_HEADER, value: by },
  ];
  const original = parts.transportHeaders !== null ? originalHeaderLines(parts.transportHeaders) : [];
  const has = (name: string) => original.some((line) => line.key.toLowerCase() === name);
  for (const line of original) headers.push({ key: line.key, value: { prepared: true, value: line.value } });
  const date = parts.receivedAt ? new Date(parts.receivedAt) : undefined;
  const messageId =
    parts.messageId ??
    `<${createHash('sha256').update(parts.key).digest('hex').slice(0, 32)}.${by}@mail-autopilot.invalid>`;
  const composer = new MailComposer({
    ...(has('from') ? {} : { from: parts.from.map(formatAddress).filter(Boolean).join(', ') || undefined }),
    ...(has('to') ? {} : { to: parts.to.map(formatAddress).filter(Boolean) }),
    ...(has('cc') || parts.cc.length === 0 ? {} : { cc: parts.cc.map(formatAddress).filter(Boolean) }),
    ...(has('subject') ? {} : { subject: decodeEncodedWords(parts.subject) }),
    ...(has('date') || !date ? {} : { date }),
    ...(has('message-id') ? {} : { messageId }),
    headers,
    ...(parts.text !== null ? { text: parts.text } : {}),
    ...(parts.html !== null ? { html: parts.html } : {}),
    ...(parts.text === null && parts.html === null ? { text: '' } : {}),
    attachments: parts.attachments
      .filter((attachment) => attachment.contentBase64 !== null)
      .map((attachment) => ({
        filename: attachment.filename ?? undefined,
        contentType: attachment.contentType,
        content: Buffer.from(attachment.contentBase64!, 'base64'),
      })),
  });
  return new Promise<Buffer>((resolve, reject) => {
    composer.compile().build((error, message) => (error ? reject(error) : resolve(message)));
  });
}

/**
 * The rebuilt message as the stream `fetchSource` returns, marked with `rebuiltBy`.
 *
 * @example
 * ```ts
 * const stream = rebuiltSource(await rebuildMime(parts, 'simple-mapi'), 'simple-mapi');
 * ```
 */
export function rebuiltSource(mime: Buffer, by: RebuiltBy): RebuiltSource {
  return Object.assign(Readable.from([mime]), { rebuiltBy: by });
}
