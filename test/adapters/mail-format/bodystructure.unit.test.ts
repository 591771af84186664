/**
 * The attachment summary from an IMAP BODYSTRUCTURE (issue 15 point 6): the nodes are shaped as imapflow gives
 * `bodyStructure`. The rule is mailparser's, so the same message summarised from a downloaded source agrees.
 */
import { describe, expect, it } from 'vitest';
import {
  attachmentsOfStructure,
  type BodyStructureNode,
  factsFromRaw,
  textPartOf,
} from '../../../adapters/mail-format/index.js';
import { mailWithAttachments } from '../../support/attachment-mail.js';

const text = (size = 120): BodyStructureNode => ({ type: 'text/plain', parameters: { charset: 'utf-8' }, size });
const html = (size = 300): BodyStructureNode => ({ type: 'text/html', parameters: { charset: 'utf-8' }, size });

describe('attachmentsOfStructure', () => {
  it('a single text part has no attachment', () => {
    expect(attachmentsOfStructure(text())).toEqual([]);
  });

  it('the text and HTML alternatives are the body, not attachments', () => {
    const root = { type: 'multipart/alternative', childNodes: [text(), html()] };
    expect(attachmentsOfStructure(root)).toEqual([]);
  });

  it('a PDF with Content-Disposition: attachment, its type lower-cased and its encoded size', () => {
    const root: BodyStructureNode = {
      type: 'multipart/mixed',
      childNodes: [
        { type: 'multipart/alternative', childNodes: [text(), html()] },
        {
          type: 'APPLICATION/PDF',
          parameters: { name: 'invoice.pdf' },
          disposition: 'ATTACHMENT',
          dispositionParameters: { filename: 'Invoice-42.pdf' },
          size: 4_812,
        },
      ],
    };
    expect(attachmentsOfStructure(root)).toEqual([
      { filename: 'Invoice-42.pdf', contentType: 'application/pdf', size: 4_812 },
    ]);
  });

  it('the file name falls back to Content-Type name and is decoded (RFC 2047)', () => {
    const root = {
      type: 'multipart/mixed',
      childNodes: [text(), { type: 'image/png', parameters: { name: '=?utf-8?B?w7xiZXIucG5n?=' }, size: 99 }],
    };
    expect(attachmentsOfStructure(root)).toEqual([{ filename: 'über.png', contentType: 'image/png', size: 99 }]);
  });

  it('a non-text part without a name is an attachment; a second text part, inline and unnamed, is not', () => {
    const root = {
      type: 'multipart/mixed',
      childNodes: [text(), text(10), { type: 'application/octet-stream', size: 7 }],
    };
    expect(attachmentsOfStructure(root)).toEqual([
      { filename: null, contentType: 'application/octet-stream', size: 7 },
    ]);
  });

  it('a text part marked as attachment or named is an attachment, even the first', () => {
    const root = {
      type: 'multipart/mixed',
      childNodes: [
        { type: 'text/plain', disposition: 'attachment', dispositionParameters: { filename: 'notes.txt' }, size: 5 },
        text(),
      ],
    };
    expect(attachmentsOfStructure(root)).toEqual([{ filename: 'notes.txt', contentType: 'text/plain', size: 5 }]);
  });

  it('an attached message is one attachment (its inner parts are not looked into)', () => {
    const root = {
      type: 'multipart/mixed',
      childNodes: [
        text(),
        { type: 'message/rfc822', size: 2_000, childNodes: [{ type: 'application/pdf', size: 1_000 }] },
      ],
    };
    expect(attachmentsOfStructure(root)).toEqual([{ filename: null, contentType: 'message/rfc822', size: 2_000 }]);
  });

  it('agrees with the summary of the downloaded message (names and types)', async () => {
    const raw = Buffer.from(
      mailWithAttachments({
        subject: 'two files',
        text: 'See attached.',
        files: [
          { filename: 'a.pdf', type: 'application/pdf', content: Buffer.from('%PDF-1.4 test') },
          { filename: null, type: 'image/png', content: Buffer.from('png') },
        ],
      }),
    );
    const structure = {
      type: 'multipart/mixed',
      childNodes: [
        text(),
        {
          type: 'application/pdf',
          parameters: { name: 'a.pdf' },
          disposition: 'attachment',
          dispositionParameters: { filename: 'a.pdf' },
          size: 20,
        },
        { type: 'image/png', size: 4 },
      ],
    };
    const fromServer = attachmentsOfStructure(structure).map(({ contentType }) => contentType);
    const fromSource = (await factsFromRaw(raw, 64 * 1024)).attachments.map(({ contentType }) => contentType);
    expect(fromSource).toEqual(fromServer);
    expect(attachmentsOfStructure(structure)[0]!.filename).toBe('a.pdf');
  });
});

describe('textPartOf: the part a body condition fetches alone', () => {
  it("a single-part text message: part '1' (IMAP's body of a single-part message)", () => {
    expect(textPartOf(text())).toBe('1');
  });

  it('the text/plain alternative inside mixed, not the HTML one nor a named text attachment', () => {
    const root: BodyStructureNode = {
      type: 'multipart/mixed',
      childNodes: [
        { part: '1', type: 'text/plain', disposition: 'attachment', dispositionParameters: { filename: 'x.txt' } },
        {
          part: '2',
          type: 'multipart/alternative',
          childNodes: [
            { part: '2.1', type: 'text/html' },
            { part: '2.2', type: 'text/plain' },
          ],
        },
      ],
    };
    expect(textPartOf(root)).toBe('2.2');
  });

  it('no text/plain body (HTML only): undefined, the caller downloads the whole body', () => {
    expect(textPartOf(html())).toBeUndefined();
    expect(textPartOf({ type: 'multipart/mixed', childNodes: [{ part: '1', type: 'image/png' }] })).toBeUndefined();
  });
});
