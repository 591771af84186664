/**
 * A deterministic driver for the mailbox actor: a SimulatedClock, connect/watch actors whose outcomes the test
 * scripts, and a record of every attempt with the simulated time it started. No real timers, no sleeping.
 */
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import { mailboxMachine } from '../../machines/mailbox.machine.js';
import type { MailboxInput } from '../../machines/mailbox.types.js';

/** What the scripted `connect` does on an attempt. */
export type ConnectOutcome = 'fail' | 'succeed';

export interface Driver {
  readonly clock: SimulatedClock;
  readonly actor: ReturnType<typeof createActor<typeof mailboxMachine>>;
  /** Simulated start times of every connect attempt, in order. */
  readonly attemptTimes: number[];
  /** Makes the current `watch` fail (connection lost). */
  loseConnection(): Promise<void>;
  /** Sets what the following attempts do (the last entry repeats). */
  script(outcomes: ConnectOutcome[]): void;
  /** Lets promise callbacks and the actor's mailbox run. */
  settle(): Promise<void>;
  /** Advances the simulated clock by `ms` and settles. */
  advance(ms: number): Promise<void>;
  state(): string;
}

/** Creates and starts a mailbox actor driven by a SimulatedClock. */
export async function startDriver(
  outcomes: ConnectOutcome[] = ['fail'],
  input: Partial<MailboxInput> = {},
): Promise<Driver> {
  const clock = new SimulatedClock();
  const attemptTimes: number[] = [];
  let planned = [...outcomes];
  let loseCurrent: ((error: Error) => void) | undefined;

  const machine = mailboxMachine.provide({
    actors: {
      connect: fromPromise(async () => {
        attemptTimes.push(clock.now());
        const outcome = planned.length > 1 ? planned.shift() : planned[0];
        if (outcome === 'succeed') return { session: attemptTimes.length };
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:993'), {
          code: 'CONNECTION_REFUSED',
          retryable: true,
        });
      }),
      watch: fromPromise(
        () =>
          new Promise<void>((_resolve, reject) => {
            loseCurrent = reject;
          }),
      ),
    },
  });
  const actor = createActor(machine, { input: { mailboxId: 'support', ...input }, clock });
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  actor.start();
  await settle();
  return {
    clock,
    actor,
    attemptTimes,
    async loseConnection() {
      const lose = loseCurrent;
      loseCurrent = undefined;
      if (!lose) throw new Error('no watch is running');
      lose(Object.assign(new Error('socket closed'), { code: 'CONNECTION_LOST', retryable: true }));
      await settle();
    },
    script(next) {
      planned = [...next];
    },
    settle,
    async advance(ms) {
      clock.increment(ms);
      await settle();
    },
    state() {
      return String(actor.getSnapshot().value);
    },
  };
}
