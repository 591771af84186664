/**
 * One message's steps, one at a time: asks the core (`nextStep`, `decide`) what comes next, journals the intent,
 * carries out the handler or action, journals the outcome, and waits the retry delay after a retryable failure. The
 * executor uses it for messages with a handler or a mail to send, and for retries of batched ones.
 *
 * @module
 */
import type { Logger } from '../../adapters/contract.js';
import { type DecideContext, decide, nextStep, type PerformedStep } from '../../machines/message/decide.js';
import type { MessageEvent } from '../../machines/message/events.js';
import { isActionSettled, isTerminalStatus, type MessageState } from '../../machines/message/state.js';
import { handlerMetadata, idempotencyKey as makeIdempotencyKey } from '../handlers/metadata.js';
import { actionVerdict } from '../rules/action-verdict.js';
import type { Rule, RuleAction } from '../rules/types.js';
import { describeMessage, type ProcessorDeps } from './executor-types.js';
import type { HandlerContext, HandlerMessage, HostHandler } from './host-handler.js';
import { type ActionEnv, type ActionTarget, isMailAction, performAction } from './mail-actions.js';
import { rulePlans } from './plan.js';
import { describeError, type StepOutcome } from './step-outcome.js';

/** Index offset of actions a host handler performs through its context (rule actions use 0, 1, 2, …). */
const HANDLER_ACTION_BASE = 1000;

const SILENT: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** How an action ended for the one who asked for it. */
type ActionEnd = 'settled' | 'deadLettered' | 'stopped';

/**
 * A message on its way through the executor: the action target plus its body on demand.
 *
 * @example
 * ```ts
 * const target = messageTarget(message, session, () => journal.messages.lookup(message.identity));
 * ```
 */
export interface StepTarget extends ActionTarget {
  readonly body: HandlerMessage['body'];
}

/**
 * The step runner of one mailbox.
 *
 * @example
 * ```ts
 * const steps = createStepRunner(deps);
 * await steps.runMessage(target); // handled, dead-lettered, or left for the next start (stopping)
 * ```
 */
