/**
 * The rules as the message core sees them (`RulePlans`), and the questions the executor asks of a message's remaining
 * steps: can they run as batch commands, does a step need the message's source.
 *
 * @module
 */
import type { RulePlans } from '../../machines/message/decide.js';
import type { ActionKind } from '../../machines/message/events.js';
import { isActionSettled, isHandlerDone, isTerminalStatus, type MessageState } from '../../machines/message/state.js';
import type { Rule } from '../rules/types.js';

/** Folder actions that one protocol command can do for a whole set of messages. */
const BATCHABLE: ReadonlySet<ActionKind> = new Set(['markRead', 'flag', 'moveTo', 'delete']);

/**
 * The plans of a list of rules, by name.
 *
 * @example
 * ```ts
 * const plans = rulePlans(matcher.rules);
 * plans('optin'); // { name: 'optin', handler: false, actions: ['reply', 'moveTo'] }
 * ```
 */
export function rulePlans(rules: readonly Rule<unknown>[]): RulePlans {
  const byName = new Map(
    rules.map((rule) => [
      rule.name,
      { name: rule.name, handler: rule.handler !== null, actions: rule.actions.map((a) => a.kind as ActionKind) },
    ]),
  );
  return (name) => byName.get(name);
}

/** Each unsettled step of the message's matched rules, in order: a handler (`null` kind) or an action kind. */
function* remaining(state: MessageState, rules: ReadonlyMap<string, Rule<unknown>>) {
  for (const name of state.rules) {
    const rule = rules.get(name);
    if (rule === undefined) return;
    if (rule.handler !== null && !isHandlerDone(state, name)) yield { rule, kind: null };
    for (const [index, action] of rule.actions.entries()) {
      if (!isActionSettled(state, name, index)) yield { rule, kind: action.kind as ActionKind };
    }
  }
}

/**
 * Whether every step a message still needs is a folder action (markRead, flag, moveTo, delete): such messages of a
 * batch go through their steps together, one protocol command per like action.
 *
 * @example
 * ```ts
 * if (isBatchable(journal.messages.lookup(identity), rulesByName)) batch.push(message);
 * ```
 */
export function isBatchable(state: MessageState | undefined, rules: ReadonlyMap<string, Rule<unknown>>): boolean {
  if (state === undefined || isTerminalStatus(state.status) || state.rules.length === 0) return false;
  // A failed step waits for its retry delay: that is the one-by-one path's business.
  if (state.status === 'failed') return false;
  for (const step of remaining(state, rules)) {
    if (step.kind === null || !BATCHABLE.has(step.kind)) return false;
  }
  return true;
}

/**
 * Whether a remaining step surely needs the message's source (a command handler reads it on stdin; a forward
 * attaches it), so it is worth fetching with others in one batched fetch.
 *
 * @example
 * ```ts
 * const wanted = targets.filter((t) => needsSource(journal.messages.lookup(t.message.identity), rulesByName));
 * ```
 */
export function needsSource(state: MessageState | undefined, rules: ReadonlyMap<string, Rule<unknown>>): boolean {
  if (state === undefined || isTerminalStatus(state.status)) return false;
  for (const step of remaining(state, rules)) {
    if (step.kind === null && step.rule.handler?.kind === 'command') return true;
    if (step.kind === 'forward') return true;
  }
  return false;
}
