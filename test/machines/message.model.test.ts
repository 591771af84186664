/**
 * Model-based tests of the message core (issue 12 point 1). The model's paths are every combination of rule plans
 * (handlers, folder actions, mail actions, several rules) and outcomes of each step's attempts (success, a retryable
 * failure, a terminal failure, a refused mail), enumerated exhaustively over a bounded alphabet — the core is
 * `decide`/`evolve`, not a state machine, so the paths come from this enumeration rather than from xstate/graph.
 * For every path, the run is crashed at every crash point (after every journal append and after every effect) and
 * restarted from the journal it left. Each restart must reach the same end as the uncrashed run, and no effect may
 * run more often than its journaled outcomes, except once for the step that was in flight at the crash: the
 * documented window (a handler re-runs, a folder action repeats idempotently, a mail is looked for in Sent or sent
 * again with the same Message-ID — docs/rules.md).
 */
import { describe, expect, it } from 'vitest';
import { isTerminalStatus, type RulePlan } from '../../machines/message/index.js';
import { drive, fold, type Outcome, outcomesRecorded, type World } from './message-driver.js';

const PLANS: Record<string, RulePlan[]> = {
  'handler then reply and move': [{ name: 'r1', handler: true, actions: ['reply', 'moveTo'] }],
  'folder actions only': [{ name: 'r1', handler: false, actions: ['flag', 'markRead'] }],
  'two rules': [
    { name: 'r1', handler: true, actions: [] },
    { name: 'r2', handler: false, actions: ['forward', 'delete'] },
  ],
};
const PATTERNS: Record<string, Outcome[]> = {
  ok: ['ok'],
  'fails once': ['retryable', 'ok'],
  'always fails': ['retryable', 'retryable', 'retryable', 'retryable'],
  terminal: ['terminal'],
  refused: ['refused'],
};

function stepsOf(plans: readonly RulePlan[]): { id: string; mail: boolean }[] {
  return plans.flatMap((p) => [
    ...(p.handler ? [{ id: `${p.name}:handler`, mail: false }] : []),
    ...p.actions.map((kind, index) => ({
      id: `${p.name}:${index}`,
      mail: ['reply', 'forward', 'send'].includes(kind),
    })),
  ]);
}

/** Every assignment of an outcome pattern to each step (refusals only for mail). */
function* paths(plans: readonly RulePlan[]): Generator<Record<string, Outcome[]>> {
  const steps = stepsOf(plans);
  function* go(i: number, acc: Record<string, Outcome[]>): Generator<Record<string, Outcome[]>> {
    if (i === steps.length) {
      yield { ...acc };
      return;
    }
    for (const [name, pattern] of Object.entries(PATTERNS)) {
      if (name === 'refused' && !steps[i]!.mail) continue;
      yield* go(i + 1, { ...acc, [steps[i]!.id]: pattern });
    }
  }
  yield* go(0, {});
}

function summary(journal: Parameters<typeof fold>[0]) {
  const state = fold(journal)!;
  return {
    status: state.status,
    settled: (state.actions ?? []).map((a) => `${a.rule}:${a.index}:${a.outcome}`).sort(),
    handlersDone: [...(state.handlersDone ?? [])].sort(),
  };
}

describe('message core: restart from the journal after every event', () => {
  for (const [planName, plans] of Object.entries(PLANS)) {
    it(`reaches the same end with no effect done twice outside the window — ${planName}`, () => {
      let checked = 0;
      for (const path of paths(plans)) {
        const outcome = (id: string, n: number): Outcome => {
          const pattern = path[id] ?? ['ok'];
          return pattern[Math.min(n, pattern.length - 1)]!;
        };
        const options = { plans, retries: 2, outcome };
        const cleanWorld: World = { effects: new Map() };
        const clean = drive([], cleanWorld, options);
        expect(clean.crashed).toBe(false);
        const end = summary(clean.journal);
        expect(isTerminalStatus(end.status)).toBe(true);
        // Without a crash every effect ran exactly as often as its outcomes were journaled.
        for (const [id, count] of cleanWorld.effects) expect(count).toBe(outcomesRecorded(clean.journal, id));

        for (let crashAt = 1; crashAt <= clean.points; crashAt++) {
          const world: World = { effects: new Map() };
          const first = drive([], world, { ...options, crashAfter: crashAt });
          expect(first.crashed).toBe(true);
          const second = drive(first.journal, world, options);
          expect(second.crashed).toBe(false);
          expect(summary(second.journal)).toEqual(end);
          for (const [id, count] of world.effects) {
            const allowed = outcomesRecorded(second.journal, id) + (first.inFlightAtCrash === id ? 1 : 0);
            expect(count, `${planName} ${JSON.stringify(path)} crash ${crashAt}: ${id}`).toBeLessThanOrEqual(allowed);
          }
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(50);
    });
  }
});
