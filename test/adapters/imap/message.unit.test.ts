/**
 * Identity of an IMAP message (issue 3: UIDVALIDITY + UID, plus Message-ID) and the DiscoveredMessage built from one
 * FETCH row.
 */
import { describe, expect, it } from 'vitest';
import {
  imapMessageKey,
  parseImapMessageKey,
  toDiscoveredMessage,
  toSequenceSet,
} from '../../../adapters/imap/message.js';

describe('message key', () => {
  it('is imap:<folder>:<uidvalidity>:<uid> and reads back, also for folders with colons', () => {
    expect(imapMessageKey('INBOX', 1700000000n, 42)).toBe('imap:INBOX:1700000000:42');
    expect(parseImapMessageKey('imap:INBOX:1700000000:42')).toEqual({
      folder: 'INBOX',
      uidValidity: '1700000000',
      uid: 42,
    });
    expect(parseImapMessageKey(imapMessageKey('Archiv:2025', 7n, 1))).toEqual({
      folder: 'Archiv:2025',
      uidValidity: '7',
      uid: 1,
    });
    expect(parseImapMessageKey('pop3:abc')).toBeUndefined();
  });

  it('differs when only UIDVALIDITY differs (a renumbered folder gives new keys)', () => {
    expect(imapMessageKey('INBOX', 1n, 5)).not.toBe(imapMessageKey('INBOX', 2n, 5));
  });
});

describe('toSequenceSet', () => {
  it.each([
    [[], ''],
    [[5], '5'],
    [[3, 1, 2], '1:3'],
    [[9, 1, 2, 3, 7, 10, 2], '1:3,7,9:10'],
  ])('%j → %s', (uids, expected) => {
    expect(toSequenceSet(uids)).toBe(expected);
  });

  it('keeps 10,000 consecutive UIDs one range', () => {
    expect(toSequenceSet(Array.from({ length: 10_000 }, (_, i) => i + 1))).toBe('1:10000');
  });
});

describe('toDiscoveredMessage', () => {
  const where = { mailboxId: 'support', folder: 'INBOX', uidValidity: 1700000000n };
  const headers = Buffer.from(
    'Message-ID: <m1@example.test>\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\nList-Id: <l.example.test>\r\n\r\n',
  );

  it('takes identity, ref, flags, size and envelope from the row, headers parsed', () => {
    const message = toDiscoveredMessage(
      {
        uid: 42,
        flags: new Set(['\\Seen', '$Label1']),
        size: 1234,
        headers,
        envelope: {
          subject: 'Grüße',
          messageId: '<m1@example.test>',
          inReplyTo: '<m0@example.test>',
          date: new Date('2025-07-01T10:00:00Z'),
          from: [{ name: 'Ada', address: 'ada@example.test' }],
          to: [{ address: 'support@example.test' }],
          replyTo: [{ name: 'Ada', address: 'ada@example.test' }],
        },
      },
      where,
    );
    expect(message.identity).toEqual({
      mailboxId: 'support',
      key: 'imap:INBOX:1700000000:42',
      messageId: '<m1@example.test>',
    });
    expect(message.ref).toBe('42');
    expect(message.flags).toEqual(['\\Seen', '$Label1']);
    expect(message.size).toBe(1234);
    expect(message.envelope).toEqual({
      subject: 'Grüße',
      from: [{ name: 'Ada', address: 'ada@example.test' }],
      to: [{ name: '', address: 'support@example.test' }],
      cc: [],
      replyTo: [{ name: 'Ada', address: 'ada@example.test' }],
      date: new Date('2025-07-01T10:00:00Z'),
      messageId: '<m1@example.test>',
      inReplyTo: '<m0@example.test>',
    });
    expect(message.headers.get('list-id')).toEqual(['<l.example.test>']);
  });

  it('falls back to the headers where the envelope lacks a field, and to null where neither has it', () => {
    const message = toDiscoveredMessage({ uid: 1, headers }, where);
    expect(message.identity.messageId).toBe('<m1@example.test>');
    expect(message.envelope.subject).toBe('Grüße');
    expect(message.envelope.date).toBeNull();
    expect(message.envelope.inReplyTo).toBeNull();
    expect(toDiscoveredMessage({ uid: 2 }, where).identity.messageId).toBeNull();
  });
});
