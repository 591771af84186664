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

let servers: MailServers;
let dir: string;

beforeAll(async () => {
  servers = await startMailServers({ users: ['imapbox', 'popbox'] });
  dir = mkdtempSync(join(tmpdir(), 'conditions-int-'));
});
afterAll(() => servers?.stop());

const PDF_MAIL = [
  'From: ada@example.test',
  'Subject: Documents',
  'Message-ID: <pdf-1@example.test>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'See the attached file.',
  '--b1',
  'Content-Type: application/pdf; name="Invoice-7.PDF"',
  'Content-Disposition: attachment; filename="Invoice-7.PDF"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('%PDF-1.4 fake').toString('base64'),
  '--b1--',
  '',
].join('\r\n');

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
        // The session keeps private state: every other member is the real one, bound to it.
        return new Proxy(session, {
          get(target, property) {
            if (property === 'fetchBody') return fetchBody;
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

describe('size, attachment and body conditions on IMAP', () => {
  it("match as configured, and only the invoices are downloaded (the body rule's other condition holds)", async () => {
    const user = servers.user('imapbox');
    await deliverAll(user.user);
    const fetched: string[] = [];
    const { matched } = await runOnce(
      {
        id: 'imapbox',
        server: `imap://127.0.0.1:${servers.ports.imap}`,
        user: user.user,
        password: user.password,
        tlsCa: servers.caFile,
        rules: RULES,
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
    // Large report, Documents and Hello: decided without their bodies (size, BODYSTRUCTURE, subject);
    // Invoice 2 is fetched (its subject holds) and then does not match.
    expect(fetched.sort()).toEqual(['Invoice 1', 'Invoice 2']);
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
