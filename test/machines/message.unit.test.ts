/**
 * The message core's decisions, case by case (issue 12 point 1). The paths as a whole, with a restart after every
 * append, are in message.model.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { type DecideContext, decide, nextStep, type RulePlan } from '../../machines/message/index.js';
import { fold } from './message-driver.js';

const identity = { mailboxId: 'm', key: 'k', messageId: '<a@x>' };
const plans: RulePlan[] = [
  { name: 'a', handler: true, actions: ['markRead'] },
  { name: 'b', handler: true, actions: [] },
];
const ctx: DecideContext = { plans: (name) => plans.find((p) => p.name === name), retries: 1 };

function discovered(matched: string[]) {
  return decide(undefined, { type: 'discover', identity, subject: 's', from: 'a@x', matched, at: 0 }, ctx);
}

describe('message core', () => {
  it('records a message no rule matches as discovered and unmatched in one decision', () => {
    expect(discovered([]).map((e) => e.type)).toEqual(['message.discovered', 'message.unmatched']);
  });

  it('does nothing for a message that needs no more work', () => {
    const journal = discovered([]);
    const again = decide(
      fold(journal),
      { type: 'discover', identity, subject: 's', from: undefined, matched: [], at: 1 },
      ctx,
    );
    expect(again).toEqual([]);
  });

  it('re-identifies a known message under a new key (UIDVALIDITY changed)', () => {
    const journal = discovered(['a']);
    const moved = { ...identity, key: 'k2' };
    const events = decide(
      fold(journal),
      { type: 'discover', identity: moved, subject: 's', from: undefined, matched: ['a'], at: 1 },
      ctx,
    );
    expect(events).toEqual([
      { type: 'message.reidentified', mailboxId: 'm', key: 'k2', messageId: '<a@x>', at: 1, previousKey: 'k' },
    ]);
  });

  it('counts handler attempts per rule (regression: the counter counted across rules)', () => {
    const journal = discovered(['a', 'b']);
    const run = (step: ReturnType<typeof nextStep>) => {
      if (step.step !== 'handler' && step.step !== 'action') throw new Error(`unexpected ${step.step}`);
      journal.push(...decide(fold(journal), { type: 'start', step, at: 0 }, ctx));
      journal.push(...decide(fold(journal), { type: 'succeed', step, at: 0 }, ctx));
    };
    run(nextStep(fold(journal), ctx.plans)); // a's handler, attempt 1
    run(nextStep(fold(journal), ctx.plans)); // a's markRead
    expect(nextStep(fold(journal), ctx.plans)).toEqual({ step: 'handler', rule: 'b', attempt: 1 });
  });

  it('ends the message in the same decision as its last step', () => {
    const journal = discovered(['b']);
    const step = { step: 'handler' as const, rule: 'b', attempt: 1 };
    journal.push(...decide(fold(journal), { type: 'start', step, at: 0 }, ctx));
    const outcome = decide(fold(journal), { type: 'succeed', step, at: 0 }, ctx);
    expect(outcome.map((e) => e.type)).toEqual(['handler.succeeded', 'message.handled']);
  });

  it('dead-letters once the failure budget is spent, or at once for a terminal failure', () => {
    const step = { step: 'handler' as const, rule: 'b', attempt: 1 };
    const failure = { code: 'HANDLER_EXIT', reason: 'exit 1', retryable: true };
    const journal = discovered(['b']);
    journal.push(...decide(fold(journal), { type: 'fail', step, at: 0, failure }, ctx));
    expect(fold(journal)?.status).toBe('failed');
    journal.push(...decide(fold(journal), { type: 'fail', step, at: 0, failure }, ctx));
    expect(fold(journal)?.status).toBe('deadLettered');
    const terminal = discovered(['b']);
    terminal.push(
      ...decide(fold(terminal), { type: 'fail', step, at: 0, failure: { ...failure, retryable: false } }, ctx),
    );
    expect(fold(terminal)?.deadLetter?.code).toBe('HANDLER_EXIT');
  });

  it('does not dead-letter a failure that happened because the runtime is stopping', () => {
    const step = { step: 'handler' as const, rule: 'b', attempt: 1 };
    const journal = discovered(['b']);
    const failure = { code: 'HANDLER_ABORTED', reason: 'stopping', retryable: false };
    journal.push(...decide(fold(journal), { type: 'fail', step, at: 0, failure, stopping: true }, ctx));
    expect(fold(journal)?.status).toBe('failed');
  });

  it('dead-letters a message whose matched rule was removed from the config', () => {
    const journal = discovered(['gone']);
    expect(nextStep(fold(journal), ctx.plans)).toEqual({ step: 'ruleRemoved', rule: 'gone' });
    const events = decide(fold(journal), { type: 'advance', at: 0 }, ctx);
    expect(events[0]).toMatchObject({ type: 'message.deadLettered', code: 'RULE_REMOVED' });
  });

  it('settles a refused mail as skipped, and ends the message when it was the last step', () => {
    const only: RulePlan[] = [{ name: 'r', handler: false, actions: ['reply'] }];
    const c: DecideContext = { plans: (n) => only.find((p) => p.name === n), retries: 1 };
    const journal = decide(
      undefined,
      { type: 'discover', identity, subject: 's', from: undefined, matched: ['r'], at: 0 },
      c,
    );
    const step = { step: 'action' as const, rule: 'r', index: 0, kind: 'reply' as const };
    const events = decide(
      fold(journal),
      { type: 'start', step, at: 0, refusal: { code: 'AUTO_SUBMITTED', reason: 'auto' } },
      c,
    );
    expect(events.map((e) => e.type)).toEqual(['action.skipped', 'message.handled']);
  });
});
