/**
 * The mailbox actor: the connection lifecycle of SPEC S8–S12 as an XState v5 machine.
 *
 * It decides *when* to connect and nothing else: sockets, protocols and messages belong to the `connect` and
 * `watch` actors the host provides (`adapters/`), and every wait goes through the actor's clock, so an xstate
 * `SimulatedClock` drives the whole schedule.
 *
 * @module
 */

import type { ActorSystem, AnyActorLogic } from 'xstate';
import { assign, fromPromise, setup } from 'xstate';
import type {
  ConnectInput,
  MailboxContext,
  MailboxErrorInfo,
  MailboxEvent,
  MailboxInput,
  WatchInput,
} from './mailbox.types.js';
import { RECONNECT_SCHEDULE_MS, UNLIMITED_RETRY_INTERVAL_MS } from './reconnect-schedule.js';

/** Longest error message kept in the context; adapters' messages are short, this bounds foreign ones. */
const MAX_ERROR_MESSAGE = 500;

/**
 * Reads the time: the `now` the input gave (the runtime always passes it), else — for embedders who pass only
 * `createActor(machine, { clock })`, as documented — the actor system's clock when it has `now()` (xstate's
 * `SimulatedClock`), else real time. The fallback reads xstate's `_clock` only because xstate offers no public way
 * to read a clock; nothing of the runtime depends on it.
 */
function clockNow(system: ActorSystem<any>, context: { readonly now: (() => number) | null }): number {
  if (context.now) return context.now();
  const clock = system?._clock as { now?: () => number } | undefined;
  return typeof clock?.now === 'function' ? clock.now() : Date.now();
}

/**
 * Turns whatever an actor rejected with into the context's error shape. Adapters throw typed errors with `code` and
 * `retryable`; anything else becomes `UNKNOWN` (retryable, since S8 retries every failure).
 */
function toErrorInfo(error: unknown, fallbackCode: string, at: number): MailboxErrorInfo {
  const candidate = (error ?? {}) as { code?: unknown; message?: unknown; retryable?: unknown };
  const code =
    typeof candidate.code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(candidate.code) ? candidate.code : fallbackCode;
  const rawMessage =
    typeof candidate.message === 'string' && candidate.message.length > 0
      ? candidate.message
      : typeof error === 'string'
        ? error
        : code;
  return {
    code,
    message: rawMessage.slice(0, MAX_ERROR_MESSAGE),
    retryable: typeof candidate.retryable === 'boolean' ? candidate.retryable : true,
    at,
  };
}

/** The error carried by a failure event, whichever way the invoked actor reported it. */
function errorOf(event: MailboxEvent | { type: string; error?: unknown }): unknown {
  return 'error' in event ? event.error : undefined;
}

/**
 * Where a failed attempt leads (S8, S9, S11), shared by the promise-style `onError` and the callback-style
 * `CONNECT_FAILED` so both kinds of `connect` actor follow one schedule.
 */
const ON_CONNECT_FAILURE = [
  {
    guard: 'scheduleExhaustedNeverConnected',
    target: 'stopped',
    actions: ['recordConnectFailure', 'recordGaveUp'],
  },
  { guard: 'scheduleExhaustedOnceConnected', target: 'unlimitedRetry', actions: 'recordConnectFailure' },
  { target: 'backoff', actions: 'recordConnectFailure' },
] as const;

const connectNotProvided = fromPromise<unknown, ConnectInput>(async ({ input }) => {
  throw Object.assign(new Error(`mailbox ${input.mailboxId}: no connect actor was provided to mailboxMachine`), {
    code: 'NO_ADAPTER',
    retryable: false,
  });
});

const watchNotProvided = fromPromise<void, WatchInput>(async ({ input }) => {
  throw Object.assign(new Error(`mailbox ${input.mailboxId}: no watch actor was provided to mailboxMachine`), {
    code: 'NO_ADAPTER',
    retryable: false,
  });
});

