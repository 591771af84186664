/**
 * The attachments of a message from the server's description of its MIME tree (IMAP BODYSTRUCTURE, issue 15 point
 * 6), without downloading it: what an `attachment:` rule condition tests. The rule is mailparser's, so a message
 * gives the same answer whether the server described it or the body was fetched: every part that is not a multipart
 * container and not the message's own text or HTML body is an attachment — a part with `Content-Disposition:
 * attachment`, a file name, or a type other than text/*. An attached message (message/rfc822) is one attachment;
 * its inner parts are not looked into.
 *
 * @module
 */
import type { AttachmentSummary } from '../contract.js';
import { decodeEncodedWords } from './encoded-words.js';

/**
 * One node of a BODYSTRUCTURE as imapflow gives it (`bodyStructure`), reduced to what the summary reads.
 *
 * @example
 * ```ts
 * const node: BodyStructureNode = { type: 'application/pdf', disposition: 'attachment',
 *   dispositionParameters: { filename: 'invoice.pdf' }, size: 48_213 };
 * ```
 */
export interface BodyStructureNode {
  readonly type: string;
  readonly parameters?: Readonly<Record<string, string>>;
  readonly disposition?: string;
  readonly dispositionParameters?: Readonly<Record<string, string>>;
  readonly size?: number;
  readonly childNodes?: readonly BodyStructureNode[];
}

function filenameOf(node: BodyStructureNode): string | null {
  const raw = node.dispositionParameters?.filename ?? node.parameters?.name;
  return raw === undefined || raw === '' ? null : decodeEncodedWords(raw);
}

/**
 * The attachments of a message's BODYSTRUCTURE, in tree order.
 *
 * @example
 * ```ts
 * attachmentsOfStructure({ type: 'multipart/mixed', childNodes: [
 *   { type: 'text/plain', size: 120 },
 *   { type: 'application/pdf', disposition: 'attachment', dispositionParameters: { filename: 'a.pdf' }, size: 900 },
 * ] }); // [{ filename: 'a.pdf', contentType: 'application/pdf', size: 900 }]
 * ```
 */
export function attachmentsOfStructure(root: BodyStructureNode): AttachmentSummary[] {
  const found: AttachmentSummary[] = [];
  const seenBody = { text: false, html: false };
  const visit = (node: BodyStructureNode) => {
    const type = node.type.toLowerCase();
    if (type.startsWith('multipart/')) {
      for (const child of node.childNodes ?? []) visit(child);
      return;
    }
    const filename = filenameOf(node);
    const disposition = node.disposition?.toLowerCase();
    const bodyKind = type === 'text/plain' ? 'text' : type === 'text/html' ? 'html' : undefined;
    if (bodyKind !== undefined && disposition !== 'attachment' && filename === null && !seenBody[bodyKind]) {
      seenBody[bodyKind] = true;
      return;
    }
    if (disposition === 'attachment' || filename !== null || !type.startsWith('text/')) {
      found.push({ filename, contentType: type, size: node.size ?? 0 });
    }
  };
  visit(root);
  return found;
}
