/**
 * `evolve(state, event) → state`: how one journal event changes a message's state. Pure and total: the projections
 * of the runtime are folds of it, and so is every restart (the journal is the truth).
 *
 * @module
 */
import type { MessageEvent } from './events.js';
import { initialMessageState, type MessageState, type MessageStatus, type SettledAction } from './state.js';

/** A message event as stored: with its position (the fold records the last one per message). */
export type PositionedMessageEvent = MessageEvent & { readonly position: number };

function settle(actions: readonly SettledAction[] | null, action: SettledAction): readonly SettledAction[] {
  if (actions === null) return [action];
  const i = actions.findIndex((a) => a.index === action.index && a.rule === action.rule);
  if (i === -1) return [...actions, action];
  const next = actions.slice();
  next[i] = action;
  return next;
}

/**
 * The state after `event`. `state` is the message's state before it (`undefined` for a message the fold has not
 * seen: the event creates it). A `message.reidentified` event moves the message to its new key.
 *
 * @example
 * ```ts
 * let state: MessageState | undefined;
 * for (const event of eventsOfOneMessage) state = evolve(state, event);
 * state?.status; // 'handled'
 * ```
 */
export function evolve(state: MessageState | undefined, event: PositionedMessageEvent): MessageState {
  const base =
    state ??
    initialMessageState({
      mailboxId: event.mailboxId,
      key: event.key,
      messageId: event.messageId,
      at: event.at,
      position: event.position,
    });
  const touched = {
    ...base,
    messageId: base.messageId ?? event.messageId,
    updatedAt: event.at,
    lastPosition: event.position,
  };
  const status = (s: MessageStatus): MessageState => ({ ...touched, status: s });

  switch (event.type) {
    case 'message.discovered':
      return {
        ...touched,
        subject: touched.subject ?? event.subject ?? null,
        from: touched.from ?? event.from ?? null,
      };
    case 'message.matched':
      return { ...touched, rules: event.rules, status: 'matched' };
    case 'message.unmatched':
      return { ...touched, inFlight: null, status: 'unmatched' };
    case 'handler.started': {
      const before = touched.ruleAttempts?.[event.rule] ?? 0;
      return {
        ...touched,
        attempts: Math.max(touched.attempts, event.attempt),
        ruleAttempts: { ...touched.ruleAttempts, [event.rule]: Math.max(before, event.attempt) },
        inFlight: { step: 'handler', rule: event.rule, attempt: event.attempt, since: event.at },
        status: 'inProgress',
      };
    }
    case 'handler.succeeded':
      return {
        ...touched,
        inFlight: null,
        handlersDone:
          touched.handlersDone === null
            ? [event.rule]
            : touched.handlersDone.includes(event.rule)
              ? touched.handlersDone
              : [...touched.handlersDone, event.rule],
      };
    case 'handler.failed':
    case 'action.failed':
      return {
        ...touched,
        inFlight: null,
        failures: touched.failures + 1,
        lastFailure: {
          step: event.type === 'handler.failed' ? 'handler' : 'action',
          rule: event.rule,
          code: event.code,
          reason: event.reason,
          retryable: event.retryable,
          at: event.at,
        },
        status: 'failed',
      };
    case 'action.started':
      return {
        ...touched,
        inFlight: { step: 'action', rule: event.rule, index: event.index, kind: event.kind, since: event.at },
        status: 'inProgress',
      };
    case 'action.done':
    case 'action.skipped':
      return {
        ...touched,
        inFlight: null,
        actions: settle(touched.actions, {
          rule: event.rule,
          index: event.index,
          kind: event.kind,
          outcome: event.type === 'action.done' ? 'done' : 'skipped',
          sentMessageId: event.type === 'action.done' ? (event.sentMessageId ?? null) : null,
          at: event.at,
        }),
      };
    case 'message.handled':
      return { ...touched, inFlight: null, handledAt: event.at, status: 'handled' };
    case 'message.deadLettered':
      return {
        ...touched,
        inFlight: null,
        deadLetter: { reason: event.reason, code: event.code ?? null, at: event.at, position: event.position },
        status: 'deadLettered',
      };
    case 'message.retryRequested':
      return { ...touched, failures: 0, deadLetter: null, status: 'retryRequested' };
    case 'message.interrupted':
      // The in-flight step stays recorded: it tells the next start what may have run half-way.
      return status('interrupted');
    case 'message.reidentified':
      return { ...touched, key: event.key };
  }
}
