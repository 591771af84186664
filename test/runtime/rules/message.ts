/**
 * A DiscoveredMessage for rule tests, built from a few fields. Headers are given as in a message (any case) and
 * stored lower-case, like adapters do.
 */
import type { DiscoveredMessage, MailAddress } from '../../../adapters/contract.js';

export interface TestMessageInit {
  key?: string;
  mailboxId?: string;
  subject?: string;
  from?: MailAddress[] | string;
  to?: MailAddress[] | string;
  cc?: MailAddress[] | string;
  replyTo?: MailAddress[] | string;
  messageId?: string | null;
  inReplyTo?: string | null;
  headers?: Record<string, string | string[]>;
  size?: number;
  attachments?: DiscoveredMessage['attachments'];
  bodyText?: string;
}

function addresses(value: MailAddress[] | string | undefined): MailAddress[] {
  if (value === undefined) return [];
  if (typeof value !== 'string') return value;
  return value.split(',').map((part) => {
    const m = /^\s*(.*?)\s*<([^>]*)>\s*$/.exec(part);
    return m ? { name: m[1]!.replace(/^"|"$/g, ''), address: m[2]! } : { name: '', address: part.trim() };
  });
}

export function testMessage(init: TestMessageInit = {}): DiscoveredMessage {
  const messageId = init.messageId === undefined ? '<m1@example.test>' : init.messageId;
  const headers = new Map<string, string[]>();
  for (const [name, value] of Object.entries(init.headers ?? {})) {
    headers.set(name.toLowerCase(), Array.isArray(value) ? value : [value]);
  }
  return {
    identity: { mailboxId: init.mailboxId ?? 'support', key: init.key ?? 'imap:INBOX:1:1', messageId },
    ref: '1',
    flags: [],
    size: init.size ?? 100,
    envelope: {
      subject: init.subject ?? '',
      from: addresses(init.from ?? 'Ada Lovelace <ada@example.test>'),
      to: addresses(init.to ?? 'support@example.test'),
      cc: addresses(init.cc),
      replyTo: addresses(init.replyTo),
      date: null,
      messageId,
      inReplyTo: init.inReplyTo ?? null,
    },
    headers,
    ...(init.attachments !== undefined ? { attachments: init.attachments } : {}),
    ...(init.bodyText !== undefined ? { bodyText: init.bodyText } : {}),
  };
}
