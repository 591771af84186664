/**
 * The facts `size`, `attachment` and `body` conditions test, from a whole raw message (`factsFromRaw`, the `test`
 * command's .eml files) and from a parsed body (`matchFactsOf`), cut to the mailbox's `bodyMatchBytes`.
 */
import { describe, expect, it } from 'vitest';
import { cutUtf8, factsFromRaw, matchFactsOf } from '../../../adapters/mail-format/index.js';
import { mailWithAttachments } from '../../support/attachment-mail.js';

function mail(body: string[], contentType = 'text/plain; charset=utf-8'): Buffer {
  return Buffer.from(
    ['From: a@example.test', 'Subject: t', 'MIME-Version: 1.0', `Content-Type: ${contentType}`, '', ...body, ''].join(
      '\r\n',
    ),
  );
}

describe('factsFromRaw', () => {
  it('size is the raw length; the text part is the body text; no attachments', async () => {
    const raw = mail(['Your invoice is overdue.']);
    const facts = await factsFromRaw(raw, 1024);
    expect({ ...facts, bodyText: facts.bodyText.trim() }).toEqual({
      size: raw.length,
      attachments: [],
      bodyText: 'Your invoice is overdue.',
    });
  });

  it('without a text part, the text made of the HTML part', async () => {
    const facts = await factsFromRaw(mail(['<p>Please <b>unsubscribe</b> me</p>'], 'text/html; charset=utf-8'), 1024);
    expect(facts.bodyText).toContain('Please unsubscribe me');
  });

  it('an attachment keeps its name, type and decoded size even when its content exceeds the bound', async () => {
    const content = Buffer.alloc(5_000, 1);
    const raw = Buffer.from(
      mailWithAttachments({
        subject: 'pdf',
        text: 'see attached',
        files: [{ filename: 'Invoice.PDF', type: 'Application/PDF', content }],
      }),
    );
    const facts = await factsFromRaw(raw, 100);
    expect(facts.attachments).toEqual([{ filename: 'Invoice.PDF', contentType: 'application/pdf', size: 5_000 }]);
    expect(facts.bodyText.trim()).toBe('see attached');
  });

  it('the body text is cut to bodyMatchBytes bytes', async () => {
    const facts = await factsFromRaw(mail([`${'a'.repeat(50)}KEYWORD`]), 50);
    expect(facts.bodyText).toBe('a'.repeat(50));
  });
});

describe('matchFactsOf', () => {
  it('cuts a parsed body to the bound and lower-cases attachment types', () => {
    const facts = matchFactsOf(
      {
        text: 'hello world',
        html: null,
        attachments: [{ filename: null, contentType: 'IMAGE/PNG', size: 3, content: null }],
        truncated: false,
      },
      5,
    );
    expect(facts).toEqual({ bodyText: 'hello', attachments: [{ filename: null, contentType: 'image/png', size: 3 }] });
  });
});

describe('cutUtf8: the one cut of the body text, in bytes of UTF-8, never inside a character', () => {
  it.each([
    ['grüße', 3, 'gr'],
    ['grüße', 4, 'grü'],
    ['abc', 3, 'abc'],
    ['a😀b', 4, 'a'],
    ['a😀b', 5, 'a😀'],
    ['', 0, ''],
  ])('%s cut to %i bytes is %s', (text, bytes, cut) => {
    expect(cutUtf8(text, bytes)).toBe(cut);
  });
});
