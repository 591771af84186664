import { describe, expect, it } from 'vitest';
import { Journal } from '../../../runtime/journal/journal.js';
import { MemoryJournalStore } from '../../../runtime/journal/memory-store.js';
import {
  autoHeaders,
  replyHeaders,
  replyRecipient,
  replySubject,
  shouldAutoRespond,
} from '../../../runtime/rules/loop-protection.js';
import { AutoReplyLimiter } from '../../../runtime/rules/reply-limiter.js';
import { messageEvents } from '../journal/builders.js';
import { type TestMessageInit, testMessage } from './message.js';

const own = { ownAddresses: ['support@example.test'] };
const reply = (init: TestMessageInit) => shouldAutoRespond(testMessage(init), own);

describe('shouldAutoRespond: replies (RFC 3834)', () => {
  it('answers a person writing to us, at Reply-To before From', () => {
    expect(reply({})).toEqual({ ok: true, recipients: ['ada@example.test'] });
    expect(reply({ replyTo: 'Ada <Ada.Private@example.test>' })).toEqual({
      ok: true,
      recipients: ['ada.private@example.test'],
    });
    expect(reply({ headers: { 'Auto-Submitted': 'no' } }).ok).toBe(true);
  });

  it.each([
    [{ 'Auto-Submitted': 'auto-replied' }, 'AUTO_SUBMITTED'],
    [{ 'Auto-Submitted': 'Auto-Generated; owner-email="x@example.test"' }, 'AUTO_SUBMITTED'],
    [{ 'Auto-Submitted': ['no', 'auto-notified'] }, 'AUTO_SUBMITTED'],
    [{ 'X-Autoreply': 'yes' }, 'AUTO_REPLY'],
    [{ 'X-Autorespond': 'Out of office' }, 'AUTO_REPLY'],
    [{ 'Content-Type': 'multipart/report; report-type=delivery-status; boundary=x' }, 'REPORT'],
    [{ 'List-Id': '<news.example.test>' }, 'LIST_MAIL'],
    [{ 'List-Unsubscribe': '<mailto:unsub@example.test>' }, 'LIST_MAIL'],
    [{ 'List-Post': '<mailto:list@example.test>' }, 'LIST_MAIL'],
    [{ Precedence: 'bulk' }, 'BULK_MAIL'],
    [{ Precedence: ' Junk ' }, 'BULK_MAIL'],
    [{ Precedence: 'list' }, 'BULK_MAIL'],
    [{ 'X-Auto-Response-Suppress': 'DR, OOF' }, 'RESPONSE_SUPPRESSED'],
    [{ 'X-Auto-Response-Suppress': 'All' }, 'RESPONSE_SUPPRESSED'],
    [{ 'Return-Path': '<>' }, 'NULL_SENDER'],
    [{ 'Return-Path': '<MAILER-DAEMON@mx.example.test>' }, 'SYSTEM_SENDER'],
    [{ 'X-Loop': 'support@example.test' }, 'LOOP_DETECTED'],
  ])('refuses a message with %j (%s)', (headers, code) => {
    expect(reply({ headers })).toMatchObject({ ok: false, code, reason: expect.any(String) });
  });

  it('answers despite harmless header values', () => {
    expect(reply({ headers: { Precedence: 'first-class', 'X-Auto-Response-Suppress': 'DR, RN' } }).ok).toBe(true);
    expect(reply({ headers: { 'Return-Path': '<ada@example.test>' } }).ok).toBe(true);
  });

  it.each([
    ['MAILER-DAEMON@mx.example.test', 'SYSTEM_SENDER'],
    ['postmaster@example.test', 'SYSTEM_SENDER'],
    ['owner-news@lists.example.test', 'SYSTEM_SENDER'],
    ['news-request@lists.example.test', 'SYSTEM_SENDER'],
    ['noreply@shop.test', 'NO_REPLY_SENDER'],
    ['no-reply+orders@shop.test', 'NO_REPLY_SENDER'],
    ['do-not-reply@shop.test', 'NO_REPLY_SENDER'],
    ['Support+web@Example.test', 'OWN_ADDRESS'],
  ])('refuses mail from %s (%s)', (from, code) => {
    expect(reply({ from })).toMatchObject({ ok: false, code });
  });

  it('refuses when a Reply-To points at a system address or at us', () => {
    expect(reply({ replyTo: 'mailer-daemon@example.test' })).toMatchObject({ ok: false, code: 'SYSTEM_SENDER' });
    expect(reply({ replyTo: 'support@example.test' })).toMatchObject({ ok: false, code: 'OWN_ADDRESS' });
  });

  it('refuses when there is nobody to answer', () => {
    expect(reply({ from: [] })).toMatchObject({ ok: false, code: 'NO_RECIPIENT' });
  });

  it('does not mistake similar names for system senders', () => {
    expect(reply({ from: 'daemon.fan@example.test' }).ok).toBe(true);
    expect(reply({ from: 'requester@example.test' }).ok).toBe(true);
  });
});

