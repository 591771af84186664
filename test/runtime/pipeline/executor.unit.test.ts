/**
 * The executor's batching (issue 12 point 2), on an in-memory journal and a session that records the commands it is
 * given (unit tier: the same paths run on Dovecot in test/runtime/pipeline/batches.int.test.ts and the crash test).
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { DiscoveredMessage, MailSession } from '../../../adapters/contract.js';
import { Journal } from '../../../runtime/journal/journal.js';
import { MemoryJournalStore } from '../../../runtime/journal/memory-store.js';
import { createExecutor } from '../../../runtime/pipeline/executor.js';
import type { HostHandler } from '../../../runtime/pipeline/host-handler.js';
import { RuleMatcher } from '../../../runtime/rules/matcher.js';
import { parseRules } from '../../../runtime/rules/parse-rules.js';
import { AutoReplyLimiter } from '../../../runtime/rules/reply-limiter.js';
import { RuleSendLimiter } from '../../../runtime/rules/rule-send-limiter.js';
import type { Rule } from '../../../runtime/rules/types.js';
import { testMessage } from '../rules/message.js';

const CAPABILITIES = {
  unreadOnly: true,
  markRead: true,
  flag: true,
  move: true,
  delete: true,
  folders: true,
  rawMime: true,
  push: true,
  send: false,
};

interface Recorded {
  readonly commands: string[];
}

function recordingSession(options: { batch: boolean; refuse?: (key: string) => boolean }): MailSession & Recorded {
  const commands: string[] = [];
  const one = (name: string) => async (m: DiscoveredMessage) => {
    if (options.refuse?.(m.identity.key)) {
      throw Object.assign(new Error(`${name} refused`), { code: 'ACTION_FAILED', retryable: false });
    }
    commands.push(`${name} ${m.ref}`);
  };
  const many = (name: string) => async (ms: readonly DiscoveredMessage[]) => {
    if (ms.some((m) => options.refuse?.(m.identity.key))) {
      throw Object.assign(new Error(`${name} refused`), { code: 'ACTION_FAILED', retryable: true });
    }
    commands.push(`${name} ${ms.map((m) => m.ref).join(',')}`);
  };
  const session: MailSession & Recorded = {
    commands,
    watch: async () => undefined,
    fetchSource: async () => Readable.from([Buffer.from('Subject: x\r\n\r\nbody\r\n')]),
    fetchBody: async () => ({ text: 'body', html: null, attachments: [], truncated: false }),
    markRead: one('markRead'),
    flag: (m, flag) => one(`flag ${flag}`)(m),
    moveTo: (m, folder) => one(`move ${folder}`)(m),
    delete: one('delete'),
    close: async () => undefined,
  };
  if (options.batch) {
    Object.assign(session, {
      markReadMany: many('markRead'),
      flagMany: (ms: readonly DiscoveredMessage[], flag: string) => many(`flag ${flag}`)(ms),
      moveToMany: (ms: readonly DiscoveredMessage[], folder: string) => many(`move ${folder}`)(ms),
    });
  }
  return session;
}

const logged: { level: string; fields: Record<string, unknown>; msg?: string }[] = [];
const logger = {
  info: (fields: object, msg?: string) =>
    logged.push({ level: 'info', fields: fields as Record<string, unknown>, msg }),
  warn: (fields: object, msg?: string) =>
    logged.push({ level: 'warn', fields: fields as Record<string, unknown>, msg }),
  error: (fields: object, msg?: string) =>
    logged.push({ level: 'error', fields: fields as Record<string, unknown>, msg }),
};

async function setup(
  rules: unknown[],
  extra: Rule<HostHandler>[] = [],
  more: { perRulePerHour?: number; sent?: string[] } = {},
) {
  logged.length = 0;
  const store = new MemoryJournalStore();
  let writes = 0;
  const append = store.append.bind(store);
  store.append = (events, options) => {
    writes++;
    return append(events, options);
  };
  const stormGuard = new RuleSendLimiter({ perHour: () => more.perRulePerHour ?? 100 });
  const journal = await Journal.open(store, { projections: [stormGuard] });
  const executor = createExecutor({
    stormGuard,
    send: async (mail) => {
      more.sent?.push(String(mail.to));
      return { messageId: '<sent@x>', accepted: [String(mail.to)], rejected: [], response: '250 ok' };
    },
    mailboxId: 'support',
    journal,
    matcher: new RuleMatcher([...(parseRules(rules, 'support') as Rule<HostHandler>[]), ...extra]),
    bodyMatchBytes: 64 * 1024,
    capabilities: CAPABILITIES,
    policy: { retries: 1, retryDelayMs: 0 },
    from: 'support@example.test',
    ownAddresses: ['support@example.test'],
    limiter: new AutoReplyLimiter(),
    runCommand: async () => ({ ok: true }),
    now: () => 1_700_000_000_000,
    sleep: async () => undefined,
    signal: new AbortController().signal,
    logger,
  });
  return { journal, executor, writes: () => writes };
}

const batch = (n: number, subject: (i: number) => string) =>
  Array.from({ length: n }, (_, i) =>
    Object.assign(testMessage({ key: `imap:INBOX:1:${i + 1}`, subject: subject(i), messageId: `<m${i}@x>` }), {
      ref: String(i + 1),
    }),
  );

describe('executor: batches', () => {
  it('marks the matching messages of a batch read with one command, in two journal writes', async () => {
    const { journal, executor, writes } = await setup([
      { name: 'invoices', subject: { contains: 'invoice' }, actions: ['markRead'] },
    ]);
    const session = recordingSession({ batch: true });
    const messages = batch(20, (i) => (i % 2 === 0 ? `invoice ${i}` : `hello ${i}`));
    await executor.processBatch(messages, session);
    expect(session.commands).toEqual(['markRead 1,3,5,7,9,11,13,15,17,19']);
    const counts = journal.messages.statusCounts('support');
    expect(counts.handled).toBe(10);
    expect(counts.unmatched).toBe(10);
    // the discovery facts with the intents, then the outcomes with the ends
    expect(writes()).toBe(2);
  });

  it('keeps the order of like actions across steps: flag all, then move all', async () => {
    const { executor } = await setup([
      { name: 'r', subject: { contains: 'x' }, actions: [{ flag: 'Done' }, { moveTo: 'Archive' }] },
    ]);
    const session = recordingSession({ batch: true });
    await executor.processBatch(
      batch(3, () => 'x'),
      session,
    );
    expect(session.commands).toEqual(['flag Done 1,2,3', 'move Archive 1,2,3']);
  });

  it('performs them one by one where the session has no batch form', async () => {
    const { journal, executor } = await setup([{ name: 'r', subject: { contains: 'x' }, actions: ['markRead'] }]);
    const session = recordingSession({ batch: false });
    await executor.processBatch(
      batch(3, () => 'x'),
      session,
    );
    expect(session.commands).toEqual(['markRead 1', 'markRead 2', 'markRead 3']);
    expect(journal.messages.statusCounts('support').handled).toBe(3);
  });

  it('tells which messages failed when the server refuses the batch command', async () => {
    const { journal, executor } = await setup([{ name: 'r', subject: { contains: 'x' }, actions: ['markRead'] }]);
    const session = recordingSession({ batch: true, refuse: (key) => key.endsWith(':2') });
    await executor.processBatch(
      batch(3, () => 'x'),
      session,
    );
    expect(session.commands).toEqual(['markRead 1', 'markRead 3']);
    expect(journal.messages.get('support', 'imap:INBOX:1:2')?.status).toBe('deadLettered');
    expect(journal.messages.statusCounts('support').handled).toBe(2);
    // Issue 13: nobody misses a dead letter — logged with mailbox, rule, message (Message-ID, subject) and code.
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'markRead failed',
        fields: expect.objectContaining({
          mailboxId: 'support',
          rule: 'r',
          messageId: '<m1@x>',
          code: 'ACTION_FAILED',
        }),
      }),
    );
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'message dead-lettered',
        fields: expect.objectContaining({ mailboxId: 'support', rule: 'r', messageId: '<m1@x>', subject: 'x' }),
      }),
    );
  });

  it('runs messages with a handler one by one between batched runs, keeping arrival order', async () => {
    const order: string[] = [];
    const host: Rule<HostHandler> = {
      name: 'host',
      match: { kind: 'subject', test: { op: 'contains', value: 'handler', caseSensitive: false } } as never,
      handler: {
        kind: 'host',
        fn: async (message, ctx) => {
          order.push(`handler ${message.ref}`);
          await ctx.markRead();
        },
      },
      actions: [],
      stop: true,
    };
    const { journal, executor } = await setup(
      [{ name: 'r', subject: { contains: 'plain' }, actions: ['markRead'] }],
      [host],
    );
    const session = recordingSession({ batch: true });
    const messages = batch(5, (i) => (i === 2 ? 'handler' : 'plain'));
    await executor.processBatch(messages, session);
    expect(order).toEqual(['handler 3']);
    expect(session.commands).toEqual(['markRead 1,2', 'markRead 3', 'markRead 4,5']);
    expect(journal.messages.statusCounts('support').handled).toBe(5);
  });

  it('skips messages the journal has handled already', async () => {
    const { executor } = await setup([{ name: 'r', subject: { contains: 'x' }, actions: ['markRead'] }]);
    const session = recordingSession({ batch: true });
    await executor.processBatch(
      batch(2, () => 'x'),
      session,
    );
    await executor.processBatch(
      batch(3, () => 'x'),
      session,
    );
    expect(session.commands).toEqual(['markRead 1,2', 'markRead 3']);
  });

  it('storm guard (issue 13.10): beyond perRulePerHour automatic mails of a rule are skipped, journaled and logged', async () => {
    const sent: string[] = [];
    const { journal, executor } = await setup(
      [{ name: 'ack', subject: { contains: 'x' }, actions: [{ reply: { text: 'Got it.' } }] }],
      [],
      { perRulePerHour: 2, sent },
    );
    const session = recordingSession({ batch: true });
    const messages = Array.from({ length: 4 }, (_, i) =>
      Object.assign(
        testMessage({ key: `imap:INBOX:1:${i + 1}`, subject: 'x', from: `p${i}@example.test`, messageId: `<r${i}@x>` }),
        { ref: String(i + 1) },
      ),
    );
    await executor.processBatch(messages, session);
    expect(sent).toHaveLength(2);
    const skipped = (await journal.store.read()).filter((e) => e.type === 'action.skipped');
    expect(skipped.map((e) => (e as { code: string }).code)).toEqual(['RULE_RATE_LIMITED', 'RULE_RATE_LIMITED']);
    expect(journal.messages.statusCounts('support').handled).toBe(4);
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        fields: expect.objectContaining({ code: 'RULE_RATE_LIMITED', rule: 'ack' }),
      }),
    );
  });
});