/**
 * The mailbox actor of SPEC S12, with exactly the states `connecting`, `polling`, `backoff`, `stopped` and
 * `unlimitedRetry`.
 *
 * - First attempt immediately; after the n-th consecutive failure of an outage it waits `schedule[n-1]` (S8).
 * - When the attempt after the 60-minute wait fails: `stopped` if it never connected since start (S9), else
 *   `unlimitedRetry`, one attempt every 60 minutes forever (S11). A connection resets the outage: the next loss
 *   waits 1 s again.
 * - `STOP` from any state → `stopped`; `RETRY` from `stopped`, `backoff` or `unlimitedRetry` → `connecting` now
 *   (from `stopped` a fresh run of attempts, as if just started, but remembering that it once connected).
 *
 * I/O is injected with `provide({ actors: { connect, watch } })`; any actor kind works. Promise and observable
 * actors report by resolving/rejecting/completing; callback actors may instead send `CONNECTED`,
 * `CONNECT_FAILED`, `CHECKED` and `CONNECTION_LOST`.
 *
 * @example
 * ```ts
 * import { createActor, fromPromise } from 'xstate';
 * import { mailboxMachine } from 'mail-autopilot';
 *
 * const machine = mailboxMachine.provide({
 *   actors: {
 *     connect: fromPromise(async ({ input }) => openImap(input.mailboxId)),
 *     watch: fromPromise(async ({ input }) => idleUntilClosed(input.connection)),
 *   },
 * });
 * const actor = createActor(machine, { input: { mailboxId: 'support' } });
 * actor.subscribe((s) => console.log(s.value, s.context.attempt, s.context.lastError?.code));
 * actor.start();
 * ```
 */
