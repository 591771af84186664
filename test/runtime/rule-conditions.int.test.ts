/**
 * Conditions beyond headers on real Dovecot (issue 15 point 6): `size` answered by RFC822.SIZE (and pushed into the
 * SEARCH), `attachment` by BODYSTRUCTURE without downloading, `body` by fetching the text only for messages whose
 * other conditions hold — counted on the session's `fetchBody`, not timed. POP3 has no BODYSTRUCTURE: its size
 * comes from LIST and attachments are fetched, again only for candidates.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailService, MailSession } from '../../adapters/contract.js';
import { createAutopilot } from '../../runtime/autopilot.js';
import { validateConfig } from '../../runtime/config/load.js';
import type { StoredEvent } from '../../runtime/journal/events.js';
import { MemoryJournalStore } from '../../runtime/journal/memory-store.js';
import { createMailService, type ServiceFactory } from '../../runtime/services.js';
import { type MailServers, startMailServers } from '../../scripts/harness/mail-servers.js';
import { mailWithAttachments } from '../support/attachment-mail.js';

let servers: MailServers;
let dir: string;

beforeAll(async () => {
  servers = await startMailServers({ users: ['imapbox', 'popbox', 'boundbox'] });
  dir = mkdtempSync(join(tmpdir(), 'conditions-int-'));
});
afterAll(() => servers?.stop());

const PDF_MAIL = mailWithAttachments({
  subject: 'Documents',
  messageId: '<pdf-1@example.test>',
  text: 'See the attached file.',
  files: [{ filename: 'Invoice-7.PDF', type: 'application/pdf', content: Buffer.from('%PDF-1.4 fake') }],
});

async function deliverAll(user: string): Promise<void> {
  await servers.deliver(user, { subject: 'Large report', text: `${'x'.repeat(76)}\n`.repeat(1500) }); // ~115 KB
  await servers.deliver(user, PDF_MAIL);
  await servers.deliver(user, { subject: 'Invoice 1', text: 'Your payment is OVERDUE since May.' });
  await servers.deliver(user, { subject: 'Invoice 2', text: 'Thank you for paying on time.' });
  await servers.deliver(user, { subject: 'Hello', text: 'Nothing for the rules, but overdue is mentioned.' });
}

const RULES = [
  { name: 'large', size: { over: '100KB' }, actions: [{ flag: 'Large' }] },
  { name: 'pdf', attachment: { name: '*.pdf' }, actions: [{ flag: 'Pdf' }] },
  {
    name: 'overdue',
    subject: { startsWith: 'Invoice' },
    body: { contains: 'overdue' },
    actions: [{ flag: 'Overdue' }],
  },
];

/** The real service factory, counting the bodies its sessions fetch (the only place a rule's body fetch goes). */
function countingServices(fetched: string[]): ServiceFactory {
  return (mailbox, deps) => {
    const service: MailService = createMailService(mailbox, deps);
    return {
      ...service,
      capabilities: service.capabilities,
      async connect(...args: Parameters<MailService['connect']>): Promise<MailSession> {
        const session = await service.connect(...args);
        const fetchBody: MailSession['fetchBody'] = (message) => {
          fetched.push(message.envelope.subject);
          return session.fetchBody(message);
        };
        const fetchText = session.fetchText?.bind(session);
        const countedText = fetchText
          ? (message: Parameters<typeof fetchText>[0], maxBytes: number) => {
              fetched.push(`text:${message.envelope.subject}`);
              return fetchText(message, maxBytes);
            }
          : undefined;
        // The session keeps private state: every other member is the real one, bound to it.
        return new Proxy(session, {
          get(target, property) {
            if (property === 'fetchBody') return fetchBody;
            if (property === 'fetchText') return countedText;
            const value = Reflect.get(target, property, target);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
      },
    };
  };
}

async function runOnce(mailbox: Record<string, unknown>, fetched: string[]) {
  const config = validateConfig({ mailboxes: [mailbox] }, { baseDir: dir, platform: 'linux' });
  const events: StoredEvent[] = [];
  const autopilot = createAutopilot(config, {
    journalStore: new MemoryJournalStore(),
    services: countingServices(fetched),
  });
  autopilot.events$.subscribe((event) => events.push(event));
  const results = await autopilot.runOnce();
  await autopilot.stop();
  const subjects = new Map(
    events
      .filter((e) => e.type === 'message.discovered')
      .map((e) => [(e as { key: string }).key, (e as { subject?: string }).subject ?? '']),
  );
  const matched: Record<string, string[]> = {};
  for (const e of events) {
    if (e.type === 'message.matched') matched[subjects.get(e.key) ?? '?'] = [...e.rules];
    if (e.type === 'message.unmatched') matched[subjects.get(e.key) ?? '?'] = [];
  }
  return { results, matched };
}

/** The IMAP mailbox config of a harness user. */
function imapMailbox(name: string, extra: Record<string, unknown>): Record<string, unknown> {
  const user = servers.user(name);
  return {
    id: name,
    server: `imap://127.0.0.1:${servers.ports.imap}`,
    user: user.user,
    password: user.password,
    tlsCa: servers.caFile,
    ...extra,
  };
}

describe('size, attachment and body conditions on IMAP', () => {
  it("match as configured, and only the invoices are downloaded (the body rule's other condition holds)", async () => {
    const user = servers.user('imapbox');
    await deliverAll(user.user);
    const fetched: string[] = [];
    const { matched } = await runOnce(imapMailbox('imapbox', { rules: RULES }), fetched);
    expect(matched).toEqual({
      'Large report': ['large'],
      Documents: ['pdf'],
      'Invoice 1': ['overdue'],
      'Invoice 2': [],
      Hello: [],
    });
    // Large report, Documents and Hello: decided without their bodies (size, BODYSTRUCTURE, subject);
    // Invoice 2 is fetched (its subject holds) and then does not match. Only their text parts, never a whole body.
    expect(fetched.sort()).toEqual(['text:Invoice 1', 'text:Invoice 2']);
  });
});

describe('size, attachment and body conditions on POP3', () => {
  it('size from LIST; attachments and body fetched only for candidates', async () => {
    const user = servers.user('popbox');
    await deliverAll(user.user);
    const fetched: string[] = [];
    const { matched } = await runOnce(
      {
        id: 'popbox',
        service: 'pop3',
        server: `pop3s://127.0.0.1:${servers.ports.pop3s}`,
        user: user.user,
        password: user.password,
        tlsCa: servers.caFile,
        // POP3 can only delete; the Documents rule has a subject, so only that message is fetched for it.
        rules: [
          { ...RULES[0], actions: ['delete'] },
          { ...RULES[1], subject: { equals: 'Documents' }, actions: ['delete'] },
          { ...RULES[2], actions: ['delete'] },
        ],
      },
      fetched,
    );
    expect(matched).toEqual({
      'Large report': ['large'],
      Documents: ['pdf'],
      'Invoice 1': ['overdue'],
      'Invoice 2': [],
      Hello: [],
    });
    expect(fetched.sort()).toEqual(['Documents', 'Invoice 1', 'Invoice 2']);
  });
});

describe('body conditions on IMAP: the text part alone, bounded by bodyMatchBytes', () => {
  it('a partial fetch of the text part (quoted-printable, UTF-8) for a message with a large PDF; HTML only: the whole body', async () => {
    const user = servers.user('boundbox');
    const pdf = { filename: 'big.pdf', type: 'application/pdf', content: Buffer.alloc(300_000, 1) };
    // Decoded by the server-side part fetch: the keyword after a QP soft line break and non-ASCII text.
    const qp = 'Gr=C3=BC=C3=9Fe, the payment is over=\r\ndue.';
    await servers.deliver(
      user.user,
      mailWithAttachments({ subject: 'Invoice QP', text: 'placeholder', files: [pdf] })
        .replace(
          'Content-Type: text/plain; charset=utf-8\r\n',
          'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n',
        )
        .replace('placeholder', qp),
    );
    await servers.deliver(user.user, { subject: 'Invoice late', text: `${'filler '.repeat(100)}overdue` });
    await servers.deliver(
      user.user,
      [
        'From: a@example.test',
        'Subject: Invoice HTML',
        'MIME-Version: 1.0',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<p>Payment <b>overdue</b></p>',
        '',
      ].join('\r\n'),
    );
    const fetched: string[] = [];
    const { matched } = await runOnce(imapMailbox('boundbox', { bodyMatchBytes: 200, rules: [RULES[2]] }), fetched);
    // 'Invoice late': its keyword lies past the 200 bytes tested.
    expect(matched).toEqual({ 'Invoice QP': ['overdue'], 'Invoice late': [], 'Invoice HTML': ['overdue'] });
    // Every candidate's text part is asked for; only the HTML-only message is downloaded whole.
    expect(fetched.sort()).toEqual(['Invoice HTML', 'text:Invoice HTML', 'text:Invoice QP', 'text:Invoice late']);
  });
});
