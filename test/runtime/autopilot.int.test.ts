/**
 * The whole pipeline on a real Dovecot and SMTP relay (issue 4): discover → match → handler/actions → journal, with
 * replies read back from the correspondent's mailbox, moves visible over IMAP, command handlers run, a failing
 * handler dead-lettered after its retries, loop protection, and the host API (rule(), observables, stop()).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Autopilot, createAutopilot } from '../../runtime/autopilot.js';
import { validateConfig } from '../../runtime/config/load.js';
import type { StoredEvent } from '../../runtime/journal/events.js';
import { MemoryJournalStore } from '../../runtime/journal/memory-store.js';
import { type MailServers, startMailServers } from '../../scripts/harness/mail-servers.js';
import { connectImap } from '../support/imap-folder.js';

let servers: MailServers;
let dir: string;

beforeAll(async () => {
  servers = await startMailServers({ users: ['support', 'customer', 'ops'] });
  dir = mkdtempSync(join(tmpdir(), 'autopilot-int-'));
  writeFileSync(
    join(dir, 'bounce.mjs'),
    [
      "import { appendFileSync } from 'node:fs';",
      'let raw = "";',
      'for await (const chunk of process.stdin) raw += chunk;',
      "appendFileSync(process.env.OUT_FILE, JSON.stringify({ subject: process.env.MAIL_AUTOPILOT_SUBJECT, key: process.env.MAIL_AUTOPILOT_IDEMPOTENCY_KEY, bytes: raw.length }) + '\\n');",
    ].join('\n'),
  );
});
afterAll(() => servers?.stop());

async function eventually<T>(
  read: () => T | undefined | Promise<T | undefined>,
  what: string,
  tries = 400,
): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await read();
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never happened: ${what}`);
}

const imapClient = (name: string): Promise<ImapFlow> => connectImap(servers, name);

async function subjectsIn(name: string, folder: string): Promise<{ subject: string; headers: string }[]> {
  const client = await imapClient(name);
  try {
    const exists = await client.mailboxOpen(folder).then(
      () => true,
      () => false,
    );
    if (!exists) return [];
    const found: { subject: string; headers: string }[] = [];
    for await (const message of client.fetch('1:*', { envelope: true, headers: true })) {
      found.push({ subject: message.envelope?.subject ?? '', headers: message.headers?.toString() ?? '' });
    }
    return found;
  } catch {
    return [];
  } finally {
    await client.logout().catch(() => undefined);
  }
}

describe('autopilot on a real server', () => {
  let autopilot: Autopilot;
  const events: StoredEvent[] = [];
  const outFile = () => join(dir, 'bounces.jsonl');

  beforeAll(async () => {
    const support = servers.user('support');
    const customer = servers.user('customer');
    const config = validateConfig(
      {
        mailboxes: [
          {
            id: 'support',
            server: `imap://127.0.0.1:${servers.ports.imap}`,
            user: support.user,
            password: '${SUPPORT_PASSWORD}',
            unreadOnly: true,
            tlsCa: servers.caFile,
            pollInterval: '1s',
            smtp: { server: `smtp://127.0.0.1:${servers.ports.smtp}`, tlsCa: servers.caFile },
            handler: { retries: 2, retryDelay: '20ms', timeout: '20s' },
            rules: [
              {
                name: 'bounces',
                subject: { regex: '^(Undelivered|Mail delivery failed)' },
                run: { command: ['node', 'bounce.mjs'], env: { OUT_FILE: outFile() } },
                actions: ['markRead'],
              },
              {
                name: 'optin',
                subject: { equals: 'Newsletter confirmation' },
                actions: [{ reply: { text: 'Thank you, your subscription is confirmed.' } }, { moveTo: 'Processed' }],
              },
              { name: 'broken', subject: { equals: 'Always fails' }, run: ['node', '-e', 'process.exit(3)'] },
              {
                name: 'tickets',
                subject: { startsWith: 'Ticket' },
                actions: [{ forward: { to: ['ops@example.test'] } }],
              },
            ],
          },
        ],
      },
      { baseDir: dir, env: { SUPPORT_PASSWORD: support.password }, platform: 'linux' },
    );
    autopilot = createAutopilot(config, { journalStore: new MemoryJournalStore() });
    autopilot.rule({ subject: { startsWith: 'Order' } }, async (message, ctx) => {
      const body = await message.body();
      await ctx.reply({ text: `We received your order. You wrote: ${body.text?.trim()}` });
      await ctx.markRead();
    });
    autopilot.events$.subscribe((event) => events.push(event));

    await servers.deliver(support.user, {
      subject: 'Newsletter confirmation',
      from: customer.user,
      text: 'please confirm',
      messageId: '<optin-1@example.test>',
    });
    await servers.deliver(support.user, {
      subject: 'Undelivered Mail Returned to Sender',
      from: 'MAILER-DAEMON@example.test',
      text: 'bounce',
    });
    await servers.deliver(support.user, { subject: 'Hello there', from: customer.user, text: 'no rule for me' });
    await autopilot.start();
  });

  afterAll(async () => {
    await autopilot?.stop({ deadlineMs: 5_000 });
  });

  it('replies to a double opt-in, threads the reply, marks it automatic, and moves the request', async () => {
    const replies = await eventually(async () => {
      const found = (await subjectsIn('customer', 'INBOX')).filter((m) => m.subject === 'Re: Newsletter confirmation');
      return found.length > 0 ? found : undefined;
    }, 'the reply in the customer mailbox');
    expect(replies).toHaveLength(1);
    expect(replies[0]?.headers).toMatch(/Auto-Submitted: auto-replied/i);
    expect(replies[0]?.headers).toMatch(/In-Reply-To: <optin-1@example.test>/i);
    const moved = await eventually(async () => {
      const found = await subjectsIn('support', 'Processed');
      return found.length > 0 ? found : undefined;
    }, 'the request in Processed');
    expect(moved.map((m) => m.subject)).toEqual(['Newsletter confirmation']);
  });

  it('runs a command handler with the raw message on stdin and its metadata in the environment', async () => {
    const line = await eventually(() => {
      try {
        return readFileSync(outFile(), 'utf8').trim() || undefined;
      } catch {
        return undefined;
      }
    }, 'the handler output');
    const record = JSON.parse(line.split('\n')[0]!) as { subject: string; key: string; bytes: number };
    expect(record.subject).toBe('Undelivered Mail Returned to Sender');
    expect(record.key).toMatch(/^[0-9a-f]{32}$/);
    expect(record.bytes).toBeGreaterThan(100);
  });

  it('journals a message that matches no rule as unmatched, and handles every matching message exactly once', async () => {
    await eventually(
      () => events.filter((e) => e.type === 'message.handled').length >= 2 || undefined,
      'two handled messages',
    );
    await eventually(() => events.some((e) => e.type === 'message.unmatched') || undefined, 'an unmatched message');
    const handledKeys = events.filter((e) => e.type === 'message.handled').map((e) => (e as { key: string }).key);
    expect(new Set(handledKeys).size).toBe(handledKeys.length);
  });

  it('dead-letters a handler that always fails after its retries, keeping the message on the server', async () => {
    await servers.deliver(servers.user('support').user, {
      subject: 'Always fails',
      from: servers.user('customer').user,
    });
    const dead = await eventually(
      () =>
        events.find((e) => e.type === 'message.deadLettered') as
          | (StoredEvent & { reason: string; key: string })
          | undefined,
      'a dead letter',
    );
    const failures = events.filter((e) => e.type === 'handler.failed' && (e as { key: string }).key === dead.key);
    expect(failures).toHaveLength(3);
    expect(dead.reason).toMatch(/exit code 3|exited with/i);
    expect(autopilot.journal?.messages.deadLetters('support').map((r) => r.key)).toContain(dead.key);
    const stillThere = await subjectsIn('support', 'INBOX');
    expect(stillThere.map((m) => m.subject)).toContain('Always fails');
  });

  it('runs host function rules with the means to reply and mark read', async () => {
    await servers.deliver(servers.user('support').user, {
      subject: 'Order 4711',
      from: servers.user('customer').user,
      text: 'two boxes please',
    });
    const reply = await eventually(async () => {
      const found = (await subjectsIn('customer', 'INBOX')).find((m) => m.subject === 'Re: Order 4711');
      return found;
    }, 'the host handler reply');
    expect(reply.headers).toMatch(/Auto-Submitted: auto-replied/i);
  });

  it('never answers an automatic reply (RFC 3834) but still completes the message', async () => {
    await servers.deliver(servers.user('support').user, {
      subject: 'Newsletter confirmation',
      from: servers.user('customer').user,
      headers: { 'Auto-Submitted': 'auto-replied' },
      messageId: '<auto-1@example.test>',
    });
    const skipped = await eventually(
      () => events.find((e) => e.type === 'action.skipped') as (StoredEvent & { code: string }) | undefined,
      'a skipped reply',
    );
    expect(skipped.code).toBe('AUTO_SUBMITTED');
    await eventually(
      () =>
        events.some(
          (e) =>
            e.type === 'message.handled' && (e as { messageId: string | null }).messageId === '<auto-1@example.test>',
        ) || undefined,
      'the auto-reply handled',
    );
  });

  it('forwards to a fixed address with the original attached', async () => {
    await servers.deliver(servers.user('support').user, { subject: 'Ticket #12', from: servers.user('customer').user });
    const forwarded = await eventually(
      async () => (await subjectsIn('ops', 'INBOX')).find((m) => m.subject === 'Fwd: Ticket #12'),
      'the forward at ops',
    );
    expect(forwarded.headers).toMatch(/Auto-Submitted: auto-generated/i);
  });

  it('shows every mailbox state on states$ and lifecycle events in the journal', () => {
    expect(autopilot.states().map((s) => [s.mailboxId, s.state])).toEqual([['support', 'polling']]);
    expect(events.some((e) => e.type === 'mailbox.attempt')).toBe(true);
    expect(events.some((e) => e.type === 'mailbox.connected')).toBe(true);
  });
});
