/**
 * The header block parser behind header-only rules (S13): unfolding, lower-cased names, all values in order,
 * RFC 2047 decoding.
 */
import { describe, expect, it } from 'vitest';
import { decodeEncodedWords, LazyHeaders, parseHeaderBlock } from '../../../adapters/imap/headers.js';

describe('decodeEncodedWords (RFC 2047)', () => {
  it.each([
    ['plain text', 'plain text'],
    ['=?UTF-8?B?R3LDvMOfZQ==?=', 'Grüße'],
    ['=?utf-8?q?Gr=C3=BC=C3=9Fe_aus?= Berlin', 'Grüße aus Berlin'],
    ['=?ISO-8859-1?Q?Caf=E9?=', 'Café'],
    ['=?windows-1252?Q?=80_5?=', '€ 5'],
    ['=?UTF-8*de?Q?=C3=A4?=', 'ä'],
    // White space between adjacent encoded words is dropped (§6.2); text between them is kept.
    ['=?UTF-8?Q?a?= =?UTF-8?Q?b?=', 'ab'],
    ['=?UTF-8?Q?a?= and =?UTF-8?Q?b?=', 'a and b'],
    ['Re: =?UTF-8?B?w6Q=?= (1)', 'Re: ä (1)'],
    // A character split across two words of one charset survives.
    ['=?UTF-8?B?4oI=?= =?UTF-8?B?rA==?=', '€'],
    ['=?UTF-8?Q?=E2=82?==?UTF-8?Q?=AC?=', '€'],
    // Unknown charsets are left as they are rather than guessed.
    ['=?x-unknown-charset?Q?abc?=', '=?x-unknown-charset?Q?abc?='],
    ['=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=', '日本語'],
  ])('%s', (input, expected) => {
    expect(decodeEncodedWords(input)).toBe(expected);
  });
});

describe('parseHeaderBlock', () => {
  const block = [
    'Received: from a.example.test',
    '\tby b.example.test; Tue, 1 Jul 2025 10:00:00 +0000',
    'Received: from c.example.test',
    'Subject: =?UTF-8?Q?Unzustellbar:_Bestellung?=',
    ' =?UTF-8?Q?_Nr._42?=',
    'X-Empty:',
    'List-ID: <news.example.test>',
    'not a header line',
    'Content-Type: text/plain',
    '',
    'Body: not a header',
    '',
  ].join('\r\n');

  it('unfolds, lower-cases names, keeps every value in order, decodes, stops at the empty line', () => {
    const headers = parseHeaderBlock(Buffer.from(block));
    expect(headers.get('received')).toEqual([
      'from a.example.test\tby b.example.test; Tue, 1 Jul 2025 10:00:00 +0000',
      'from c.example.test',
    ]);
    expect(headers.get('subject')).toEqual(['Unzustellbar: Bestellung Nr. 42']);
    expect(headers.get('x-empty')).toEqual(['']);
    expect(headers.get('list-id')).toEqual(['<news.example.test>']);
    expect(headers.has('body')).toBe(false);
    expect([...headers.keys()]).toEqual(['received', 'subject', 'x-empty', 'list-id', 'content-type']);
  });

  it('reads raw UTF-8 headers (RFC 6532), and Latin-1 bytes without losing them', () => {
    expect(parseHeaderBlock(Buffer.from('Subject: Grüße\n\n', 'utf8')).get('subject')).toEqual(['Grüße']);
    expect(parseHeaderBlock(Buffer.from('Subject: Caf\xe9\r\n\r\n', 'latin1')).get('subject')).toEqual(['Café']);
  });
});

describe('LazyHeaders', () => {
  it('behaves as the parsed map (get, has, size, iteration)', () => {
    const raw = Buffer.from('Subject: a\r\nX-Tag: 1\r\nX-Tag: 2\r\n\r\n');
    const lazy = new LazyHeaders(raw);
    const parsed = parseHeaderBlock(raw);
    expect(lazy.get('x-tag')).toEqual(['1', '2']);
    expect(lazy.has('subject')).toBe(true);
    expect(lazy.size).toBe(2);
    expect([...lazy]).toEqual([...parsed]);
    expect(new Map(lazy)).toEqual(parsed);
    expect(new LazyHeaders(undefined).size).toBe(0);
  });
});
