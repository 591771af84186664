/**
 * The mailbox actor's schedule (SPEC S8–S12), driven step by step by a SimulatedClock.
 */

import { Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromObservable, fromPromise, SimulatedClock } from 'xstate';
import { mailboxMachine } from '../../machines/mailbox.machine.js';
import {
  formatDuration,
  RECONNECT_SCHEDULE_MS,
  scheduleTable,
  UNLIMITED_RETRY_INTERVAL_MS,
} from '../../machines/reconnect-schedule.js';
import { startDriver } from './driver.js';

const S = 1_000;
const MIN = 60 * S;

describe('S8 schedule constants', () => {
  it('has the thirteen waits 1 s … 32 s, 1 min … 32 min, 60 min', () => {
    expect(RECONNECT_SCHEDULE_MS).toEqual([
      1 * S,
      2 * S,
      4 * S,
      8 * S,
      16 * S,
      32 * S,
      1 * MIN,
      2 * MIN,
      4 * MIN,
      8 * MIN,
      16 * MIN,
      32 * MIN,
      60 * MIN,
    ]);
    expect(UNLIMITED_RETRY_INTERVAL_MS).toBe(60 * MIN);
  });

  it('S9: a mailbox that never connects makes 14 attempts in about 2 h 4 min', () => {
    const rows = scheduleTable();
    expect(rows).toHaveLength(14);
    expect(rows[0]).toEqual({ attempt: 1, waitMs: 0, sinceFirstFailureMs: 0 });
    expect(formatDuration(rows.at(-1)!.sinceFirstFailureMs)).toBe('2 h 4 min 3 s');
  });
});

describe('a mailbox that never connects (S8, S9)', () => {
  it('attempts at once, then after each wait exactly on time, never 1 ms early, and stops after 14 attempts', async () => {
    const d = await startDriver(['fail']);
    expect(d.attemptTimes).toEqual([0]);
    expect(d.state()).toBe('backoff');

    for (const [index, wait] of RECONNECT_SCHEDULE_MS.entries()) {
      const before = d.attemptTimes.length;
      const lastAttempt = d.attemptTimes.at(-1)!;
      expect(d.actor.getSnapshot().context.nextAttemptAt).toBe(lastAttempt + wait);

      await d.advance(wait - 1);
      expect(d.attemptTimes.length, `attempt ${index + 2} must not start 1 ms early`).toBe(before);
      expect(d.state()).toBe('backoff');

      await d.advance(1);
      expect(d.attemptTimes.length, `attempt ${index + 2} must start after ${wait} ms`).toBe(before + 1);
      expect(d.attemptTimes.at(-1)).toBe(lastAttempt + wait);
    }

    const snapshot = d.actor.getSnapshot();
    expect(snapshot.value).toBe('stopped');
    expect(snapshot.context).toMatchObject({
      attempt: 14,
      totalAttempts: 14,
      everConnected: false,
      stopReason: 'gaveUp',
      nextAttemptAt: null,
      lastError: { code: 'CONNECTION_REFUSED', retryable: true, at: 7_443_000 },
    });
    expect(d.attemptTimes).toEqual(scheduleTable().map((row) => row.sinceFirstFailureMs));

    await d.advance(24 * 60 * MIN);
    expect(d.attemptTimes).toHaveLength(14);
    expect(d.state()).toBe('stopped');
  });

  it('runs with nothing but a mailboxId and a clock: without adapters it reports NO_ADAPTER and follows the schedule', async () => {
    const clock = new SimulatedClock();
    const actor = createActor(mailboxMachine, { input: { mailboxId: 'bare' }, clock }).start();
    const settle = async () => {
      for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
    };
    await settle();
    for (const wait of RECONNECT_SCHEDULE_MS) {
      expect(actor.getSnapshot().value).toBe('backoff');
      clock.increment(wait);
      await settle();
    }
    expect(actor.getSnapshot().value).toBe('stopped');
    expect(actor.getSnapshot().context.lastError?.code).toBe('NO_ADAPTER');
    expect(actor.getSnapshot().context.lastError?.message).toContain('bare');
  });

  it('refuses to start without a mailboxId', () => {
    const actor = createActor(mailboxMachine, { input: {} as never });
    const errors: unknown[] = [];
    actor.subscribe({ error: (e) => errors.push(e) });
    actor.start();
    expect(actor.getSnapshot().status).toBe('error');
    expect(String(errors[0])).toContain('mailboxId');
  });
});

