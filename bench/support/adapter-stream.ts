/**
 * The adapter side of the benches, wired the way the runtime wires it: a mailbox actor (`mailboxMachine`) whose
 * `connect` and `watch` actors come from `runtime/mailbox-actors.ts`, and a discovery sink that pushes every
 * message into an RxJS Subject. Processing (e.g. `fetchBody`) subscribes to that stream; as in the runtime,
 * `sink.next` waits while `concurrency` messages are being processed (back-pressure).
 *
 * @module
 */
import { type Observable, Subject } from 'rxjs';
import { type Actor, createActor } from 'xstate';
import type { DiscoveredMessage, DiscoverySink, MailService, MailSession } from '../../adapters/contract.js';
import { mailboxMachine } from '../../machines/mailbox.machine.js';
import { createMailboxActors } from '../../runtime/mailbox-actors.js';

/**
 * A discovered message on the stream, with the session that can fetch its body.
 *
 * @example
 * ```ts
 * stream.messages$.subscribe(({ message, session }) => session.fetchBody(message));
 * ```
 */
export interface StreamItem {
  readonly message: DiscoveredMessage;
  readonly session: MailSession;
  /** `performance.now()` when the adapter passed it to the sink. */
  readonly at: number;
}

/**
 * A running mailbox actor and its message stream.
 *
 * @example
 * ```ts
 * const stream = startAdapterStream(service);
 * stream.messages$.subscribe((item) => console.log(item.message.envelope.subject));
 * await stream.caughtUp;
 * await stream.stop();
 * ```
 */
export interface AdapterStream {
  readonly messages$: Observable<StreamItem>;
  /**
   * Resolves when the first pass is over (the sink's `caughtUp`, or its first `checked`, whichever the adapter
   * calls first) and every message processed; rejects when the mailbox leaves `polling` for `backoff` or
   * `stopped` before that (with the adapter's error code and message).
   */
  readonly caughtUp: Promise<void>;
  /** Resolves when the actor is in `polling` (connected, watching); rejects like `caughtUp`. */
  readonly connected: Promise<void>;
  /** The actor's state value now. */
  state(): string;
  /** Stops the actor and waits for the session to be closed. */
  stop(): Promise<void>;
}

/**
 * How {@link startAdapterStream} processes each message (optional).
 *
 * @example
 * ```ts
 * const options: AdapterStreamOptions = { concurrency: 1, process: async ({ message, session }) => {
 *   await session.fetchBody(message);
 * } };
 * ```
 */
export interface AdapterStreamOptions {
  readonly process?: (item: StreamItem) => Promise<void>;
  /** Messages processed at once (the runtime's `concurrency`, default 1). */
  readonly concurrency?: number;
  /**
   * Takes each discovery batch whole, as the runtime's executor does (`DiscoverySink.nextBatch`): discovery waits
   * for it (back-pressure). When given, `process` is not used.
   */
  readonly processBatch?: (messages: readonly DiscoveredMessage[], session: MailSession) => Promise<void>;
}

/**
 * Starts a mailbox actor on `service` and exposes what it discovers as an RxJS stream.
 *
 * @example
 * ```ts
 * const stream = startAdapterStream(service, { process: ({ message, session }) => session.fetchBody(message).then(() => {}) });
 * await stream.caughtUp;
 * ```
 */
export function startAdapterStream(service: MailService, options: AdapterStreamOptions = {}): AdapterStream {
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const subject = new Subject<StreamItem>();
  const sessions = new Set<MailSession>();
  let inFlight = 0;
  const slotWaiters: (() => void)[] = [];
  let idleWaiters: (() => void)[] = [];
  let processingError: unknown;

  const process = options.process;
  if (process) {
    // The stream's consumer: processing starts as items arrive; `next` below holds discovery while all slots are busy.
    subject.subscribe((item) => {
      inFlight += 1;
      process(item)
        .catch((error) => {
          processingError ??= error;
        })
        .finally(() => {
          inFlight -= 1;
          const waiter = slotWaiters.shift();
          waiter?.();
          if (inFlight === 0) {
            const idle = idleWaiters;
            idleWaiters = [];
            for (const wake of idle) wake();
          }
        });
    });
  }
  const drained = () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r)));

  let resolveFirstPass!: () => void;
  const firstPass = new Promise<void>((resolve) => {
    resolveFirstPass = resolve;
  });
  const sinkFor = (session: MailSession): DiscoverySink => {
    sessions.add(session);
    return {
      next: (message) => {
        subject.next({ message, session, at: performance.now() });
        if (!process || inFlight < concurrency) return;
        return new Promise<void>((resolve) => slotWaiters.push(resolve));
      },
      ...(options.processBatch
        ? {
            nextBatch: async (messages: readonly DiscoveredMessage[]) => {
              for (const message of messages) subject.next({ message, session, at: performance.now() });
              await options.processBatch!(messages, session).catch((error: unknown) => {
                processingError ??= error;
              });
            },
          }
        : {}),
      checked: () => resolveFirstPass(),
      caughtUp: () => resolveFirstPass(),
      drain: drained,
    };
  };

  const machine = mailboxMachine.provide({ actors: createMailboxActors(service, sinkFor) });
  const actor: Actor<typeof mailboxMachine> = createActor(machine, { input: { mailboxId: service.mailboxId } });
  let failed: ((error: Error) => void)[] = [];
  let failure: Error | undefined;
  let resolveConnected!: () => void;
  const connectedSeen = new Promise<void>((resolve) => {
    resolveConnected = resolve;
  });
  let stopping = false;
  actor.subscribe((snapshot) => {
    if (snapshot.value === 'polling') resolveConnected();
    if (!stopping && (snapshot.value === 'backoff' || snapshot.value === 'stopped')) {
      const last = snapshot.context.lastError;
      failure ??= new Error(
        `mailbox ${service.mailboxId} went to ${String(snapshot.value)}: ${last ? `${last.code}: ${last.message}` : 'no error recorded'}`,
      );
      for (const reject of failed) reject(failure);
      failed = [];
    }
  });
  const orFailure = <T>(work: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (failure) reject(failure);
      else failed.push(reject);
      work.then(resolve, reject);
    });

  actor.start();
  const caughtUp = orFailure(
    firstPass.then(async () => {
      await drained();
      if (processingError !== undefined) throw processingError;
    }),
  );
  const connected = orFailure(connectedSeen);
  caughtUp.catch(() => undefined);
  connected.catch(() => undefined);

  return {
    messages$: subject.asObservable(),
    caughtUp,
    connected,
    state: () => String(actor.getSnapshot().value),
    async stop() {
      stopping = true;
      actor.send({ type: 'STOP' });
      actor.stop();
      // close() is idempotent: it waits for the LOGOUT the watch actor's finally may already have started.
      await Promise.all([...sessions].map((session) => session.close()));
      subject.complete();
    },
  };
}
