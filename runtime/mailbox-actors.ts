/**
 * Binds a {@link MailService} to the mailbox machine's `connect` and `watch` actors: the only place where the
 * machine (when) meets an adapter (how).
 *
 * @module
 */
import { fromPromise } from 'xstate';
import type { DiscoverySink, MailService, MailSession } from '../adapters/contract.js';
import type { ConnectInput, WatchInput } from '../machines/mailbox.types.js';

/**
 * The `connect` and `watch` actors for one mailbox. `connect` opens a session (and closes it again if the mailbox
 * was stopped meanwhile); `watch` runs the session's discovery until the connection is lost, reporting each
 * successful check to the mailbox actor as `CHECKED` so liveness is visible.
 *
 * @example
 * ```ts
 * const machine = mailboxMachine.provide({ actors: createMailboxActors(service, sink, () => actor.send({ type: 'CHECKED' })) });
 * createActor(machine, { input: { mailboxId: service.mailboxId } }).start();
 * ```
 */
export function createMailboxActors(
  service: MailService,
  sink: DiscoverySink | ((session: MailSession) => DiscoverySink),
  reportChecked?: () => void,
) {
  const connect = fromPromise<MailSession, ConnectInput>(async ({ signal }) => {
    const session = await service.connect(signal);
    if (signal.aborted) {
      // Stopped while connecting: the machine no longer wants this session, so nothing else would close it.
      await session.close();
    }
    return session;
  });

  const watch = fromPromise<void, WatchInput>(async ({ input, signal }) => {
    const session = input.connection as MailSession;
    const sessionSink = typeof sink === 'function' ? sink(session) : sink;
    // The mailbox actor is told of each check by the runner that owns it (passed in, not read from xstate's
    // internals), so liveness is visible.
    const reportingSink: DiscoverySink = {
      ...sessionSink,
      next: (message) => sessionSink.next(message),
      checked: () => {
        sessionSink.checked?.();
        reportChecked?.();
      },
    };
    try {
      await session.watch(reportingSink, signal);
    } finally {
      await session.close();
    }
  });

  return { connect, watch };
}
