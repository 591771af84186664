/**
 * The test corpus of the mail-format module: raw messages as they come from servers, the malformed ones included.
 */

const CRLF = '\r\n';
const lines = (...parts: string[]) => parts.join(CRLF);

/**
 * Malformed mail (issue 4, item 7): broken MIME, bad encodings, 8-bit headers, no Message-ID, huge headers,
 * truncated messages, NUL bytes. Each entry: a name for the failure message, and the raw bytes. Run against the
 * mail-format module (mail-format.unit.test.ts) and through the whole service (test/runtime/malformed-mail.int.test.ts).
 */
export const MALFORMED_MAIL: readonly [string, Buffer][] = [
  [
    'broken MIME (no closing boundary, part without headers)',
    Buffer.from(
      lines(
        'From: a@example.test',
        'Subject: broken mime',
        'Message-ID: <broken-mime@example.test>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="XYZ"',
        '',
        '--XYZ',
        'Content-Type: text/plain',
        '',
        'first part',
        '--XYZ',
        'garbage without a blank line',
        '',
      ),
    ),
  ],
  [
    'bad encoded words and an unknown charset',
    Buffer.from(
      lines(
        'From: =?utf-8?B?!!!not-base64!!!?= <b@example.test>',
        'Subject: =?x-unknown-charset?Q?caf=E9?= =?utf-8?B?w6k?',
        'Message-ID: <bad-encoding@example.test>',
        'Content-Type: text/plain; charset=x-made-up',
        'Content-Transfer-Encoding: base64',
        '',
        '@@@ this is not base64 @@@',
        '',
      ),
    ),
  ],
  [
    '8-bit header bytes (Latin-1, not encoded)',
    Buffer.concat([
      Buffer.from(`From: c@example.test${CRLF}Subject: Gr`),
      Buffer.from([0xfc, 0xdf, 0x65]),
      Buffer.from(`${CRLF}Message-ID: <eight-bit@example.test>${CRLF}${CRLF}body${CRLF}`),
    ]),
  ],
  ['no Message-ID at all', Buffer.from(lines('From: d@example.test', 'Subject: no id', '', 'body', ''))],
  [
    'a 200 KB header and 5,000 header lines',
    Buffer.from(
      lines(
        'From: e@example.test',
        `Subject: huge ${'x'.repeat(200_000)}`,
        'Message-ID: <huge-headers@example.test>',
        ...Array.from({ length: 5_000 }, (_, i) => `X-Filler-${i}: ${i}`),
        '',
        'body',
        '',
      ),
    ),
  ],
  [
    'truncated in the middle of a base64 attachment',
    Buffer.from(
      lines(
        'From: f@example.test',
        'Subject: truncated',
        'Message-ID: <truncated@example.test>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="B"',
        '',
        '--B',
        'Content-Type: application/pdf; name="x.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        'JVBERi0xLjQKJcfs',
      ),
    ),
  ],
  ['no header block, only text', Buffer.from('just some text without any headers\r\n')],
  [
    'NUL bytes in a header and the body',
    Buffer.from(
      `From: g@example.test\r\nSubject: nul\u0000byte\r\nMessage-ID: <nul@example.test>\r\n\r\nbo\u0000dy\r\n`,
    ),
  ],
];

/**
 * Header cases with the values every adapter must read from them: `[name, raw header block, field, expected]`.
 */
export const HEADER_CASES: readonly [string, Buffer, string, string][] = [
  ['raw UTF-8 (RFC 6532)', Buffer.from('Subject: Grüße\r\n\r\n', 'utf8'), 'subject', 'Grüße'],
  ['raw Latin-1 bytes', Buffer.from('Subject: Caf\xe9\r\n\r\n', 'latin1'), 'subject', 'Café'],
  ['raw Windows-1252 bytes (0x80 is €)', Buffer.from('Subject: \x80 5\r\n\r\n', 'latin1'), 'subject', '€ 5'],
  [
    'folded encoded words',
    Buffer.from('Subject: =?UTF-8?Q?Unzustellbar:_Bestellung?=\r\n =?UTF-8?Q?_Nr._42?=\r\n\r\n'),
    'subject',
    'Unzustellbar: Bestellung Nr. 42',
  ],
  ['a folded field', Buffer.from('Received: from a\r\n\tby b\r\n\r\n'), 'received', 'from a by b'],
  ['NUL byte kept as text', Buffer.from('Subject: nul\u0000byte\r\n\r\n'), 'subject', 'nul\u0000byte'],
];