describe('a mailbox that connected once (S11)', () => {
  it('after a loss, walks the schedule from 1 s, then tries every 60 min in unlimitedRetry, forever', async () => {
    const d = await startDriver(['succeed', 'fail']);
    expect(d.state()).toBe('polling');
    expect(d.actor.getSnapshot().context.everConnected).toBe(true);

    await d.loseConnection();
    expect(d.state()).toBe('backoff');
    const lostAt = d.clock.now();
    expect(d.actor.getSnapshot().context.lastError?.code).toBe('CONNECTION_LOST');
    expect(d.actor.getSnapshot().context.nextAttemptAt).toBe(lostAt + 1 * S);

    for (const wait of RECONNECT_SCHEDULE_MS) {
      expect(d.state()).toBe('backoff');
      const before = d.attemptTimes.length;
      await d.advance(wait - 1);
      expect(d.attemptTimes).toHaveLength(before);
      await d.advance(1);
      expect(d.attemptTimes).toHaveLength(before + 1);
    }
    expect(d.state()).toBe('unlimitedRetry');

    for (let hour = 0; hour < 48; hour++) {
      const before = d.attemptTimes.length;
      const last = d.attemptTimes.at(-1)!;
      expect(d.actor.getSnapshot().context.nextAttemptAt).toBe(last + 60 * MIN);
      await d.advance(60 * MIN - 1);
      expect(d.attemptTimes).toHaveLength(before);
      expect(d.state()).toBe('unlimitedRetry');
      await d.advance(1);
      expect(d.attemptTimes).toHaveLength(before + 1);
      expect(d.attemptTimes.at(-1)).toBe(last + 60 * MIN);
    }
    expect(d.state()).toBe('unlimitedRetry');
  });

  it('S9/S11: a mailbox that first connected on a later attempt never stops either', async () => {
    const d = await startDriver(['fail', 'fail', 'succeed', 'fail']);
    await d.advance(1 * S);
    await d.advance(2 * S);
    expect(d.state()).toBe('polling');
    await d.loseConnection();
    for (const wait of RECONNECT_SCHEDULE_MS) await d.advance(wait);
    expect(d.state()).toBe('unlimitedRetry');
  });

  it('leaves unlimitedRetry when a connection succeeds, and the next outage starts again at 1 s', async () => {
    const d = await startDriver(['succeed', 'fail']);
    await d.loseConnection();
    for (const wait of RECONNECT_SCHEDULE_MS) await d.advance(wait);
    expect(d.state()).toBe('unlimitedRetry');

    d.script(['succeed', 'fail']);
    await d.advance(60 * MIN);
    expect(d.state()).toBe('polling');

    await d.loseConnection();
    const lostAt = d.clock.now();
    expect(d.actor.getSnapshot().context.nextAttemptAt).toBe(lostAt + 1 * S);
    await d.advance(1 * S);
    expect(d.attemptTimes.at(-1)).toBe(lostAt + 1 * S);
    expect(d.state()).toBe('backoff');
    expect(d.actor.getSnapshot().context.nextAttemptAt).toBe(lostAt + 1 * S + 2 * S);
  });
});

describe('each new outage restarts at 1 s (S8)', () => {
  it('a success resets the schedule: after 1 s, 2 s, 4 s of failures and a success, the next loss waits 1 s', async () => {
    const d = await startDriver(['fail', 'fail', 'fail', 'succeed', 'fail', 'succeed']);
    await d.advance(1 * S);
    await d.advance(2 * S);
    await d.advance(4 * S);
    expect(d.state()).toBe('polling');
    expect(d.actor.getSnapshot().context.attempt).toBe(0);

    await d.loseConnection();
    const lostAt = d.clock.now();
    await d.advance(1 * S - 1);
    expect(d.attemptTimes).toHaveLength(4);
    await d.advance(1);
    expect(d.attemptTimes.at(-1)).toBe(lostAt + 1 * S);
    expect(d.actor.getSnapshot().context.attempt).toBe(1);
    await d.advance(2 * S);
    expect(d.state()).toBe('polling');
  });
});

