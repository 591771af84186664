/**
 * The demo's verdict per mail (scripts/demo/report.ts): the demo exits 0 only when the journal and the servers
 * show the expected end. The case that matters most: an auto-reply that got answered must fail the demo, even
 * though the message was "handled".
 */
import { describe, expect, it } from 'vitest';
import type { JournalEvent, StoredEvent } from '../../runtime/journal/events.js';
import { parseRules } from '../../runtime/rules/parse-rules.js';
import { DEMO_USERS, type DemoMail, demoMails } from '../../scripts/demo/mails.js';
import { hasEnded, reportMail } from '../../scripts/demo/report.js';
import type { ServerView, ViewedMessage } from '../../scripts/demo/servers-view.js';

const mails = demoMails(new Date(0));
const outOfOffice = mails.find((m) => m.subject.startsWith('Out of office'))!;
const rules = parseRules(
  [
    {
      name: 'order-questions',
      subject: { regex: '\\border\\s+#?\\d+' },
      actions: [{ reply: { text: 'Thanks.' } }, 'markRead'],
    },
  ],
  'support',
);

function stored(mail: DemoMail, events: Record<string, unknown>[]): StoredEvent[] {
  return events.map(
    (event, i) =>
      ({
        mailboxId: 'support',
        at: i,
        key: 'imap:INBOX:1:4',
        messageId: mail.messageId,
        position: i + 1,
        version: i + 1,
        ...event,
      }) as unknown as StoredEvent<JournalEvent>,
  );
}

function journalOf(mail: DemoMail, reply: 'done' | 'skipped'): StoredEvent[] {
  return stored(mail, [
    { type: 'message.discovered', subject: mail.subject, from: mail.from },
    { type: 'message.matched', rules: ['order-questions'] },
    reply === 'done'
      ? { type: 'action.done', rule: 'order-questions', index: 0, kind: 'reply', recipients: [DEMO_USERS.traveller] }
      : {
          type: 'action.skipped',
          rule: 'order-questions',
          index: 0,
          kind: 'reply',
          code: 'AUTO_SUBMITTED',
          reason: 'the message is automatic (Auto-Submitted: auto-replied)',
        },
    { type: 'action.done', rule: 'order-questions', index: 1, kind: 'markRead' },
    { type: 'message.handled' },
  ]);
}

function viewWith(bobInbox: ViewedMessage[], smtpRecipients: string[] = []): ServerView {
  const original: ViewedMessage = {
    folder: 'INBOX',
    subject: outOfOffice.subject,
    messageId: outOfOffice.messageId,
    seen: true,
    autoSubmitted: 'auto-replied',
    inReplyTo: null,
  };
  return { mailboxes: { [DEMO_USERS.support]: [original], [DEMO_USERS.traveller]: bobInbox }, smtpRecipients };
}

const input = { mail: outOfOffice, position: 4, total: 4, rules, files: {}, watched: DEMO_USERS.support };

describe('reportMail', () => {
  it('passes the auto-reply whose reply loop protection skipped, and says why it was skipped', () => {
    const verdict = reportMail({ ...input, events: journalOf(outOfOffice, 'skipped'), view: viewWith([]) });
    expect(verdict.ok).toBe(true);
    expect(verdict.lines).toContainEqual(expect.stringMatching(/matched +rule order-questions/));
    expect(verdict.lines).toContainEqual(
      expect.stringMatching(/action +reply → SKIPPED by loop protection: AUTO_SUBMITTED \(the message is automatic/),
    );
    expect(verdict.lines).toContainEqual(expect.stringMatching(/✓ bob@example\.test got nothing/));
    expect(verdict.lines.at(-1)).toContain('✓ reached the expected end');
  });

  it('fails the demo when the auto-reply was answered, in the journal and on the servers', () => {
    const reply: ViewedMessage = {
      folder: 'INBOX',
      subject: `Re: ${outOfOffice.subject}`,
      messageId: '<r@example.test>',
      seen: false,
      autoSubmitted: 'auto-replied',
      inReplyTo: outOfOffice.messageId,
    };
    const verdict = reportMail({
      ...input,
      events: journalOf(outOfOffice, 'done'),
      view: viewWith([reply], [DEMO_USERS.traveller]),
    });
    expect(verdict.ok).toBe(false);
    expect(verdict.lines).toContainEqual(expect.stringMatching(/✗ bob@example\.test was answered/));
    expect(verdict.lines).toContainEqual(
      expect.stringMatching(
        /✗ expected actions reply skipped \(AUTO_SUBMITTED\), markRead done; the journal has reply done/,
      ),
    );
    expect(verdict.lines.at(-1)).toContain('✗ did NOT reach the expected end');
  });

  it('fails a mail the journal never saw', () => {
    const verdict = reportMail({ ...input, events: [], view: viewWith([]) });
    expect(verdict.ok).toBe(false);
    expect(verdict.lines).toContainEqual(expect.stringContaining('never discovered'));
  });
});

describe('hasEnded', () => {
  it('is true once the message is handled, unmatched or dead-lettered, and not before', () => {
    const events = journalOf(outOfOffice, 'skipped');
    expect(hasEnded(events.slice(0, -1), outOfOffice.messageId)).toBe(false);
    expect(hasEnded(events, outOfOffice.messageId)).toBe(true);
    expect(hasEnded(stored(outOfOffice, [{ type: 'message.unmatched' }]), outOfOffice.messageId)).toBe(true);
    expect(hasEnded(events, mails[0]!.messageId)).toBe(false);
  });
});
