/**
 * `decide(state, command) → events`: what happens next to a message, decided purely from its state (the fold of its
 * journal events by `evolve`), the rules' plan and what the runtime reports. The runtime carries out the effect a
 * decision names and journals the events; it never decides itself. Intents (`handler.started`, `action.started`)
 * come before their effects, so a crash anywhere resumes at the right step.
 *
 * @module
 */
import type { ActionKind, MessageEvent } from './events.js';
import { evolve } from './evolve.js';
import { isActionSettled, isHandlerDone, isTerminalStatus, type MessageState } from './state.js';

/**
 * What the core needs to know of one rule: whether it has a handler, and the kinds of its built-in actions in order.
 *
 * @example
 * ```ts
 * const plan: RulePlan = { name: 'optin', handler: false, actions: ['reply', 'moveTo'] };
 * ```
 */
export interface RulePlan {
  readonly name: string;
  readonly handler: boolean;
  readonly actions: readonly ActionKind[];
}

/**
 * The rules as the core sees them, by name (`undefined`: the rule is no longer configured).
 *
 * @example
 * ```ts
 * const plans: RulePlans = (name) => rules.find((r) => r.name === name);
 * ```
 */
export type RulePlans = (rule: string) => RulePlan | undefined;

/**
 * The next thing a message needs.
 *
 * - `handler` / `action`: run that step (the runtime starts it with a `start` command).
 * - `finish`: every step of every matched rule is settled: the message is handled.
 * - `ruleRemoved`: a matched rule is gone from the config: the message is dead-lettered.
 * - `none`: nothing (terminal, or not yet matched).
 *
 * @example
 * ```ts
 * const step = nextStep(state, plans); // { step: 'action', rule: 'optin', index: 0, kind: 'reply' }
 * ```
 */
export type MessageStep =
  | { readonly step: 'handler'; readonly rule: string; readonly attempt: number }
  | { readonly step: 'action'; readonly rule: string; readonly index: number; readonly kind: ActionKind }
  | { readonly step: 'finish' }
  | { readonly step: 'ruleRemoved'; readonly rule: string }
  | { readonly step: 'none' };

/**
 * The next step of a message: the first handler or action of its matched rules, in order, that is not settled.
 *
 * @example
 * ```ts
 * nextStep(undefined, plans); // { step: 'none' }
 * ```
 */
export function nextStep(state: MessageState | undefined, plans: RulePlans): MessageStep {
  if (state === undefined || isTerminalStatus(state.status) || state.rules.length === 0) return { step: 'none' };
  for (const name of state.rules) {
    const plan = plans(name);
    if (plan === undefined) return { step: 'ruleRemoved', rule: name };
    if (plan.handler && !isHandlerDone(state, name)) {
      return { step: 'handler', rule: name, attempt: (state.ruleAttempts?.[name] ?? 0) + 1 };
    }
    for (const [index, kind] of plan.actions.entries()) {
      if (!isActionSettled(state, name, index)) return { step: 'action', rule: name, index, kind };
    }
  }
  return { step: 'finish' };
}

/** A step the runtime performs: a handler attempt, or an action (rule actions 0…, a host handler's from 1000). */
export type PerformedStep =
  | { readonly step: 'handler'; readonly rule: string; readonly attempt: number }
  | { readonly step: 'action'; readonly rule: string; readonly index: number; readonly kind: ActionKind };

/**
 * What the runtime tells the core.
 *
 * - `discover`: a message was discovered; `matched` are the rules the local matcher accepts (in order).
 * - `start`: the runtime is about to perform `step` (from {@link nextStep}, or a host handler's action);
 *   `refusal` when loop protection or the storm guard says an automatic mail must not go out.
 * - `succeed` / `fail`: the outcome of a started step.
 * - `advance`: settle what needs no effect (`finish`, `ruleRemoved`).
 *
 * @example
 * ```ts
 * decide(state, { type: 'succeed', step, at: now, sent: { sentMessageId: '<r@x>', recipients: ['ada@x'] } }, ctx);
 * ```
 */
