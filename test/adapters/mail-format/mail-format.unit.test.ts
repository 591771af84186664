/**
 * The mail-format module against one corpus: header bytes, RFC 2047 words, header blocks, addresses, Message-IDs,
 * dates and envelopes, the same for every adapter (issue 14, point 1), with regression tests for the bugs of the
 * three former copies.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeEncodedWords,
  envelopeOf,
  formatAddress,
  headerFields,
  LazyHeaders,
  normalizeMessageId,
  parseAddresses,
  parseBody,
  parseHeaderBlock,
  parseHeaderDate,
} from '../../../adapters/mail-format/index.js';
import { HEADER_CASES, MALFORMED_MAIL } from './corpus.js';

describe('decodeEncodedWords (RFC 2047, via libmime)', () => {
  it.each([
    ['plain text', 'plain text'],
    ['=?UTF-8?B?R3LDvMOfZQ==?=', 'Grüße'],
    ['=?utf-8?q?Gr=C3=BC=C3=9Fe_aus?= Berlin', 'Grüße aus Berlin'],
    ['=?ISO-8859-1?Q?Caf=E9?=', 'Café'],
    // iso-8859-1 is read as Windows-1252, as mail clients write it.
    ['=?ISO-8859-1?Q?=80uro?=', '€uro'],
    ['=?windows-1252?Q?=80_5?=', '€ 5'],
    ['=?UTF-8*de?Q?=C3=A4?=', 'ä'],
    // White space between adjacent encoded words is dropped (§6.2); text between them is kept.
    ['=?UTF-8?Q?a?= =?UTF-8?Q?b?=', 'ab'],
    ['=?UTF-8?Q?a?= and =?UTF-8?Q?b?=', 'a and b'],
    ['Re: =?UTF-8?B?w6Q=?= (1)', 'Re: ä (1)'],
    ['=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=', '日本語'],
    ['=?UTF-8?Q?not closed', '=?UTF-8?Q?not closed'],
  ])('%s', (input, expected) => {
    expect(decodeEncodedWords(input)).toBe(expected);
  });

  it.each([
    ['B, split inside €', '=?UTF-8?B?4oI=?= =?UTF-8?B?rA==?=', '€'],
    ['Q, split inside €', '=?UTF-8?Q?=E2=82?= =?UTF-8?Q?=AC?=', '€'],
    ['B, split inside an emoji, folded', '=?UTF-8?B?8J+Y?=\r\n =?UTF-8?B?gA==?=', '😀'],
  ])(
    'regression (MAPI decoded each word alone): a character split across two words decodes whole — %s',
    (_, input, expected) => {
      expect(decodeEncodedWords(input)).toBe(expected);
    },
  );

  it('decodes a word of an unknown charset by the header rule: UTF-8 if valid, else Windows-1252', () => {
    expect(decodeEncodedWords('=?x-unknown?B?SGk=?= there')).toBe('Hi there');
    expect(decodeEncodedWords('=?x-unknown?Q?Gr=C3=BC=C3=9Fe?=')).toBe('Grüße');
    expect(decodeEncodedWords('=?x-unknown-charset?Q?caf=E9?=')).toBe('café');
  });
});

describe('parseHeaderBlock', () => {
  it.each(HEADER_CASES)('%s', (_, raw, field, expected) => {
    expect(parseHeaderBlock(raw).get(field)).toEqual([expected]);
  });

  it('regression (IMAP fell back to Latin-1, POP3 read U+FFFD): 8-bit header bytes read the same for every adapter', () => {
    const raw = Buffer.concat([Buffer.from('Subject: Gr'), Buffer.from([0xfc, 0xdf, 0x65]), Buffer.from('\r\n\r\n')]);
    expect(parseHeaderBlock(raw).get('subject')).toEqual(['Grüße']);
    // The same text as a string (MAPI's transport headers) and as UTF-8 bytes gives the same value.
    expect(parseHeaderBlock('Subject: Grüße\r\n\r\n').get('subject')).toEqual(['Grüße']);
    expect(parseHeaderBlock(Buffer.from('Subject: Grüße\r\n\r\n')).get('subject')).toEqual(['Grüße']);
  });

  it('lower-cases names, keeps every value in order, skips non-fields, stops at the empty line', () => {
    const block = [
      'Received: from a.example.test',
      '\tby b.example.test',
      'Received: from c.example.test',
      'X-Empty:',
      'not a header line',
      ' continuation of the non-header',
      'Bad Name: x',
      'Content-Type: text/plain',
      '',
      'Body: not a header',
    ].join('\r\n');
    const headers = parseHeaderBlock(Buffer.from(block));
    expect(headers.get('received')).toEqual(['from a.example.test by b.example.test', 'from c.example.test']);
    expect(headers.get('x-empty')).toEqual(['']);
    expect([...headers.keys()]).toEqual(['received', 'x-empty', 'content-type']);
  });

  it('keeps names as written in headerFields (a rebuilt MAPI message writes them back)', () => {
    expect(headerFields('List-Id: <a>\r\nSubject: Hi\r\n there\r\n')).toEqual([
      { name: 'List-Id', value: '<a>' },
      { name: 'Subject', value: 'Hi there' },
    ]);
  });

  it('LazyHeaders behaves as the parsed map and parses only on use', () => {
    const raw = Buffer.from('Subject: a\r\nX-Tag: 1\r\nX-Tag: 2\r\n\r\n');
    const lazy = new LazyHeaders(raw);
    expect(lazy.get('x-tag')).toEqual(['1', '2']);
    expect(lazy.size).toBe(2);
    expect(new Map(lazy)).toEqual(parseHeaderBlock(raw));
    expect(new LazyHeaders(undefined).size).toBe(0);
  });
});

describe('addresses', () => {
  it('parses with addressparser, decoding names after the split (an encoded comma stays in the name)', () => {
    expect(
      parseAddresses([
        '=?UTF-8?Q?Doe=2C_J=C3=BCrgen?= <j@example.test>, "Roe, Jane" <jane@example.test>',
        'Team: carol@example.test;, Undisclosed recipients:;',
      ]),
    ).toEqual([
      { name: 'Doe, Jürgen', address: 'j@example.test' },
      { name: 'Roe, Jane', address: 'jane@example.test' },
      { name: '', address: 'carol@example.test' },
    ]);
  });

  it('formats one way: quoted, escaped, one line', () => {
    expect(formatAddress({ name: 'Ada "the" Lovelace', address: 'ada@example.test' })).toBe(
      '"Ada \\"the\\" Lovelace" <ada@example.test>',
    );
    expect(formatAddress({ name: '', address: 'ada@example.test' })).toBe('ada@example.test');
    expect(formatAddress({ name: 'Nobody', address: '' })).toBe('');
    expect(formatAddress({ name: 'Ada\r\nBcc: x@example.test', address: 'a@example.test' })).toBe(
      '"Ada Bcc: x@example.test" <a@example.test>',
    );
    // What formatAddress writes, addressparser reads back.
    const written = formatAddress({ name: 'Roe, "J" \\ Jane', address: 'jane@example.test' });
    expect(parseAddresses(written)).toEqual([{ name: 'Roe, "J" \\ Jane', address: 'jane@example.test' }]);
  });
});

describe('normalizeMessageId (one rule for IMAP, POP3, MAPI, SMTP)', () => {
  it.each([
    ['<a@example.test>', '<a@example.test>'],
    ['  <a@example.test> (comment)', '<a@example.test>'],
    ['a@example.test', '<a@example.test>'],
    ['junk <a@example.test>', '<a@example.test>'],
    ['<a@example.test', '<a@example.test>'],
    ['', null],
    ['   ', null],
    [undefined, null],
  ])('%s', (input, expected) => {
    expect(normalizeMessageId(input)).toBe(expected);
  });
});

describe('parseHeaderDate', () => {
  it('reads RFC 5322 dates with a trailing comment, null for nonsense', () => {
    expect(parseHeaderDate('Tue, 01 Jul 2025 10:00:00 +0000 (UTC)')).toEqual(new Date('2025-07-01T10:00:00Z'));
    expect(parseHeaderDate('soon')).toBeNull();
    expect(parseHeaderDate(undefined)).toBeNull();
  });
});

describe('the malformed-mail corpus', () => {
  it.each(MALFORMED_MAIL)('%s: headers, envelope and body parse without throwing', async (name, raw) => {
    const headers = parseHeaderBlock(raw);
    const envelope = envelopeOf(raw, headers);
    const body = await parseBody(raw, 1024 * 1024);
    expect(typeof envelope.subject).toBe('string');
    expect(body.attachments.every((a) => a.size >= 0)).toBe(true);
    if (name.startsWith('8-bit')) expect(envelope.subject).toBe('Grüße');
    if (name.startsWith('no Message-ID')) expect(envelope.messageId).toBeNull();
    if (name.startsWith('a 200 KB')) expect(headers.size).toBe(5_003);
    if (name.startsWith('bad encoded words')) {
      expect(envelope.from).toEqual([{ name: expect.any(String), address: 'b@example.test' }]);
      expect(envelope.subject).toContain('café');
    }
  });
});