describe('STOP and RETRY (host control)', () => {
  it('STOP from backoff: no further attempts, stopReason requested', async () => {
    const d = await startDriver(['fail']);
    d.actor.send({ type: 'STOP' });
    expect(d.state()).toBe('stopped');
    expect(d.actor.getSnapshot().context).toMatchObject({ stopReason: 'requested', nextAttemptAt: null });
    await d.advance(10 * 60 * MIN);
    expect(d.attemptTimes).toHaveLength(1);
  });

  it('STOP from polling stops the watch actor (its abort signal fires)', async () => {
    const clock = new SimulatedClock();
    let aborted = false;
    const machine = mailboxMachine.provide({
      actors: {
        connect: fromPromise(async () => 'session'),
        watch: fromPromise(
          ({ signal }) =>
            new Promise<void>(() => {
              signal.addEventListener('abort', () => {
                aborted = true;
              });
            }),
        ),
      },
    });
    const actor = createActor(machine, { input: { mailboxId: 'm' }, clock }).start();
    await new Promise<void>((r) => setImmediate(r));
    expect(actor.getSnapshot().value).toBe('polling');
    actor.send({ type: 'STOP' });
    expect(actor.getSnapshot().value).toBe('stopped');
    expect(aborted).toBe(true);
    expect(actor.getSnapshot().context.connection).toBeUndefined();
  });

  it('STOP while connecting aborts the attempt; a late result is ignored', async () => {
    const clock = new SimulatedClock();
    let resolveConnect: ((value: string) => void) | undefined;
    let aborted = false;
    const machine = mailboxMachine.provide({
      actors: {
        connect: fromPromise(({ signal }) => {
          signal.addEventListener('abort', () => {
            aborted = true;
          });
          return new Promise<string>((resolve) => {
            resolveConnect = resolve;
          });
        }),
      },
    });
    const actor = createActor(machine, { input: { mailboxId: 'm' }, clock }).start();
    expect(actor.getSnapshot().value).toBe('connecting');
    actor.send({ type: 'STOP' });
    expect(aborted).toBe(true);
    resolveConnect?.('late');
    await new Promise<void>((r) => setImmediate(r));
    expect(actor.getSnapshot().value).toBe('stopped');
  });

  it('RETRY from stopped (gave up) attempts at once and starts a fresh run at 1 s', async () => {
    const d = await startDriver(['fail']);
    for (const wait of RECONNECT_SCHEDULE_MS) await d.advance(wait);
    expect(d.state()).toBe('stopped');
    const now = d.clock.now();

    d.actor.send({ type: 'RETRY' });
    await d.settle();
    expect(d.attemptTimes).toHaveLength(15);
    expect(d.attemptTimes.at(-1)).toBe(now);
    expect(d.state()).toBe('backoff');
    expect(d.actor.getSnapshot().context).toMatchObject({ attempt: 1, stopReason: null, nextAttemptAt: now + 1 * S });
    // a fresh run: 14 attempts again before giving up
    for (const wait of RECONNECT_SCHEDULE_MS) await d.advance(wait);
    expect(d.attemptTimes).toHaveLength(28);
    expect(d.state()).toBe('stopped');
  });

  it('RETRY from stopped (requested) reconnects; an operator fix takes effect at once', async () => {
    const d = await startDriver(['fail']);
    d.actor.send({ type: 'STOP' });
    d.script(['succeed']);
    d.actor.send({ type: 'RETRY' });
    await d.settle();
    expect(d.state()).toBe('polling');
  });

  it('RETRY from backoff attempts now and keeps the place in the schedule', async () => {
    const d = await startDriver(['fail']);
    await d.advance(1 * S); // attempt 2 fails → waiting 2 s
    d.actor.send({ type: 'RETRY' });
    await d.settle();
    expect(d.attemptTimes).toEqual([0, 1 * S, 1 * S]);
    expect(d.actor.getSnapshot().context.nextAttemptAt).toBe(1 * S + 4 * S);
  });

  it('RETRY from unlimitedRetry attempts now', async () => {
    const d = await startDriver(['succeed', 'fail']);
    await d.loseConnection();
    for (const wait of RECONNECT_SCHEDULE_MS) await d.advance(wait);
    expect(d.state()).toBe('unlimitedRetry');
    d.script(['succeed']);
    d.actor.send({ type: 'RETRY' });
    await d.settle();
    expect(d.state()).toBe('polling');
  });

  it('RETRY is ignored while connecting or polling', async () => {
    const d = await startDriver(['succeed']);
    d.actor.send({ type: 'RETRY' });
    await d.settle();
    expect(d.state()).toBe('polling');
    expect(d.attemptTimes).toHaveLength(1);
  });
});