export type MessageCommand =
  | {
      readonly type: 'discover';
      readonly identity: { readonly mailboxId: string; readonly key: string; readonly messageId: string | null };
      readonly subject: string;
      readonly from: string | undefined;
      readonly matched: readonly string[];
      readonly at: number;
    }
  | {
      readonly type: 'start';
      readonly step: PerformedStep;
      readonly at: number;
      readonly refusal?: { readonly code: string; readonly reason: string };
    }
  | {
      readonly type: 'succeed';
      readonly step: PerformedStep;
      readonly at: number;
      readonly sent?: { readonly sentMessageId?: string; readonly recipients?: readonly string[] };
      /** The outcome was found after a crash (e.g. the sent mail in the Sent folder), not performed now. */
      readonly recovered?: boolean;
    }
  | {
      readonly type: 'fail';
      readonly step: PerformedStep;
      readonly at: number;
      readonly failure: { readonly code: string; readonly reason: string; readonly retryable: boolean };
      /** The runtime is stopping: record the failure, but do not dead-letter (the next start retries). */
      readonly stopping?: boolean;
    }
  | { readonly type: 'advance'; readonly at: number };

/**
 * What the decisions depend on besides the state.
 *
 * @example
 * ```ts
 * const ctx: DecideContext = { plans, retries: 3 };
 * ```
 */
export interface DecideContext {
  readonly plans: RulePlans;
  /** Failures tolerated before a message is dead-lettered (the handler policy's `retries`). */
  readonly retries: number;
}

/**
 * The events a command leads to. Empty when nothing is to be recorded (a terminal message discovered again, an
 * action already settled). Appending them and folding them with `evolve` gives the next state.
 *
 * @example
 * ```ts
 * const events = decide(journal.messages.lookup(identity), { type: 'discover', identity, subject, from, matched, at }, ctx);
 * await journal.append(events);
 * ```
 */
export function decide(state: MessageState | undefined, command: MessageCommand, ctx: DecideContext): MessageEvent[] {
  switch (command.type) {
    case 'discover':
      return discover(state, command);
    case 'start':
      return state === undefined ? [] : start(state, command, ctx);
    case 'succeed':
      return state === undefined ? [] : succeed(state, command, ctx);
    case 'fail':
      return state === undefined ? [] : fail(state, command, ctx);
    case 'advance':
      return state === undefined ? [] : advance(state, command.at, ctx);
  }
}

function baseOf(state: MessageState, at: number) {
  return { mailboxId: state.mailboxId, key: state.key, messageId: state.messageId, at };
}

function discover(state: MessageState | undefined, command: Extract<MessageCommand, { type: 'discover' }>) {
  const { identity, at } = command;
  const base = { mailboxId: identity.mailboxId, key: identity.key, messageId: identity.messageId, at };
  const events: MessageEvent[] = [];
  if (state === undefined) {
    events.push({ type: 'message.discovered', ...base, subject: command.subject, from: command.from });
  } else if (state.key !== identity.key) {
    // UIDVALIDITY changed (or the message moved back): the same message under a new key.
    events.push({ type: 'message.reidentified', ...base, previousKey: state.key });
  }
  const status = state?.status;
  if (status !== undefined && isTerminalStatus(status)) return events;
  if (state === undefined || state.rules.length === 0) {
    events.push(
      command.matched.length === 0
        ? { type: 'message.unmatched', ...base }
        : { type: 'message.matched', ...base, rules: command.matched },
    );
  }
  return events;
}

/** The events that end a message when `after` (the state with `events` applied) has nothing left to do. */
function closing(after: MessageState, at: number, ctx: DecideContext): MessageEvent[] {
  const next = nextStep(after, ctx.plans);
  if (next.step === 'finish') return [{ type: 'message.handled', ...baseOf(after, at) }];
  return [];
}

function foldLocal(state: MessageState, events: readonly MessageEvent[]): MessageState {
  let s = state;
  for (const event of events) s = evolve(s, { ...event, position: s.lastPosition });
  return s;
}

