/**
 * A synchronous, in-memory driver of the message core for tests: it plays the runtime's part (journal the intent,
 * do the effect in a simulated world, journal the outcome) exactly as runtime/pipeline/message-steps.ts does, and
 * can crash after any append or after any effect. The world counts how often each effect ran.
 */
import {
  type DecideContext,
  decide,
  evolve,
  type MessageCommand,
  type MessageEvent,
  type MessageState,
  nextStep,
  type PerformedStep,
  type RulePlan,
} from '../../machines/message/index.js';

/** What a step's n-th journaled attempt does: succeed, fail (retryable or not), or (mail only) be refused. */
export type Outcome = 'ok' | 'retryable' | 'terminal' | 'refused';

/** A stable name of a step ("r1:handler", "r1:0"). */
export function stepId(step: PerformedStep): string {
  return step.step === 'handler' ? `${step.rule}:handler` : `${step.rule}:${step.index}`;
}

export interface DriveOptions {
  readonly plans: readonly RulePlan[];
  readonly retries: number;
  /** Outcome of the n-th attempt (0-based, counted by the outcomes already journaled for the step). */
  readonly outcome: (id: string, n: number) => Outcome;
  /** Crash after this many crash points (appends + effects done) of this run; undefined: no crash. */
  readonly crashAfter?: number;
}

export interface World {
  /** How often each step's effect ran. */
  readonly effects: Map<string, number>;
}

export interface DriveResult {
  readonly journal: MessageEvent[];
  readonly crashed: boolean;
  /** Crash points passed in this run. */
  readonly points: number;
  /** The step in flight when it crashed (its intent journaled, no outcome), if any. */
  readonly inFlightAtCrash: string | null;
}

class Crash extends Error {}

/** Folds a message's journal with the core's evolve. */
export function fold(journal: readonly MessageEvent[]): MessageState | undefined {
  let state: MessageState | undefined;
  journal.forEach((event, i) => {
    state = evolve(state, { ...event, position: i + 1 });
  });
  return state;
}

const IDENTITY = { mailboxId: 'm', key: 'imap:INBOX:1:1', messageId: '<1@x>' } as const;

function outcomesRecorded(journal: readonly MessageEvent[], id: string): number {
  return journal.filter(
    (e) =>
      (e.type === 'handler.failed' ||
        e.type === 'handler.succeeded' ||
        e.type === 'action.failed' ||
        e.type === 'action.done' ||
        e.type === 'action.skipped') &&
      ('index' in e ? `${e.rule}:${e.index}` : `${e.rule}:handler`) === id,
  ).length;
}

/**
 * Runs the message from `journal` (a previous run's, or empty) to its end or to the crash point.
 */
export function drive(journal: readonly MessageEvent[], world: World, options: DriveOptions): DriveResult {
  const log = [...journal];
  const byName = new Map(options.plans.map((p) => [p.name, p]));
  const ctx: DecideContext = { plans: (name) => byName.get(name), retries: options.retries };
  let points = 0;
  let inFlight: string | null = null;
  const point = () => {
    points++;
    if (options.crashAfter !== undefined && points >= options.crashAfter) throw new Crash();
  };
  // One decision's events are one journal append: atomic, so a crash comes before or after all of them.
  const append = (events: readonly MessageEvent[]) => {
    if (events.length === 0) return;
    log.push(...events);
    point();
  };
  const run = (command: MessageCommand) => decide(fold(log), command, ctx);
  try {
    // A (re)start discovers the message again, as the runtime does after a crash.
    const known = fold(log);
    const matched = known && known.rules.length > 0 ? [] : options.plans.map((p) => p.name);
    append(run({ type: 'discover', identity: IDENTITY, subject: 's', from: 'a@x', matched, at: 0 }));
    for (let guard = 0; guard < 1000; guard++) {
      const state = fold(log);
      const step = nextStep(state, ctx.plans);
      if (step.step === 'none') break;
      if (step.step === 'finish' || step.step === 'ruleRemoved') {
        append(run({ type: 'advance', at: 0 }));
        continue;
      }
      const performed: PerformedStep = step;
      const id = stepId(performed);
      const planned = options.outcome(id, outcomesRecorded(log, id));
      const refusal = planned === 'refused' ? { code: 'AUTO_SUBMITTED', reason: 'automatic' } : undefined;
      append(run({ type: 'start', step: performed, at: 0, refusal }));
      if (refusal) continue;
      inFlight = id;
      world.effects.set(id, (world.effects.get(id) ?? 0) + 1);
      point();
      if (planned === 'ok') append(run({ type: 'succeed', step: performed, at: 0 }));
      else {
        const failure = { code: 'X', reason: 'x', retryable: planned === 'retryable' };
        append(run({ type: 'fail', step: performed, at: 0, failure }));
      }
      inFlight = null;
    }
    return { journal: log, crashed: false, points, inFlightAtCrash: null };
  } catch (error) {
    if (!(error instanceof Crash)) throw error;
    return { journal: log, crashed: true, points, inFlightAtCrash: inFlight };
  }
}

export { outcomesRecorded };
