/**
 * Conditions beyond headers (issue 15 point 6): `size`, `attachment`, `body` — parsed with errors that name the
 * rule and field, evaluated by the one matcher, pushed into IMAP SEARCH where exact (size), and fetched lazily:
 * `needsFacts` says yes only when a rule is still undecided without the body (three-valued logic).
 */
import { describe, expect, it } from 'vitest';
import { attachmentsOfStructure } from '../../../adapters/mail-format/bodystructure.js';
import { parseByteSize } from '../../../runtime/config/byte-size.js';
import { describeCondition } from '../../../runtime/rules/explain.js';
import { compileCondition, globRegex, RuleMatcher } from '../../../runtime/rules/matcher.js';
import { parseMatch, parseRules } from '../../../runtime/rules/parse-rules.js';
import { compileSearchFilter } from '../../../runtime/rules/search-pushdown.js';
import { type TestMessageInit, testMessage } from './message.js';

const PDF = { filename: 'Invoice-42.PDF', contentType: 'application/pdf', size: 48_213 };
const PNG = { filename: null, contentType: 'image/png', size: 900 };

function matches(condition: unknown, init: TestMessageInit): boolean {
  return compileCondition(parseMatch(condition, 'support', 'test'))(testMessage(init));
}

describe('parseByteSize: binary units', () => {
  it.each([
    ['500', 500],
    ['500B', 500],
    ['100KB', 102_400],
    ['100 kb', 102_400],
    ['5MB', 5 * 1024 * 1024],
    ['5MiB', 5 * 1024 * 1024],
    ['1.5GB', Math.round(1.5 * 1024 ** 3)],
    [2048, 2048],
  ])('%j is %d bytes', (text, bytes) => expect(parseByteSize(text)).toBe(bytes));
  it.each(['', 'big', '5 TB', '-1', '5MBs', null])('%j is not a size', (text) => {
    expect(parseByteSize(text)).toBeUndefined();
  });
});

describe('size: { over | under } (RFC822.SIZE, POP3 LIST, MAPI size)', () => {
  it.each([
    [{ over: '5MB' }, 6 * 1024 * 1024, true],
    [{ over: '5MB' }, 5 * 1024 * 1024, false],
    [{ under: '100KB' }, 1000, true],
    [{ under: '100KB' }, 102_400, false],
    [{ over: '1KB', under: '2KB' }, 1500, true],
    [{ over: '1KB', under: '2KB' }, 2500, false],
  ])('%j on %d bytes is %s', (size, bytes, expected) => {
    expect(matches({ size }, { size: bytes })).toBe(expected);
  });

  it.each([
    [{ size: 5 }, /rule "test", size: must be \{ over: 5MB \}/],
    [{ size: {} }, /size: needs over or under/],
    [{ size: { over: 'huge' } }, /size\.over: must be a size like 500KB/],
    [{ size: { bigger: '1MB' } }, /size: unknown key "bigger"/],
    [{ size: { over: '2MB', under: '1MB' } }, /over \(2097152 bytes\) must be below under/],
  ])('refuses %j naming the mailbox, rule and field', (condition, message) => {
    expect(() => parseMatch(condition, 'support', 'test')).toThrow(message);
    expect(() => parseMatch(condition, 'support', 'test')).toThrow(/support/);
  });

  it('is pushed into the IMAP SEARCH as LARGER/SMALLER (exact)', () => {
    const rules = parseRules([{ name: 'big', size: { over: '5MB' }, actions: ['markRead'] }], 'support');
    expect(compileSearchFilter(rules)).toEqual({ op: 'size', larger: 5 * 1024 * 1024 });
  });
});

describe('attachment: true | { name } | { type }', () => {
  it.each([
    [true, [PDF], true],
    [true, [], false],
    [{ name: '*.pdf' }, [PDF], true],
    [{ name: '*.pdf' }, [PNG], false],
    [{ name: 'invoice-??.pdf' }, [PDF], true],
    [{ type: 'application/pdf' }, [PNG, PDF], true],
    [{ type: 'image/*' }, [PNG], true],
    [{ type: 'image/*' }, [PDF], false],
    [{ name: '*.pdf', type: 'image/*' }, [PDF, PNG], false],
  ])('%j on %j is %s', (attachment, attachments, expected) => {
    expect(matches({ attachment }, { attachments })).toBe(expected);
  });

  it('a glob matches the whole name, case-insensitively, with regex characters taken literally', () => {
    expect(globRegex('*.pdf').test('a.PDF')).toBe(true);
    expect(globRegex('*.pdf').test('a.pdf.exe')).toBe(false);
    expect(globRegex('a+b(1).txt').test('a+b(1).txt')).toBe(true);
    expect(globRegex('a+b(1).txt').test('aab1.txt')).toBe(false);
  });

  it.each([
    [{ attachment: false }, /attachment: must be true/],
    [{ attachment: { name: '' } }, /attachment\.name: must be a file name/],
    [{ attachment: { type: 'pdf' } }, /attachment\.type: must be a MIME type/],
    [{ attachment: { size: 1 } }, /attachment: unknown key "size"/],
  ])('refuses %j', (condition, message) => {
    expect(() => parseMatch(condition, 'support', 'test')).toThrow(message);
  });

  it('is not pushed down (the server cannot answer it exactly)', () => {
    const rules = parseRules([{ name: 'pdf', attachment: true, actions: ['markRead'] }], 'support');
    expect(compileSearchFilter(rules)).toEqual({ op: 'all' });
  });
});