function start(state: MessageState, command: Extract<MessageCommand, { type: 'start' }>, ctx: DecideContext) {
  if (isTerminalStatus(state.status)) return [];
  const base = baseOf(state, command.at);
  const step = command.step;
  if (step.step === 'handler') {
    if (isHandlerDone(state, step.rule)) return [];
    return [{ type: 'handler.started', ...base, rule: step.rule, attempt: step.attempt } satisfies MessageEvent];
  }
  if (isActionSettled(state, step.rule, step.index)) return [];
  const where = { rule: step.rule, index: step.index, kind: step.kind };
  if (command.refusal) {
    const skipped: MessageEvent = { type: 'action.skipped', ...base, ...where, ...command.refusal };
    return [skipped, ...closing(foldLocal(state, [skipped]), command.at, ctx)];
  }
  return [{ type: 'action.started', ...base, ...where } satisfies MessageEvent];
}

function succeed(state: MessageState, command: Extract<MessageCommand, { type: 'succeed' }>, ctx: DecideContext) {
  if (isTerminalStatus(state.status)) return [];
  const base = baseOf(state, command.at);
  const step = command.step;
  let outcome: MessageEvent;
  if (step.step === 'handler') {
    outcome = { type: 'handler.succeeded', ...base, rule: step.rule, attempt: step.attempt };
  } else {
    outcome = {
      type: 'action.done',
      ...base,
      rule: step.rule,
      index: step.index,
      kind: step.kind,
      ...(command.sent?.sentMessageId !== undefined ? { sentMessageId: command.sent.sentMessageId } : {}),
      ...(command.sent?.recipients !== undefined ? { recipients: command.sent.recipients } : {}),
      ...(command.recovered ? { recovered: true } : {}),
    };
  }
  // The last step's outcome and the end are one write: a message moved away can never be left unfinished.
  return [outcome, ...closing(foldLocal(state, [outcome]), command.at, ctx)];
}

function fail(state: MessageState, command: Extract<MessageCommand, { type: 'fail' }>, ctx: DecideContext) {
  if (isTerminalStatus(state.status)) return [];
  const base = baseOf(state, command.at);
  const { step, failure } = command;
  const failed: MessageEvent =
    step.step === 'handler'
      ? { type: 'handler.failed', ...base, rule: step.rule, attempt: step.attempt, ...failure }
      : { type: 'action.failed', ...base, rule: step.rule, index: step.index, kind: step.kind, ...failure };
  if (command.stopping) return [failed];
  const failures = state.failures + 1;
  if (failure.retryable && failures <= ctx.retries) return [failed];
  const reason =
    step.step === 'handler'
      ? `handler of rule ${step.rule} failed ${step.attempt} time(s): ${failure.reason}`
      : `${step.kind} failed: ${failure.reason}`;
  return [failed, { type: 'message.deadLettered', ...base, code: failure.code, reason } satisfies MessageEvent];
}

function advance(state: MessageState, at: number, ctx: DecideContext): MessageEvent[] {
  const next = nextStep(state, ctx.plans);
  const base = baseOf(state, at);
  if (next.step === 'finish') return [{ type: 'message.handled', ...base }];
  if (next.step === 'ruleRemoved') {
    return [
      {
        type: 'message.deadLettered',
        ...base,
        code: 'RULE_REMOVED',
        reason: `rule ${next.rule} matched this message but is no longer configured`,
      },
    ];
  }
  return [];
}

/**
 * Whether a failure leaves the message to be tried again (the budget lasts and the failure is retryable).
 *
 * @example
 * ```ts
 * if (willRetry(events)) await sleep(retryDelayMs);
 * ```
 */
export function willRetry(events: readonly MessageEvent[]): boolean {
  return events.some((e) => e.type === 'handler.failed' || e.type === 'action.failed') && !isDeadLettered(events);
}

/**
 * Whether the events dead-letter the message.
 *
 * @example
 * ```ts
 * if (isDeadLettered(events)) log.error('dead-lettered');
 * ```
 */
export function isDeadLettered(events: readonly MessageEvent[]): boolean {
  return events.some((e) => e.type === 'message.deadLettered');
}
