/**
 * Outgoing headers built from incoming mail (issue 13, point 9): a reply or forward to a message with a 1 MB subject,
 * a header-injecting subject or huge References is composed by nodemailer into lines within RFC 5322's 998 octets,
 * parses back to the shortened subject, and carries no header of the sender's making.
 */

import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import { describe, expect, it } from 'vitest';
import type { DiscoveredMessage } from '../../../adapters/contract.js';
import {
  MAX_REFERENCES,
  MAX_SUBJECT_CHARS,
  outgoingInReplyTo,
  outgoingReferences,
  outgoingSubject,
  singleLine,
} from '../../../adapters/mail-format/index.js';
import { type SmtpMessage, toMailOptions } from '../../../adapters/smtp/message.js';
import { buildForward, buildReply } from '../../../runtime/pipeline/outgoing.js';

function incoming(
  subject: string,
  headers: Record<string, string[]> = {},
  messageId = '<m@example.test>',
): DiscoveredMessage {
  return {
    identity: { mailboxId: 'support', key: 'imap:INBOX:1:1', messageId },
    ref: '1',
    flags: [],
    size: 100,
    envelope: {
      subject,
      from: [{ name: 'Eve\r\nBcc: victim@example.test', address: 'eve@example.test' }],
      to: [],
      cc: [],
      replyTo: [],
      date: null,
      messageId,
      inReplyTo: null,
    },
    headers: new Map(Object.entries(headers)),
  };
}

const sender = { from: 'support@example.test', messageId: '<out@example.test>' };

/** The message as nodemailer writes it to the wire, header block and all. */
function compose(mail: SmtpMessage): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    new MailComposer(toMailOptions(mail))
      .compile()
      .build((error, message) => (error ? reject(error) : resolve(message))),
  );
}

function headerLines(raw: Buffer): string[] {
  const text = raw.toString('latin1');
  return text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');
}

describe('outgoing headers from incoming mail', () => {
  it.each([
    ['ASCII without spaces', 'x'.repeat(1024 * 1024)],
    ['ASCII words', 'word '.repeat(210_000)],
    ['non-ASCII', 'ü'.repeat(1024 * 1024)],
  ])('a 1 MB subject (%s) makes no header line over 998 octets and parses back shortened', async (_, subject) => {
    const reply = buildReply(incoming(subject), 'eve@example.test', { text: 'ok' }, sender);
    const raw = await compose(reply);
    for (const line of headerLines(raw)) expect(Buffer.byteLength(line, 'latin1')).toBeLessThanOrEqual(998);
    expect(raw.length).toBeLessThan(8 * 1024);
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe(outgoingSubject(`Re: ${subject}`));
    // Cut at MAX_SUBJECT_CHARS, less a space trimmed before the ellipsis.
    expect(Array.from(parsed.subject ?? '').length).toBeGreaterThanOrEqual(MAX_SUBJECT_CHARS - 1);
    expect(Array.from(parsed.subject ?? '').length).toBeLessThanOrEqual(MAX_SUBJECT_CHARS);
    expect(parsed.subject?.endsWith('…')).toBe(true);
  });

  it('a subject or display name with CR/LF cannot inject a header (reply and forward)', async () => {
    const message = incoming('Hello\r\nBcc: victim@example.test\r\n\r\nbody?');
    const reply = await compose(buildReply(message, 'eve@example.test', { text: 'ok' }, sender));
    const forward = await compose(
      buildForward(message, Buffer.from('Subject: x\r\n\r\ny'), { to: ['archive@example.test'] }, sender),
    );
    for (const raw of [reply, forward]) {
      expect(headerLines(raw).some((line) => /^bcc:/i.test(line))).toBe(false);
      const parsed = await simpleParser(raw);
      expect(parsed.bcc).toBeUndefined();
      expect(parsed.subject).toMatch(/^(Re|Fwd): Hello Bcc: victim@example\.test body\?$/);
    }
  });

  it('References keeps the first and the latest ids, drops malformed and oversized ones, stays within 998 octets', async () => {
    const ids = Array.from({ length: 500 }, (_, i) => `<id${i}@example.test>`);
    const message = incoming('Hi', {
      references: [`${ids.join(' ')} <${'z'.repeat(2000)}@example.test> <a@x>\r\nBcc: victim@example.test`],
    });
    const reply = buildReply(message, 'eve@example.test', { text: 'ok' }, sender);
    const refs = reply.references as string;
    expect(refs.split(' ').length).toBeLessThanOrEqual(MAX_REFERENCES);
    expect(refs).not.toContain('zzz');
    expect(refs.startsWith('<id0@example.test> ')).toBe(true);
    expect(refs.endsWith('<a@x> <m@example.test>')).toBe(true);
    const raw = await compose(reply);
    for (const line of headerLines(raw)) expect(Buffer.byteLength(line, 'latin1')).toBeLessThanOrEqual(998);
    expect(headerLines(raw).some((line) => /^bcc:/i.test(line))).toBe(false);
    expect((await simpleParser(raw)).inReplyTo).toBe('<m@example.test>');
  });

  it('a handler-supplied message is made safe in toMailOptions too', async () => {
    const raw = await compose({
      from: 'support@example.test',
      to: 'a@example.test',
      subject: `s\r\nBcc: victim@example.test`,
      headers: { 'X-Note': 'a\r\nBcc: victim@example.test', 'Bad Name': 'x' },
      inReplyTo: '<p@example.test>\r\nBcc: victim@example.test',
      references: ['<p@example.test>', 'junk\r\nBcc: victim@example.test'],
      text: 'x',
    });
    const lines = headerLines(raw);
    expect(lines.some((line) => /^bcc:/i.test(line))).toBe(false);
    expect(lines).toContain('X-Note: a Bcc: victim@example.test');
    expect(lines.some((line) => line.startsWith('Bad Name'))).toBe(false);
    expect(lines).toContain('In-Reply-To: <p@example.test>');
    expect(lines).toContain('References: <p@example.test>');
  });

  it('the rules themselves', () => {
    expect(singleLine(' a\r\n\tb\u0000c\u2028d ')).toBe('a b c d');
    expect(outgoingSubject('short')).toBe('short');
    expect(Array.from(outgoingSubject('😀'.repeat(300)))).toHaveLength(MAX_SUBJECT_CHARS);
    expect(outgoingInReplyTo('junk')).toBeUndefined();
    expect(outgoingReferences([])).toBeUndefined();
  });
});