export function createStepRunner(deps: ProcessorDeps) {
  const { journal, mailboxId } = deps;
  const logger = deps.logger ?? SILENT;
  const rulesByName = new Map<string, Rule<HostHandler>>(deps.matcher.rules.map((rule) => [rule.name, rule]));
  const ctx: DecideContext = { plans: rulePlans(deps.matcher.rules), retries: deps.policy.retries };
  const env: ActionEnv = { mailboxId, from: deps.from, send: deps.send, saveSent: deps.saveSent ?? false, logger };
  const lookup = (target: ActionTarget): MessageState | undefined => journal.messages.lookup(target.message.identity);

  /** Journals the events and says what a person must know of them (failures, skipped mail, dead letters). */
  async function record(events: readonly MessageEvent[], targets: ReadonlyMap<string, ActionTarget>): Promise<void> {
    if (events.length === 0) return;
    await journal.append(events);
    for (const event of events) {
      const target = targets.get(event.key);
      const about = { mailboxId, ...(target ? describeMessage(target.message) : { key: event.key }) };
      if (event.type === 'handler.failed' || event.type === 'action.failed') {
        const what = event.type === 'handler.failed' ? 'handler failed' : `${event.kind} failed`;
        logger.warn(
          { ...about, rule: event.rule, code: event.code, retryable: event.retryable, error: event.reason },
          what,
        );
      } else if (event.type === 'action.skipped') {
        logger.warn({ ...about, rule: event.rule, code: event.code, reason: event.reason }, `${event.kind} skipped`);
      } else if (event.type === 'message.deadLettered') {
        const rule = journal.messages.get(mailboxId, event.key)?.lastFailure?.rule;
        logger.error({ ...about, rule, code: event.code, reason: event.reason }, 'message dead-lettered');
      }
    }
  }

  const one = (target: ActionTarget) => new Map([[target.message.identity.key, target]]);

  /** Loop protection and the storm guard: the recipients an automatic mail may go to, or why it must not go. */
  function verdictOf(target: ActionTarget, rule: string, action: RuleAction) {
    if (!isMailAction(action)) return { recipients: [] as readonly string[] };
    const verdict = actionVerdict(target.message, action, {
      ownAddresses: deps.ownAddresses,
      limiter: deps.limiter,
      now: deps.now(),
    });
    if (!verdict.ok) return { refusal: { code: verdict.code, reason: verdict.reason } };
    const guard = deps.stormGuard;
    if (guard && !guard.allows(mailboxId, rule, deps.now())) {
      const limit = guard.limitOf(mailboxId);
      return {
        refusal: {
          code: 'RULE_RATE_LIMITED',
          reason: `rule ${rule} sent ${limit} automatic mails within the last hour (autoReply.perRulePerHour)`,
        },
      };
    }
    return { recipients: verdict.recipients };
  }

  /** Waits the retry delay; false when stopping. */
  async function pause(): Promise<boolean> {
    if (deps.signal.aborted) return false;
    await deps.sleep(deps.policy.retryDelayMs, deps.signal);
    return !deps.signal.aborted;
  }

  /** Performs one action until it is settled, the message is dead-lettered, or the runtime stops. */
  async function runAction(target: ActionTarget, rule: string, index: number, action: RuleAction): Promise<ActionEnd> {
    const step: PerformedStep = { step: 'action', rule, index, kind: action.kind };
    // Decided once per action: the refusal, or the recipients the mail goes to on every try.
    const verdict = verdictOf(target, rule, action);
    for (;;) {
      const state = lookup(target);
      if (isActionSettled(state, rule, index)) return 'settled';
      if (state === undefined || isTerminalStatus(state.status)) return 'deadLettered';
      const inFlight = state.inFlight;
      const recovering = inFlight?.step === 'action' && inFlight.rule === rule && inFlight.index === index;
      await record(decide(state, { type: 'start', step, at: deps.now(), refusal: verdict.refusal }, ctx), one(target));
      if (verdict.refusal) return 'settled';
      try {
        const result = await performAction(env, target, { rule, index, action }, verdict.recipients ?? [], recovering);
        const sent = { sentMessageId: result.sentMessageId, recipients: result.recipients };
        const succeeded = decide(
          lookup(target),
          { type: 'succeed', step, at: deps.now(), sent, recovered: result.recovered },
          ctx,
        );
        await record(succeeded, one(target));
        if (result.recovered) {
          logger.warn(
            { mailboxId, ...describeMessage(target.message), rule, sentMessageId: result.sentMessageId },
            `${action.kind} found in the Sent folder after a crash: not sent again`,
          );
        }
        return 'settled';
      } catch (error) {
        const failure = describeError(error, 'ACTION_FAILED');
        const stopping = deps.signal.aborted;
        const failed = decide(lookup(target), { type: 'fail', step, at: deps.now(), failure, stopping }, ctx);
        await record(failed, one(target));
        if (failed.some((e) => e.type === 'message.deadLettered')) return 'deadLettered';
        if (!(await pause())) return 'stopped';
      }
    }
  }

  async function runHost(
    target: StepTarget,
    fn: HostHandler,
    rule: string,
    attempt: number,
    idempotencyKey: string,
  ): Promise<StepOutcome> {
    let calls = 0;
    const act = async (action: RuleAction) => {
      const end = await runAction(target, rule, HANDLER_ACTION_BASE + calls++, action);
      if (end === 'deadLettered') {
        throw Object.assign(new Error(`${action.kind} failed; the message was dead-lettered`), {
          code: 'ACTION_FAILED',
          retryable: false,
        });
      }
      if (end === 'stopped') {
        throw Object.assign(new Error(`${action.kind} not done: the autopilot is stopping`), { code: 'STOPPED' });
      }
    };
    const handlerMessage: HandlerMessage = { ...target.message, mailboxId, source: target.source, body: target.body };
    const context: HandlerContext = {
      idempotencyKey,
      attempt,
      rule,
      signal: deps.signal,
      reply: (content) => act({ kind: 'reply', ...content }),
      forward: (content) => act({ kind: 'forward', ...content }),
      send: (content) => act({ kind: 'send', ...content }),
      moveTo: (folder) => act({ kind: 'moveTo', folder }),
      markRead: () => act({ kind: 'markRead' }),
      flag: (flag) => act({ kind: 'flag', flag }),
      delete: () => act({ kind: 'delete' }),
    };
    try {
      await fn(handlerMessage, context);
      return { ok: true };
    } catch (error) {
      return { ok: false, ...describeError(error) };
    }
  }

  /** One handler attempt: intent, run, outcome. Resolves whether the message goes on (false: dead or stopping). */
  async function runHandler(target: StepTarget, state: MessageState, rule: Rule<HostHandler>, attempt: number) {
    const handler = rule.handler!;
    const step: PerformedStep = { step: 'handler', rule: rule.name, attempt };
    await record(decide(state, { type: 'start', step, at: deps.now() }, ctx), one(target));
    const originalKey = state.originalKey;
    let outcome: StepOutcome;
    if (handler.kind === 'command') {
      outcome = await target.source().then(
        (raw) =>
          deps.runCommand(handler, {
            source: raw,
            signal: deps.signal,
            metadata: handlerMetadata(target.message, { rule: rule.name, attempt, originalKey }),
          }),
        (error: unknown) => ({ ok: false as const, ...describeError(error) }),
      );
    } else {
      const key = makeIdempotencyKey({ mailboxId, key: originalKey, rule: rule.name });
      outcome = await runHost(target, handler.fn, rule.name, attempt, key);
    }
    const after = lookup(target);
    if (after === undefined || isTerminalStatus(after.status)) return false; // an action of the handler gave up
    if (outcome.ok) {
      await record(decide(after, { type: 'succeed', step, at: deps.now() }, ctx), one(target));
      return true;
    }
    const failure = { code: outcome.code, reason: outcome.reason, retryable: outcome.retryable };
    const failed = decide(after, { type: 'fail', step, at: deps.now(), failure, stopping: deps.signal.aborted }, ctx);
    await record(failed, one(target));
    if (failed.some((e) => e.type === 'message.deadLettered')) return false;
    return pause();
  }

  /** Runs the message's steps until it is handled or dead-lettered, or the runtime stops. */
  async function runMessage(target: StepTarget): Promise<void> {
    for (;;) {
      if (deps.signal.aborted) return;
      const state = lookup(target);
      const step = nextStep(state, ctx.plans);
      if (state === undefined || step.step === 'none') return;
      if (step.step === 'finish' || step.step === 'ruleRemoved') {
        await record(decide(state, { type: 'advance', at: deps.now() }, ctx), one(target));
        return;
      }
      const rule = rulesByName.get(step.rule)!;
      if (step.step === 'handler') {
        if (!(await runHandler(target, state, rule, step.attempt))) return;
        continue;
      }
      const end = await runAction(target, step.rule, step.index, rule.actions[step.index]!);
      if (end !== 'settled') return;
    }
  }

  return { ctx, env, rulesByName, lookup, record, runMessage };
}

/** The step runner of one mailbox (see {@link createStepRunner}). */
export type StepRunner = ReturnType<typeof createStepRunner>;