describe('shouldAutoRespond: forward and send', () => {
  const bounce = testMessage({
    from: 'MAILER-DAEMON@mx.example.test',
    headers: { 'Auto-Submitted': 'auto-replied', 'Return-Path': '<>' },
  });

  it('forwards automatic mail (bounces) to an operator', () => {
    expect(shouldAutoRespond(bounce, { ...own, kind: 'forward', recipients: ['Ops@Example.test'] })).toEqual({
      ok: true,
      recipients: ['ops@example.test'],
    });
  });

  it('refuses to forward or send to our own address (it would come back as new mail)', () => {
    expect(
      shouldAutoRespond(bounce, { ...own, kind: 'forward', recipients: ['support+x@example.test'] }),
    ).toMatchObject({
      ok: false,
      code: 'OWN_ADDRESS',
    });
    expect(shouldAutoRespond(bounce, { ...own, kind: 'send', recipients: [] })).toMatchObject({
      ok: false,
      code: 'NO_RECIPIENT',
    });
  });

  it('refuses to forward our own automatic mail that came back', () => {
    const back = testMessage({ headers: { 'X-Loop': 'Support@Example.test' } });
    expect(shouldAutoRespond(back, { ...own, kind: 'forward', recipients: ['ops@example.test'] })).toMatchObject({
      ok: false,
      code: 'LOOP_DETECTED',
    });
  });
});

describe('shouldAutoRespond with the per-correspondent limit', () => {
  it('refuses once the limit for the recipient is reached within the window', () => {
    const limiter = new AutoReplyLimiter({ max: 2, windowMs: 1_000 });
    limiter.record('ada@example.test', 100);
    const check = (now: number) => shouldAutoRespond(testMessage(), { ...own, limiter, now });
    expect(check(500).ok).toBe(true);
    limiter.record('ada@example.test', 500);
    expect(check(600)).toMatchObject({ ok: false, code: 'RATE_LIMITED' });
    expect(check(1_101).ok).toBe(true); // the first reply left the window
  });
});

describe('AutoReplyLimiter', () => {
  it('counts per base address (case and +tag do not make a new correspondent)', () => {
    const limiter = new AutoReplyLimiter({ max: 3 });
    limiter.record('Ada@example.test', 0);
    limiter.record('ada+news@example.test', 1);
    expect(limiter.count('ADA@example.test', 2)).toBe(2);
    expect(limiter.allows('ada@example.test', 2)).toBe(true);
    limiter.record('ada@example.test', 2);
    expect(limiter.allows('ada@example.test', 3)).toBe(false);
    expect(limiter.allows('bob@example.test', 3)).toBe(true);
  });

  it('survives a restart: it is rebuilt from the journal’s action.done events', async () => {
    const store = new MemoryJournalStore();
    const first = await Journal.open(store, { projections: [new AutoReplyLimiter()] });
    const t = 1_700_000_000_000;
    for (let i = 0; i < 3; i++) {
      const m = messageEvents(`k${i}`, { at: () => t + i });
      await first.append([
        m.actionDone('optin', 0, 'reply', { recipients: ['ada@example.test'] }),
        m.actionDone('optin', 1, 'forward', { recipients: ['ada@example.test'] }),
      ]);
    }
    const limiter = new AutoReplyLimiter({ max: 3 });
    await Journal.open(store, { projections: [limiter] });
    expect(limiter.count('ada@example.test', t + 10)).toBe(3); // replies only: forwards do not count by default
    expect(limiter.allows('ada@example.test', t + 10)).toBe(false);
    const withForwards = new AutoReplyLimiter({ max: 10, kinds: ['reply', 'forward'] });
    await Journal.open(store, { projections: [withForwards] });
    expect(withForwards.count('ada@example.test', t + 10)).toBe(6);
  });

  it('forgets sends outside the window', () => {
    const limiter = new AutoReplyLimiter({ max: 1, windowMs: 100 });
    limiter.record('ada@example.test', 0);
    expect(limiter.allows('ada@example.test', 50)).toBe(false);
    expect(limiter.allows('ada@example.test', 100)).toBe(true);
  });

  it('rejects nonsense options', () => {
    expect(() => new AutoReplyLimiter({ max: -1 })).toThrow(RangeError);
    expect(() => new AutoReplyLimiter({ windowMs: 0 })).toThrow(RangeError);
  });
});