describe('body: { contains | regex } on the text part', () => {
  it.each([
    [{ contains: 'unsubscribe' }, 'Click to UNSUBSCRIBE here', true],
    [{ contains: 'unsubscribe' }, 'Hello', false],
    [{ regex: 'order #\\d+' }, 'Your Order #123 shipped', true],
  ])('%j on %j is %s', (body, text, expected) => {
    expect(matches({ body }, { bodyText: text })).toBe(expected);
  });

  it('does not hold for a message whose body was not fetched', () => {
    expect(matches({ body: { contains: 'x' } }, {})).toBe(false);
  });

  it.each([
    [{ body: 'text' }, /body: must be \{ contains: "…" \} or \{ regex: "…" \}/],
    [{ body: { regex: '[' } }, /body\.regex: invalid regular expression/],
  ])('refuses %j', (condition, message) => {
    expect(() => parseMatch(condition, 'support', 'test')).toThrow(message);
  });

  it('describes each new condition for the trace', () => {
    expect(describeCondition(parseMatch({ size: { over: '1KB' } }, 's', 't'))).toBe('size over 1024 bytes');
    expect(describeCondition(parseMatch({ attachment: { name: '*.pdf' } }, 's', 't'))).toBe(
      'has an attachment named "*.pdf"',
    );
    expect(describeCondition(parseMatch({ body: { contains: 'x' } }, 's', 't'))).toMatch(/^body contains/);
  });
});

describe('needsFacts: the body is fetched only when the other conditions leave a rule undecided', () => {
  const matcher = (rules: unknown[]) => new RuleMatcher(parseRules(rules, 'support'));
  const invoices = {
    name: 'invoices',
    subject: { startsWith: 'Invoice' },
    body: { contains: 'overdue' },
    actions: ['markRead'],
  };

  it('no fetch when an allOf part already fails', () => {
    expect(matcher([invoices]).needsFacts(testMessage({ subject: 'Hello' }))).toBe(false);
  });

  it('a fetch when the other parts hold', () => {
    expect(matcher([invoices]).needsFacts(testMessage({ subject: 'Invoice 42' }))).toBe(true);
  });

  it('no fetch once the facts are there', () => {
    expect(
      matcher([invoices]).needsFacts(testMessage({ subject: 'Invoice 42', bodyText: 'overdue', attachments: [] })),
    ).toBe(false);
  });

  it('no fetch when an anyOf part already holds', () => {
    const rules = [{ name: 'r', anyOf: [{ subject: 'Hi' }, { attachment: true }], actions: ['markRead'] }];
    expect(matcher(rules).needsFacts(testMessage({ subject: 'Hi' }))).toBe(false);
    expect(matcher(rules).needsFacts(testMessage({ subject: 'Other' }))).toBe(true);
  });

  it('no fetch when an earlier matching rule stops the search', () => {
    const rules = [{ name: 'first', subject: { startsWith: 'Invoice' }, stop: true, actions: ['markRead'] }, invoices];
    expect(matcher(rules).needsFacts(testMessage({ subject: 'Invoice 42' }))).toBe(false);
  });

  it('no fetch for rules without attachment or body conditions', () => {
    expect(matcher([{ name: 'r', subject: 'x', actions: ['markRead'] }]).usesFetchedFacts).toBe(false);
  });

  it('attachments known from BODYSTRUCTURE need no fetch', () => {
    const rules = [{ name: 'pdf', attachment: { type: 'application/pdf' }, actions: ['markRead'] }];
    expect(matcher(rules).needsFacts(testMessage({ attachments: [PDF] }))).toBe(false);
    expect(matcher(rules).needsFacts(testMessage({}))).toBe(true);
  });
});

describe('attachmentsOfStructure (IMAP BODYSTRUCTURE)', () => {
  it('counts parts that are not the text or HTML body; does not look into an attached message', () => {
    const summary = attachmentsOfStructure({
      type: 'multipart/mixed',
      childNodes: [
        {
          type: 'multipart/alternative',
          childNodes: [
            { type: 'text/plain', size: 100 },
            { type: 'text/html', size: 300 },
          ],
        },
        { type: 'APPLICATION/PDF', disposition: 'attachment', dispositionParameters: { filename: 'a.pdf' }, size: 900 },
        { type: 'text/plain', disposition: 'attachment', dispositionParameters: { filename: 'notes.txt' }, size: 40 },
        { type: 'image/png', parameters: { name: '=?UTF-8?Q?Bild_=C3=BC.png?=' }, size: 70 },
        { type: 'message/rfc822', size: 5000, childNodes: [{ type: 'application/zip', size: 10 }] },
      ],
    });
    expect(summary).toEqual([
      { filename: 'a.pdf', contentType: 'application/pdf', size: 900 },
      { filename: 'notes.txt', contentType: 'text/plain', size: 40 },
      { filename: 'Bild ü.png', contentType: 'image/png', size: 70 },
      { filename: null, contentType: 'message/rfc822', size: 5000 },
    ]);
  });

  it('a plain text message has none', () => {
    expect(attachmentsOfStructure({ type: 'text/plain', size: 10 })).toEqual([]);
  });
});
