/**
 * Regression (issue 13 point 3): "a second writer's appends made the first service's appends fail with a conflict
 * that was logged and swallowed: the first service stopped handling mail for good while /healthz kept answering
 * 200". A journal write that fails now stops the mailbox loudly: logged, `stopped` with the error as `lastError`,
 * and /healthz's rules fail it (503).
 */
import { describe, expect, it } from 'vitest';
import type { DiscoverySink, MailService, MailSession } from '../../adapters/contract.js';
import { evaluateHealth } from '../../runtime/http/health.js';
import { Journal } from '../../runtime/journal/journal.js';
import { MemoryJournalStore } from '../../runtime/journal/memory-store.js';
import { JournalConflictError } from '../../runtime/journal/store.js';
import { MailboxRunner } from '../../runtime/mailbox-runner.js';
import { testMessage } from './rules/message.js';

function serviceDelivering(count: number): MailService {
  const session: MailSession = {
    watch: async (sink: DiscoverySink, signal: AbortSignal) => {
      for (let i = 1; i <= count && !signal.aborted; i++) {
        await sink.next(testMessage({ key: `imap:INBOX:1:${i}`, subject: `m${i}` }));
      }
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    },
    fetchSource: async () => {
      throw new Error('unused');
    },
    fetchBody: async () => {
      throw new Error('unused');
    },
    markRead: async () => undefined,
    flag: async () => undefined,
    moveTo: async () => undefined,
    delete: async () => undefined,
    close: async () => undefined,
  };
  return {
    kind: 'imap',
    mailboxId: 'support',
    capabilities: {
      unreadOnly: true,
      markRead: true,
      flag: true,
      move: true,
      delete: true,
      folders: true,
      rawMime: true,
      push: true,
      send: false,
    },
    connect: async () => session,
  };
}

describe('a journal that refuses writes', () => {
  it('stops the mailbox loudly instead of leaving it wedged while it looks alive', async () => {
    const store = new MemoryJournalStore();
    const journal = await Journal.open(store);
    const errors: { fields: Record<string, unknown>; msg?: string }[] = [];
    const logger = {
      info: () => undefined,
      warn: () => undefined,
      error: (fields: object, msg?: string) => errors.push({ fields: fields as Record<string, unknown>, msg }),
    };
    let processed = 0;
    const runner = new MailboxRunner({
      mailboxId: 'support',
      service: serviceDelivering(3),
      journal,
      process: async () => {
        processed++;
        // What a second writer of the same mailbox does to this one's appends.
        throw new JournalConflictError('support', 4, 9);
      },
      logger,
      concurrency: 1,
      now: () => 0,
      startAt: { kind: 'all' },
    });
    const stopped = new Promise<void>((resolve) =>
      runner.states$.subscribe((s) => {
        if (s.state === 'stopped') resolve();
      }),
    );
    runner.start();
    await stopped;
    expect(processed).toBe(1);
    expect(runner.state?.lastError?.code).toBe('JOURNAL_CONFLICT');
    expect(errors).toContainEqual(
      expect.objectContaining({ fields: expect.objectContaining({ mailboxId: 'support', code: 'JOURNAL_CONFLICT' }) }),
    );
    const state = runner.state!;
    const health = evaluateHealth(
      [
        {
          mailboxId: 'support',
          state: state.state,
          running: true,
          lastCheckAt: state.lastCheckAt,
          connectedAt: state.connectedAt,
          nextAttemptAt: state.nextAttemptAt,
          stopReason: state.stopReason,
          lastError: state.lastError,
        },
      ],
      { now: 0, staleAfterMs: 60_000 },
    );
    expect(health.httpStatus).toBe(503);
    expect(health.reasons.join(' ')).toMatch(/JOURNAL_CONFLICT/);
    await runner.stop(1_000);
  });
});
