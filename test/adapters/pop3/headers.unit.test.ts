/**
 * Header-only discovery: the envelope and header map of a message from its header block (TOP n 0, parsed by the
 * mail-format module), and the identities of messages (UIDL, and the fallback for servers without UIDL).
 */
import { describe, expect, it } from 'vitest';
import { envelopeOf, parseHeaderBlock } from '../../../adapters/mail-format/index.js';
import { fallbackKeys, uidlKey } from '../../../adapters/pop3/identity.js';

const block = Buffer.from(
  [
    'Message-ID: <abc@example.test>',
    'From: =?UTF-8?Q?J=C3=BCrgen?= <juergen@example.test>',
    'To: "Doe, Jane" <jane@example.test>, bob@example.test',
    'Cc: Team: carol@example.test;',
    'Subject: =?UTF-8?B?R3LDvMOfZQ==?=',
    '  =?UTF-8?B?IGF1cyBCZXJsaW4=?= und mehr',
    'Date: Tue, 01 Jul 2025 10:00:00 +0000 (UTC)',
    'X-Tag: one',
    'x-tag: two',
    'In-Reply-To: <parent@example.test> (comment)',
    'broken line without colon',
    '',
    'body line: not a header',
  ].join('\r\n'),
);

describe('parseHeaderBlock / envelopeOf', () => {
  it('unfolds, lower-cases names, keeps every value in order and decodes RFC 2047 words', () => {
    const headers = parseHeaderBlock(block);
    expect(headers.get('subject')).toEqual(['Grüße aus Berlin und mehr']);
    expect(headers.get('x-tag')).toEqual(['one', 'two']);
    expect(headers.has('body line')).toBe(false);
  });

  it('builds the envelope with decoded names and quoted commas kept inside one address', () => {
    const envelope = envelopeOf(block, parseHeaderBlock(block));
    expect(envelope).toEqual({
      subject: 'Grüße aus Berlin und mehr',
      from: [{ name: 'Jürgen', address: 'juergen@example.test' }],
      to: [
        { name: 'Doe, Jane', address: 'jane@example.test' },
        { name: '', address: 'bob@example.test' },
      ],
      cc: [{ name: '', address: 'carol@example.test' }],
      replyTo: [],
      date: new Date('2025-07-01T10:00:00Z'),
      messageId: '<abc@example.test>',
      inReplyTo: '<parent@example.test>',
    });
  });

  it('copes with a message without headers of interest', () => {
    const envelope = envelopeOf('X-Only: 1\r\n\r\n', parseHeaderBlock('X-Only: 1\r\n\r\n'));
    expect(envelope).toMatchObject({ subject: '', from: [], date: null, messageId: null });
  });
});

describe('message identities', () => {
  it('keys by UIDL', () => {
    expect(uidlKey('000000016b0b7983')).toBe('pop3:000000016b0b7983');
  });

  it('gives servers without UIDL a stable key from Message-ID, Date, From, Subject and size; copies by order', () => {
    const a = { messageId: '<a@x>', date: 'Tue, 1 Jul 2025', from: 'a@x', subject: 'Hi', size: 100 };
    const b = { ...a, messageId: '<b@x>' };
    const [ka, kb, ka2] = fallbackKeys([a, b, a]);
    expect(ka).toMatch(/^pop3-nouidl:[0-9a-f]{32}$/);
    expect(kb).not.toBe(ka);
    expect(ka2).toBe(`${ka}#2`);
    // The same message gets the same key in another cycle, whatever its message number.
    expect(fallbackKeys([b, a])).toEqual([kb, ka]);
  });
});
