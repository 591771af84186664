/**
 * Issue 9 (docs/scale-out.md): watching only the mailboxes this host owns, starting and stopping their runners as
 * the ownership coordinator moves them between hosts.
 *
 * @module
 */
import type { SmtpTransport } from '../../adapters/smtp/index.js';
import type { MailboxOwnership } from '../cluster/ownership.js';
import type { MailboxConfig } from '../config/load.js';
import type { Journal } from '../journal/journal.js';
import type { MailboxRunner } from '../mailbox-runner.js';
import type { WiredMailbox } from './mailbox-wiring.js';

/**
 * What the owned mode needs of the autopilot: its runners and how to wire and show a mailbox.
 *
 * @example
 * ```ts
 * await startOwned(coordinator, journal, { mailboxes, runners, wire, show, now, transports });
 * ```
 */
export interface OwnedHost {
  readonly mailboxes: readonly MailboxConfig[];
  readonly runners: Map<string, MailboxRunner>;
  readonly transports: SmtpTransport[];
  readonly wire: (mailbox: MailboxConfig) => WiredMailbox;
  /** Subscribes the autopilot's streams to a runner. */
  readonly show: (runner: MailboxRunner) => void;
  readonly now: () => number;
}

/** Journals the messages a hand-over cut off, so the next owner knows what may have run half-way. */
async function interruptHandedOver(journal: Journal, mailboxId: string, at: number): Promise<void> {
  const open = journal.inFlight(mailboxId);
  if (open.length === 0) return;
  await journal
    .append(
      open.map((record) => ({
        type: 'message.interrupted' as const,
        mailboxId,
        key: record.key,
        messageId: record.messageId,
        at,
        reason: 'handed over to another host while processing',
      })),
    )
    .catch(() => undefined);
}

/**
 * Starts taking part in ownership: runners start for acquired mailboxes and stop for released ones.
 *
 * @example
 * ```ts
 * await startOwned(new PostgresMailboxOwnership({ url, logger }), journal, host);
 * ```
 */
export async function startOwned(coordinator: MailboxOwnership, journal: Journal, host: OwnedHost): Promise<void> {
  const byId = new Map(host.mailboxes.map((m) => [m.id, m]));
  const transportOf = new Map<string, SmtpTransport>();
  await coordinator.start([...byId.keys()], journal, {
    acquired: async (ids) => {
      // What other hosts did with these mailboxes must be in the handled set before they are watched here.
      await journal.refresh();
      for (const [i, id] of ids.entries()) {
        // Thousands at once must not block the event loop past the lease: let the heartbeat in now and then.
        if (i > 0 && i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
        const mailbox = byId.get(id);
        if (!mailbox || host.runners.has(id)) continue;
        const { runner, transport } = host.wire(mailbox);
        if (transport) {
          transportOf.set(id, transport);
          host.transports.push(transport);
        }
        host.runners.set(id, runner);
        host.show(runner);
        runner.start();
      }
    },
    released: async (ids, reason) => {
      await Promise.all(
        ids.map(async (id) => {
          const runner = host.runners.get(id);
          if (!runner) return;
          host.runners.delete(id);
          // Lost or fenced: another host may act on it already, so stop at once (whatever is in flight cannot
          // journal anything more: its appends are fenced). Moving: finish in flight, then hand over.
          const interrupted = await runner.stop(reason === 'rebalance' ? coordinator.handoverDeadlineMs : 0);
          const transport = transportOf.get(id);
          transportOf.delete(id);
          if (transport) {
            transport.close();
            host.transports.splice(host.transports.indexOf(transport), 1);
          }
          if (reason === 'rebalance' && interrupted > 0) await interruptHandedOver(journal, id, host.now());
        }),
      );
      // Lets this mailbox's last journal appends (its `mailbox.stopped`) land while the lease is still held.
      if (reason === 'rebalance') await journal.refresh().catch(() => undefined);
    },
  });
}
