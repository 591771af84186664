import { describe, expect, it } from 'vitest';
import {
  HANDLER_ENV,
  handlerEnv,
  handlerMetadata,
  idempotencyKey,
  MAX_ENV_VALUE_LENGTH,
} from '../../../runtime/handlers/metadata.js';
import { OutputTail } from '../../../runtime/handlers/output-tail.js';
import { testMessage } from '../rules/message.js';

describe('idempotencyKey (the at-least-once contract)', () => {
  it('is stable per mailbox, message key and rule, and differs when any of them differs', () => {
    const base = { mailboxId: 'support', key: 'imap:INBOX:7:42', rule: 'bounces' };
    const key = idempotencyKey(base);
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(idempotencyKey({ ...base })).toBe(key);
    expect(idempotencyKey({ ...base, rule: 'optin' })).not.toBe(key);
    expect(idempotencyKey({ ...base, mailboxId: 'sales' })).not.toBe(key);
    expect(idempotencyKey({ ...base, key: 'imap:INBOX:7:43' })).not.toBe(key);
    // No ambiguity from concatenation: ("a:b", "c") and ("a", "b:c") differ.
    expect(idempotencyKey({ mailboxId: 'a:b', key: 'c', rule: 'r' })).not.toBe(
      idempotencyKey({ mailboxId: 'a', key: 'b:c', rule: 'r' }),
    );
  });

  it('stays the same after re-identification when given the original key', () => {
    const before = handlerMetadata(testMessage({ key: 'imap:INBOX:1:7' }), { rule: 'bounces', attempt: 1 });
    const after = handlerMetadata(testMessage({ key: 'imap:INBOX:2:3' }), {
      rule: 'bounces',
      attempt: 2,
      originalKey: 'imap:INBOX:1:7',
    });
    expect(after.idempotencyKey).toBe(before.idempotencyKey);
    expect(after.key).toBe('imap:INBOX:2:3');
  });
});

describe('handlerEnv', () => {
  it('names every variable MAIL_AUTOPILOT_* and joins addresses', () => {
    const metadata = handlerMetadata(
      testMessage({
        subject: 'Hi',
        from: 'Ada <ada@example.test>',
        to: 'a@example.test, B <b@example.test>',
        messageId: null,
      }),
      { rule: 'r', attempt: 3 },
    );
    expect(handlerEnv(metadata)).toEqual({
      MAIL_AUTOPILOT_MAILBOX: 'support',
      MAIL_AUTOPILOT_KEY: 'imap:INBOX:1:1',
      MAIL_AUTOPILOT_MESSAGE_ID: '',
      MAIL_AUTOPILOT_SUBJECT: 'Hi',
      MAIL_AUTOPILOT_FROM: 'ada@example.test',
      MAIL_AUTOPILOT_TO: 'a@example.test, b@example.test',
      MAIL_AUTOPILOT_RULE: 'r',
      MAIL_AUTOPILOT_ATTEMPT: '3',
      MAIL_AUTOPILOT_IDEMPOTENCY_KEY: metadata.idempotencyKey,
    });
    expect(Object.keys(handlerEnv(metadata)).sort()).toEqual(Object.values(HANDLER_ENV).sort());
  });

  it('drops NUL and cuts long values', () => {
    const metadata = handlerMetadata(testMessage({ subject: `a\0b${'x'.repeat(100_000)}` }), { rule: 'r', attempt: 1 });
    const subject = handlerEnv(metadata).MAIL_AUTOPILOT_SUBJECT!;
    expect(subject.startsWith('abx')).toBe(true);
    expect(subject).toHaveLength(MAX_ENV_VALUE_LENGTH);
  });
});

describe('OutputTail', () => {
  it('keeps everything below the limit', () => {
    const tail = new OutputTail(10);
    tail.push(Buffer.from('abc'));
    tail.push(Buffer.from('def'));
    expect([tail.text(), tail.truncated]).toEqual(['abcdef', false]);
  });

  it('keeps exactly the last bytes above it', () => {
    const tail = new OutputTail(5);
    for (const part of ['12345', '678', '9', 'abc']) tail.push(Buffer.from(part));
    expect([tail.text(), tail.truncated]).toEqual(['789abc'.slice(-5), true]);
  });

  it('does not start with half a character', () => {
    const tail = new OutputTail(4);
    tail.push(Buffer.from('äöü')); // 6 bytes: the cut falls inside ä
    expect(tail.text()).toBe('öü');
  });
});
