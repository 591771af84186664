/**
 * Handler durations for /metrics, measured from journal events (issue 6, item 5): a start is paired with the end of
 * the same mailbox, message, rule and attempt; ends without a start and starts cut off by a stop count nothing.
 */
import { describe, expect, it } from 'vitest';
import { HandlerDurations } from '../../../runtime/http/handler-durations.js';

const m = { mailboxId: 'support', key: 'k1', messageId: null, rule: 'bounces' };

describe('HandlerDurations', () => {
  it('pairs a start with the end of the same attempt, not another attempt or rule', () => {
    const d = new HandlerDurations([1, 10]);
    d.observe({ type: 'handler.started', ...m, attempt: 1, at: 0 });
    d.observe({ type: 'handler.started', ...m, rule: 'other', attempt: 1, at: 100 });
    d.observe({ type: 'handler.succeeded', ...m, attempt: 2, at: 500 }); // no start of attempt 2
    d.observe({ type: 'handler.succeeded', ...m, attempt: 1, at: 3_000 });
    expect(d.series()).toEqual([
      { mailboxId: 'support', outcome: 'succeeded', buckets: [1, 10], cumulative: [0, 1], sum: 3, count: 1 },
    ]);
  });

  it('forgets starts cut off by a stop', () => {
    const d = new HandlerDurations([1]);
    d.observe({ type: 'handler.started', ...m, attempt: 1, at: 0 });
    d.observe({ type: 'message.interrupted', mailboxId: 'support', key: 'k1', messageId: null, at: 10 });
    d.observe({ type: 'handler.succeeded', ...m, attempt: 1, at: 20 });
    expect(d.series()).toEqual([]);
  });

  it('counts durations above the last bucket only in +Inf (count) and the sum', () => {
    const d = new HandlerDurations([1]);
    d.observe({ type: 'handler.started', ...m, attempt: 1, at: 0 });
    d.observe({
      type: 'handler.failed',
      ...m,
      attempt: 1,
      at: 5_000,
      code: 'HANDLER_TIMEOUT',
      reason: 'no exit',
      retryable: true,
    });
    expect(d.series()[0]).toMatchObject({ outcome: 'failed', cumulative: [0], count: 1, sum: 5 });
  });
});
