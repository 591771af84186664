/**
 * The types of the host API (`createAutopilot`): its options, a host rule's match, and what `stop` and `runOnce`
 * report.
 *
 * @module
 */
import type { Observable } from 'rxjs';
import type { InspectionEvent, Observer } from 'xstate';
import type { Clock, DiscoveredMessage, Logger } from '../../adapters/contract.js';
import type { OAuth2BrokerOptions } from '../../adapters/oauth2/broker.js';
import type { MailboxInput } from '../../machines/mailbox.types.js';
import type { MailboxOwnership } from '../cluster/ownership.js';
import type { AutopilotConfig, LoadOptions } from '../config/load.js';
import type { StoredEvent } from '../journal/events.js';
import type { Journal } from '../journal/journal.js';
import type { JournalStore } from '../journal/store.js';
import type { DiscoveredItem, MailboxStateView } from '../mailbox-runner.js';
import type { HostHandler } from '../pipeline/host-handler.js';
import type { MessageTrace } from '../rules/explain.js';
import type { ServiceFactory } from '../services.js';

/**
 * Options of {@link createAutopilot}.
 *
 * @example
 * ```ts
 * const autopilot = createAutopilot('autopilot.yaml', { logger: pino() });
 * ```
 */
export interface AutopilotOptions extends LoadOptions {
  /** Where the journal lives instead of `config.journal` (e.g. a `MemoryJournalStore` in tests). */
  readonly journalStore?: JournalStore;
  /** Makes each mailbox's service; default: the IMAP/POP3 adapters. */
  readonly services?: ServiceFactory;
  readonly logger?: Logger;
  /** The clock of the mailbox actors and retry delays (xstate's `SimulatedClock` in tests). */
  readonly clock?: Clock;
  /** An xstate inspection observer (see `attachInspector`). */
  readonly inspect?: Observer<InspectionEvent>;
  /** OAuth2 broker options beyond the config (tests pass a network client that reaches a local identity provider). */
  readonly oauth2?: Omit<OAuth2BrokerOptions, 'tokenCache'>;
  /** Test-only: overrides of each mailbox machine's input. Not a user option: the schedule is the spec's. */
  readonly machineInput?: Partial<MailboxInput>;
  /**
   * Issue 9 (docs/scale-out.md): share the mailboxes with other hosts. `start()` then watches only the mailboxes
   * this host owns, starting and stopping them as they move between hosts, and every journal append is fenced by
   * the mailbox's lease. Default: a `PostgresMailboxOwnership` when `config.journal` is a `postgres://` URL (and no
   * `journalStore` is given); `false` turns it off.
   */
  readonly ownership?: MailboxOwnership | false;
}

/**
 * A host rule's match: the config's match format (`{ subject: { startsWith: 'Order' } }`, `allOf`, …) or a predicate.
 *
 * @example
 * ```ts
 * const match: HostMatch = { subject: { regex: '^Order \\d+' }, from: { endsWith: '@shop.test' } };
 * ```
 */
export type HostMatch = Record<string, unknown> | ((message: DiscoveredMessage) => boolean);

/**
 * Where `stop()` left things.
 *
 * @example
 * ```ts
 * const { interrupted } = await autopilot.stop();
 * ```
 */
export interface StopResult {
  /** Messages still being handled when the deadline passed; journaled as interrupted, retried on the next start. */
  readonly interrupted: number;
}

/**
 * Options of `runOnce()`. `dryRun` (issue 15, `run --once --dry-run`): connect read-only (IMAP EXAMINE and PEEK),
 * decide every message as a real run would, and hand each message's rule trace to `onTrace` instead of handling
 * it: no handler runs, no action is performed, no mail is sent, and the journal is only read (a copy in memory
 * takes what the run appends; no writer lock is taken).
 *
 * @example
 * ```ts
 * const traces: MessageTrace[] = [];
 * await autopilot.runOnce({ dryRun: { onTrace: (trace) => traces.push(trace) } });
 * ```
 */
export interface OnceOptions {
  readonly dryRun?: { readonly onTrace: (trace: MessageTrace) => void };
}

/**
 * What `runOnce()` found for each mailbox.
 *
 * @example
 * ```ts
 * const results = await autopilot.runOnce();
 * const failed = results.filter((r) => !r.connected);
 * ```
 */
export interface OnceResult {
  readonly mailboxId: string;
  readonly connected: boolean;
  readonly error?: { readonly code: string; readonly message: string };
  /** What this run did to the mailbox's messages (issue 13: the closing summary of `run --once`). */
  readonly counts: OnceCounts;
}

/**
 * Messages of one `runOnce()` by outcome: `handled` (every step done), `unmatched` (no rule; messages the server's
 * search ruled out included), `skipped` (automatic mails not sent: loop protection, limits), `deadLettered`.
 *
 * @example
 * ```ts
 * const counts: OnceCounts = { handled: 1000, unmatched: 9000, skipped: 0, deadLettered: 0 };
 * ```
 */
export interface OnceCounts {
  readonly handled: number;
  readonly unmatched: number;
  readonly skipped: number;
  readonly deadLettered: number;
}

/**
 * A running (or ready) autopilot.
 *
 * @example
 * ```ts
 * const autopilot = createAutopilot('autopilot.yaml');
 * autopilot.rule({ subject: { equals: 'Ping' } }, async (message, ctx) => ctx.reply({ text: 'Pong' }));
 * autopilot.states$.subscribe((s) => console.log(s.mailboxId, s.state));
 * await autopilot.start();
 * process.on('SIGTERM', () => void autopilot.stop());
 * ```
 */
export interface Autopilot {
  readonly config: AutopilotConfig;
  /** Adds a rule handled by a function of the host program (after the config's rules, in call order). */
  rule(
    match: HostMatch,
    handler: HostHandler,
    options?: { name?: string; mailbox?: string; stop?: boolean },
  ): Autopilot;
  /** Opens the journal and starts every mailbox. */
  start(): Promise<void>;
  /** Connects each mailbox once, handles what is there (or with `dryRun` only traces it), and stops. */
  runOnce(options?: OnceOptions): Promise<OnceResult[]>;
  /** Stops discovery, waits for handlers in flight up to `deadlineMs` (default 30 s), records what was interrupted. */
  stop(options?: { deadlineMs?: number }): Promise<StopResult>;
  /** Asks a mailbox to try to connect now. */
  retry(mailboxId: string): void;
  /** Current state of every mailbox. */
  states(): MailboxStateView[];
  readonly messages$: Observable<DiscoveredItem>;
  readonly states$: Observable<MailboxStateView>;
  readonly events$: Observable<StoredEvent>;
  /** The journal (after `start`/`runOnce`). */
  readonly journal: Journal | undefined;
}