describe('headers of automatic mail', () => {
  it('marks replies auto-replied and everything else auto-generated', () => {
    expect(autoHeaders('reply')).toEqual({ 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' });
    expect(autoHeaders('forward', { loopAddress: 'Support@Example.test' })).toEqual({
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
      'X-Loop': 'support@example.test',
    });
    expect(autoHeaders('send')['Auto-Submitted']).toBe('auto-generated');
  });

  it('is recognised when it comes back: a loop ends after one round', () => {
    const ours = testMessage({
      from: 'support@example.test',
      headers: autoHeaders('reply', { loopAddress: 'support@example.test' }),
    });
    expect(shouldAutoRespond(ours, own).ok).toBe(false);
    // Another autopilot's reply (its own X-Loop, not ours) is still refused for being automatic.
    const theirs = testMessage({ headers: autoHeaders('reply', { loopAddress: 'robot@elsewhere.test' }) });
    expect(shouldAutoRespond(theirs, own)).toMatchObject({ ok: false, code: 'AUTO_SUBMITTED' });
  });

  it('builds threading headers and the subject of a reply', () => {
    expect(replyHeaders(testMessage({ subject: 'Newsletter confirmation', messageId: '<m1@example.test>' }))).toEqual({
      inReplyTo: '<m1@example.test>',
      references: '<m1@example.test>',
      subject: 'Re: Newsletter confirmation',
    });
    const inThread = testMessage({
      subject: 'RE: question',
      messageId: '<m3@example.test>',
      headers: { References: '<m1@example.test>\r\n <m2@example.test>' },
    });
    expect(replyHeaders(inThread)).toEqual({
      inReplyTo: '<m3@example.test>',
      references: '<m1@example.test> <m2@example.test> <m3@example.test>',
      subject: 'RE: question',
    });
    const onlyInReplyTo = testMessage({ messageId: '<m3@example.test>', inReplyTo: '<m2@example.test>' });
    expect(replyHeaders(onlyInReplyTo).references).toBe('<m2@example.test> <m3@example.test>');
    expect(replyHeaders(testMessage({ messageId: null, subject: 'x' }))).toEqual({ subject: 'Re: x' });
  });

  it('keeps References short: the thread root and the latest IDs', () => {
    const ids = Array.from({ length: 30 }, (_, i) => `<r${i}@example.test>`);
    const message = testMessage({ messageId: '<last@example.test>', headers: { References: ids.join(' ') } });
    const references = replyHeaders(message).references!.split(' ');
    expect(references).toHaveLength(20);
    expect(references[0]).toBe('<r0@example.test>');
    expect(references.at(-1)).toBe('<last@example.test>');
    expect(references.at(-2)).toBe('<r29@example.test>');
  });

  it('prefixes subjects once, also German ones, and never keeps line breaks', () => {
    expect(replySubject('Re: hi')).toBe('Re: hi');
    expect(replySubject('AW: Anfrage')).toBe('AW: Anfrage');
    expect(replySubject('Anfrage\r\n Bcc: x')).toBe('Re: Anfrage Bcc: x');
    expect(replySubject('')).toBe('Re: ');
  });

  it('finds the reply recipient', () => {
    expect(replyRecipient(testMessage({ from: 'A <a@example.test>', replyTo: [] }))).toBe('a@example.test');
    expect(replyRecipient(testMessage({ from: [], replyTo: [] }))).toBeNull();
  });
});