describe('what an observer sees', () => {
  it('lastError keeps the code and message, bounds the length and falls back for foreign errors', async () => {
    const clock = new SimulatedClock();
    const machine = mailboxMachine.provide({
      actors: {
        connect: fromPromise(async () => {
          throw new Error('x'.repeat(5_000));
        }),
      },
    });
    const actor = createActor(machine, { input: { mailboxId: 'm' }, clock }).start();
    await new Promise<void>((r) => setImmediate(r));
    const error = actor.getSnapshot().context.lastError!;
    expect(error.code).toBe('CONNECT_FAILED');
    expect(error.message.length).toBe(500);
    expect(error.retryable).toBe(true);
  });

  it('CHECKED from watch updates lastCheckAt by the actor clock', async () => {
    const clock = new SimulatedClock();
    const machine = mailboxMachine.provide({
      actors: {
        connect: fromPromise(async () => 'session'),
        watch: fromCallback(({ sendBack, receive }) => {
          receive(() => undefined);
          const timer = clock.setTimeout(() => sendBack({ type: 'CHECKED' }), 5 * S);
          return () => clock.clearTimeout(timer);
        }),
      },
    });
    const actor = createActor(machine, { input: { mailboxId: 'm' }, clock }).start();
    await new Promise<void>((r) => setImmediate(r));
    expect(actor.getSnapshot().context.connectedAt).toBe(0);
    clock.increment(5 * S);
    expect(actor.getSnapshot().context.lastCheckAt).toBe(5 * S);
  });
});

describe('any actor kind works for connect and watch', () => {
  it('callback connect (CONNECTED / CONNECT_FAILED) and callback watch (CONNECTION_LOST)', async () => {
    const clock = new SimulatedClock();
    let attempts = 0;
    const machine = mailboxMachine.provide({
      actors: {
        connect: fromCallback(({ sendBack }) => {
          attempts += 1;
          if (attempts === 1) sendBack({ type: 'CONNECT_FAILED', error: { code: 'TIMEOUT', message: 'timed out' } });
          else sendBack({ type: 'CONNECTED', connection: { id: attempts } });
        }),
        watch: fromCallback(({ sendBack, input }) => {
          const timer = clock.setTimeout(() => sendBack({ type: 'CONNECTION_LOST', error: new Error('gone') }), 10 * S);
          expect(input).toEqual({ mailboxId: 'm', connection: { id: 2 } });
          return () => clock.clearTimeout(timer);
        }),
      },
    });
    const actor = createActor(machine, { input: { mailboxId: 'm' }, clock }).start();
    expect(actor.getSnapshot().value).toBe('backoff');
    expect(actor.getSnapshot().context.lastError?.code).toBe('TIMEOUT');
    clock.increment(1 * S);
    expect(actor.getSnapshot().value).toBe('polling');
    clock.increment(10 * S);
    expect(actor.getSnapshot().value).toBe('backoff');
    expect(actor.getSnapshot().context.lastError?.code).toBe('CONNECTION_LOST');
  });

  it('observable watch: completion means the connection is lost', async () => {
    const clock = new SimulatedClock();
    const machine = mailboxMachine.provide({
      actors: {
        connect: fromPromise(async () => 'session'),
        watch: fromObservable(
          () =>
            new Observable<number>((subscriber) => {
              const timer = clock.setTimeout(() => subscriber.complete(), 3 * S);
              return () => clock.clearTimeout(timer);
            }),
        ),
      },
    });
    const actor = createActor(machine, { input: { mailboxId: 'm' }, clock }).start();
    await new Promise<void>((r) => setImmediate(r));
    expect(actor.getSnapshot().value).toBe('polling');
    clock.increment(3 * S);
    expect(actor.getSnapshot().value).toBe('backoff');
    expect(actor.getSnapshot().context.nextAttemptAt).toBe(4 * S);
  });

  it('promise watch that resolves means the connection is lost', async () => {
    const d = await startDriver(['succeed']);
    const clock = new SimulatedClock();
    const machine = mailboxMachine.provide({
      actors: { connect: fromPromise(async () => 'c'), watch: fromPromise(async () => undefined) },
    });
    const actor = createActor(machine, { input: { mailboxId: 'm' }, clock }).start();
    await new Promise<void>((r) => setImmediate(r));
    expect(actor.getSnapshot().value).toBe('backoff');
    expect(actor.getSnapshot().context.lastError?.code).toBe('CONNECTION_LOST');
    d.actor.stop();
  });
});