export const mailboxMachine = setup({
  types: {
    context: {} as MailboxContext,
    events: {} as MailboxEvent,
    input: {} as MailboxInput,
  },
  // Declared as any actor logic so hosts can provide promise, callback, observable or machine actors with whatever
  // output type they like (`provide` checks assignability against these declarations).
  actors: {
    connect: connectNotProvided as AnyActorLogic,
    watch: watchNotProvided as AnyActorLogic,
  },
  guards: {
    /** S9: the attempt after the last wait of S8 failed, and the mailbox never connected since start. */
    scheduleExhaustedNeverConnected: ({ context }) =>
      context.failures >= context.schedule.length && !context.everConnected,
    /** S11: the attempt after the last wait of S8 failed (or an hourly attempt failed), but it once connected. */
    scheduleExhaustedOnceConnected: ({ context }) =>
      context.failures >= context.schedule.length && context.everConnected,
  },
  delays: {
    /** S8: the wait after the n-th consecutive failure of this outage. */
    backoffDelay: ({ context }) =>
      context.schedule[Math.min(context.failures, context.schedule.length) - 1] ?? context.unlimitedRetryMs,
    /** S11: one hour. */
    unlimitedRetryDelay: ({ context }) => context.unlimitedRetryMs,
  },
  actions: {
    beginAttempt: assign(({ context }) => ({
      attempt: context.attempt + 1,
      totalAttempts: context.totalAttempts + 1,
      nextAttemptAt: null,
      stopReason: null,
    })),
    recordConnected: assign(({ context, event, system }) => {
      const now = clockNow(system, context);
      const connection =
        event.type === 'CONNECTED' ? event.connection : (event as unknown as { output?: unknown }).output;
      return {
        connection,
        everConnected: true,
        failures: 0,
        attempt: 0,
        connectedAt: now,
        lastCheckAt: now,
      };
    }),
    recordConnectFailure: assign(({ context, event, system }) => ({
      failures: context.failures + 1,
      lastError: toErrorInfo(errorOf(event), 'CONNECT_FAILED', clockNow(system, context)),
      connection: undefined,
    })),
    recordConnectionLost: assign(({ context, event, system }) => ({
      // A loss is the first failure of a new outage: the next attempt waits schedule[0] = 1 s (S8).
      failures: 1,
      attempt: 0,
      lastError: toErrorInfo(
        errorOf(event) ?? { code: 'CONNECTION_LOST', message: 'watch ended' },
        'CONNECTION_LOST',
        clockNow(system, context),
      ),
      connection: undefined,
      connectedAt: null,
    })),
    recordCheck: assign(({ context, system }) => ({ lastCheckAt: clockNow(system, context) })),
    scheduleBackoffAttempt: assign(({ context, system }) => {
      const wait = context.schedule[context.failures - 1] ?? context.unlimitedRetryMs;
      return { nextAttemptAt: clockNow(system, context) + wait };
    }),
    scheduleHourlyAttempt: assign(({ context, system }) => ({
      nextAttemptAt: clockNow(system, context) + context.unlimitedRetryMs,
    })),
    recordGaveUp: assign({ stopReason: 'gaveUp' as const, nextAttemptAt: null, connection: undefined }),
    recordStopRequested: assign(({ context, event, system }) => ({
      stopReason: 'requested' as const,
      nextAttemptAt: null,
      connection: undefined,
      connectedAt: null,
      // A stop for a reason (the runtime's journal failed) says why, so status and /healthz show it.
      lastError:
        event.type === 'STOP' && event.error !== undefined
          ? toErrorInfo(event.error, 'STOPPED', clockNow(system, context))
          : context.lastError,
    })),
    startFreshRun: assign({ failures: 0, attempt: 0 }),
  },
}).createMachine({
  id: 'mailbox',
  description: 'One mailbox (SPEC S12): connects, watches for new messages, and reconnects by the pattern of S8–S11.',
  context: ({ input }) => {
    if (!input || typeof input.mailboxId !== 'string' || input.mailboxId.length === 0) {
      throw new TypeError('mailboxMachine: input.mailboxId must be a non-empty string');
    }
    return {
      mailboxId: input.mailboxId,
      schedule: input.schedule ?? RECONNECT_SCHEDULE_MS,
      unlimitedRetryMs: input.unlimitedRetryMs ?? UNLIMITED_RETRY_INTERVAL_MS,
      now: input.now ?? null,
      attempt: 0,
      totalAttempts: 0,
      failures: 0,
      everConnected: false,
      lastError: null,
      nextAttemptAt: null,
      connectedAt: null,
      lastCheckAt: null,
      connection: undefined,
      stopReason: null,
    };
  },
  initial: 'connecting',
  on: {
    STOP: { target: '.stopped', actions: 'recordStopRequested' },
  },
  states: {
    connecting: {
      description: 'A connection attempt is running (the `connect` actor). The first attempt after start is immediate.',
      entry: 'beginAttempt',
      invoke: {
        id: 'connect',
        src: 'connect',
        input: ({ context }: { context: MailboxContext }): ConnectInput => ({
          mailboxId: context.mailboxId,
          attempt: context.attempt,
        }),
        onDone: { target: 'polling', actions: 'recordConnected' },
        onError: ON_CONNECT_FAILURE,
      },
      on: {
        CONNECTED: { target: 'polling', actions: 'recordConnected' },
        CONNECT_FAILED: ON_CONNECT_FAILURE,
      },
    },
    polling: {
      description:
        'Connected and watching for new messages (the `watch` actor). Its error or completion means the connection is lost.',
      invoke: {
        id: 'watch',
        src: 'watch',
        input: ({ context }: { context: MailboxContext }): WatchInput => ({
          mailboxId: context.mailboxId,
          connection: context.connection,
        }),
        onDone: { target: 'backoff', actions: 'recordConnectionLost' },
        onError: { target: 'backoff', actions: 'recordConnectionLost' },
      },
      on: {
        CHECKED: { actions: 'recordCheck' },
        CONNECTION_LOST: { target: 'backoff', actions: 'recordConnectionLost' },
      },
    },
    backoff: {
      description:
        'Waiting before the next attempt by S8: 1 s, 2 s … 32 s, 1 min … 32 min, 60 min. Each new outage starts at 1 s.',
      entry: 'scheduleBackoffAttempt',
      after: { backoffDelay: 'connecting' },
      on: { RETRY: 'connecting' },
    },
    unlimitedRetry: {
      description:
        'Connected at least once since start and the schedule is exhausted: one attempt every 60 minutes, without limit (S11).',
      entry: 'scheduleHourlyAttempt',
      after: { unlimitedRetryDelay: 'connecting' },
      on: { RETRY: 'connecting' },
    },
    stopped: {
      description:
        'No further attempts: gave up by S9 (never connected, 14 attempts failed) or stopped by the host. RETRY starts a fresh run of attempts.',
      on: {
        RETRY: { target: 'connecting', actions: 'startFreshRun' },
        STOP: {},
      },
    },
  },
});

/**
 * The type of {@link mailboxMachine}, for hosts that keep references to it.
 *
 * @example
 * ```ts
 * const machine: MailboxMachine = mailboxMachine;
 * ```
 */
export type MailboxMachine = typeof mailboxMachine;
