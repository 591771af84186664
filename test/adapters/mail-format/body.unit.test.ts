/**
 * The one body parser (IMAP, POP3, MAPI):  text, html and attachments through mailparser's streaming parser, with attachment contents
 * above the byte budget left out (and `truncated` set) while the message is still reported.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseBody } from '../../../adapters/mail-format/index.js';

function multipart(attachments: { name: string; bytes: number }[]): string {
  const parts = [
    'From: a@example.test',
    'To: b@example.test',
    'Subject: with attachments',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: multipart/alternative; boundary="b2"',
    '',
    '--b2',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Gr=C3=BC=C3=9Fe',
    '--b2',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<p>Hello</p>',
    '--b2--',
  ];
  for (const { name, bytes } of attachments) {
    parts.push(
      '--b1',
      `Content-Type: application/octet-stream; name="${name}"`,
      `Content-Disposition: attachment; filename="${name}"`,
      'Content-Transfer-Encoding: base64',
      '',
      ...(Buffer.alloc(bytes, 7)
        .toString('base64')
        .match(/.{1,76}/g) ?? []),
    );
  }
  parts.push('--b1--', '');
  return parts.join('\r\n');
}

const streamOf = (text: string) => Readable.from([Buffer.from(text)]);

describe('parseBody', () => {
  it('parses text, html and attachments within the budget', async () => {
    const body = await parseBody(streamOf(multipart([{ name: 'a.bin', bytes: 300 }])), 1_000);
    expect(body.text?.trim()).toBe('Grüße');
    expect(body.html).toContain('<p>Hello</p>');
    expect(body.truncated).toBe(false);
    expect(body.attachments).toEqual([
      { filename: 'a.bin', contentType: 'application/octet-stream', size: 300, content: Buffer.alloc(300, 7) },
    ]);
  });

  it('leaves out attachment contents above the budget, keeps their size, and sets truncated', async () => {
    const raw = multipart([
      { name: 'small.bin', bytes: 600 },
      { name: 'big.bin', bytes: 5_000 },
      { name: 'after.bin', bytes: 300 },
    ]);
    const body = await parseBody(streamOf(raw), 1_000);
    expect(body.truncated).toBe(true);
    expect(body.attachments.map((a) => [a.filename, a.size, a.content?.length ?? null])).toEqual([
      ['small.bin', 600, 600],
      ['big.bin', 5_000, null],
      // The budget counts what was kept: 600 of 1,000 used, so 300 more still fit.
      ['after.bin', 300, 300],
    ]);
    expect(body.text?.trim()).toBe('Grüße');
  });

  it('cuts text longer than the budget', async () => {
    const raw = `Subject: long\r\nContent-Type: text/plain\r\n\r\n${'x'.repeat(3_000)}\r\n`;
    const body = await parseBody(streamOf(raw), 1_000);
    expect(body.text).toHaveLength(1_000);
    expect(body.html).toBeNull();
    expect(body.truncated).toBe(true);
  });

  it('rejects when the source fails', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('socket gone'));
      },
    });
    await expect(parseBody(failing, 1_000)).rejects.toThrow('socket gone');
  });
});
