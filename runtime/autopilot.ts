/**
 * The host API (issue 4): `createAutopilot(config)` wires one actor per mailbox, the rules, the handlers and the
 * journal, and exposes observables of messages, mailbox states and journal events.
 *
 * @module
 */
import { type Observable, Subject } from 'rxjs';
import type { InspectionEvent, Observer } from 'xstate';
import type { DiscoveredMessage, MailService } from '../adapters/contract.js';
import { createOAuth2Broker, type OAuth2Broker, type OAuth2BrokerOptions } from '../adapters/oauth2/index.js';
import { createSmtpTransport, type SmtpTransport } from '../adapters/smtp/index.js';
import type { MailboxInput } from '../machines/mailbox.types.js';
// --- issue 9: scale-out (ownership hook; runtime/cluster) ---
import type { MailboxOwnership } from './cluster/ownership.js';
import { PostgresMailboxOwnership } from './cluster/postgres-ownership.js';
import {
  type AutopilotConfig,
  type LoadOptions,
  loadConfig,
  type MailboxConfig,
  validateConfig,
} from './config/load.js';
import { runCommand } from './handlers/run-command-adapter.js';
import type { StoredEvent } from './journal/events.js';
import { Journal } from './journal/journal.js';
import { isPostgresUrl } from './journal/postgres/location.js';
import { PostgresJournalStore } from './journal/postgres-store.js';
import { SqliteJournalStore } from './journal/sqlite-store.js';
import type { JournalStore } from './journal/store.js';
import {
  type DiscoveredItem,
  MailboxRunner,
  type MailboxStateView,
  type RuntimeClock,
  type RuntimeLogger,
} from './mailbox-runner.js';
import type { HostHandler } from './pipeline/host-handler.js';
import { createMessageProcessor } from './pipeline/process-message.js';
// --- end issue 9 ---
import { RuleMatcher } from './rules/matcher.js';
import { parseMatch, parseRules } from './rules/parse-rules.js';
import { AutoReplyLimiter } from './rules/reply-limiter.js';
import type { Rule } from './rules/types.js';
import { assertMailboxRulesSupported, createMailService, type ServiceFactory } from './services.js';

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
  readonly logger?: RuntimeLogger;
  /** The clock of the mailbox actors and retry delays (xstate's `SimulatedClock` in tests). */
  readonly clock?: RuntimeClock;
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
  /** Connects each mailbox once, handles what is there, and stops. */
  runOnce(): Promise<OnceResult[]>;
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

const SILENT: RuntimeLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function clockNow(clock: RuntimeClock | undefined): () => number {
  return clock?.now ? () => clock.now!() : () => Date.now();
}

function sleeper(clock: RuntimeClock | undefined) {
  return (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const set = clock ? clock.setTimeout.bind(clock) : setTimeout;
      const clear = clock ? clock.clearTimeout.bind(clock) : clearTimeout;
      const id = set(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clear(id);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
}

/**
 * Creates an autopilot from a config file path or an already loaded config.
 *
 * @example
 * ```ts
 * const autopilot = createAutopilot('./autopilot.yaml');
 * await autopilot.start();
 * ```
 */
export function createAutopilot(
  config: AutopilotConfig | string | Record<string, unknown>,
  options: AutopilotOptions = {},
): Autopilot {
  // A path is loaded; a plain object (as a host program writes it, or parsed YAML) is validated here, relative paths
  // resolving from the working directory; a config from loadConfig/validateConfig is used as it is.
  const resolved =
    typeof config === 'string'
      ? loadConfig(config, options)
      : typeof (config as { baseDir?: unknown }).baseDir === 'string'
        ? (config as AutopilotConfig)
        : validateConfig(config, { ...options, baseDir: process.cwd() });
  const logger = options.logger ?? SILENT;
  const now = clockNow(options.clock);
  const hostRules: { mailbox?: string; rule: Rule<HostHandler> }[] = [];
  const runners = new Map<string, MailboxRunner>();
  const transports: SmtpTransport[] = [];
  const states = new Subject<MailboxStateView>();
  const messages = new Subject<DiscoveredItem>();
  const events = new Subject<StoredEvent>();
  const stopController = new AbortController();
  let journal: Journal | undefined;
  let started = false;

  // --- issue 9: ownership hook ---
  const ownership =
    options.ownership === false
      ? undefined
      : (options.ownership ??
        (isPostgresUrl(resolved.journal) && !options.journalStore
          ? new PostgresMailboxOwnership({ url: resolved.journal, logger })
          : undefined));
  // --- end issue 9 ---

  // Config rules are checked at creation, so a bad rule fails before anything connects.
  const configRules = new Map(
    resolved.mailboxes.map((m) => {
      const rules = parseRules(m.rules, m.id) as Rule<HostHandler>[];
      // A rule needing what the service cannot do fails here, naming the rule (custom service factories decide themselves).
      if (!options.services) assertMailboxRulesSupported(m, rules);
      return [m.id, rules];
    }),
  );

  const limiters = new Map<string, AutoReplyLimiter>();
  let broker: OAuth2Broker | undefined;
  const usesOAuth2 = resolved.mailboxes.some((m) => m.oauth2);
  /** One OAuth2 broker per process, only when some mailbox uses OAuth2 (SPEC S4: a shared token cache). */
  function oauth2Broker(): OAuth2Broker | undefined {
    if (!usesOAuth2) return undefined;
    broker ??= createOAuth2Broker({
      tokenCache: resolved.tokenCache ?? `${resolved.baseDir}/autopilot.tokens.json`,
      ...options.oauth2,
    });
    return broker;
  }

  async function openJournal(owned = false): Promise<Journal> {
    if (journal) return journal;
    // Issue 9: a postgres:// journal is the PostgreSQL store; with ownership, appends carry fencing tokens.
    const base =
      options.journalStore ??
      (isPostgresUrl(resolved.journal)
        ? new PostgresJournalStore(resolved.journal, { writer: ownership?.hostId })
        : new SqliteJournalStore(resolved.journal));
    const store = owned && ownership ? ownership.guard(base) : base;
    // One limiter per mailbox (its own `autoReply` limit); each event goes to its mailbox's limiter only.
    for (const mailbox of resolved.mailboxes) {
      limiters.set(
        mailbox.id,
        new AutoReplyLimiter({ max: mailbox.autoReply.perCorrespondent, windowMs: mailbox.autoReply.window }),
      );
    }
    const projections = [{ apply: (event: StoredEvent) => limiters.get(event.mailboxId)?.apply(event) }];
    journal = await Journal.open(store, { projections });
    journal.subscribe((batch) => {
      for (const event of batch) events.next(event);
    });
    return journal;
  }

  function rulesFor(mailbox: MailboxConfig): Rule<HostHandler>[] {
    const own = configRules.get(mailbox.id) ?? [];
    const hosted = hostRules.filter((h) => !h.mailbox || h.mailbox === mailbox.id).map((h) => h.rule);
    return [...own, ...hosted];
  }

  function createRunner(
    mailbox: MailboxConfig,
    journalNow: Journal,
  ): { runner: MailboxRunner; service: MailService; transport: SmtpTransport | undefined } {
    const factory = options.services ?? createMailService;
    const oauth2 = oauth2Broker();
    const service = factory(mailbox, { handled: journalNow, logger, oauth2 });
    // The config layer resolved SMTP completely (runtime/config/resolve.ts: user, password or the mailbox's OAuth2,
    // tlsCa, allowPlaintext, from); this only passes it on.
    const smtp = mailbox.smtp;
    const smtpToken =
      smtp?.oauth2 && mailbox.oauth2 && oauth2
        ? oauth2.tokenProvider({ id: mailbox.id, user: smtp.user ?? '', oauth2: mailbox.oauth2 }, 'smtp')
        : undefined;
    const transport = smtp
      ? createSmtpTransport(
          {
            server: smtp.server,
            user: smtp.user,
            ...(smtpToken ? { accessToken: smtpToken } : { password: smtp.password }),
            tlsCa: smtp.tlsCa,
            allowPlaintext: smtp.allowPlaintext,
          },
          mailbox.id,
        )
      : undefined;
    if (transport) transports.push(transport);
    const from = smtp?.from ?? mailbox.user ?? `${mailbox.id}@localhost`;
    const limiter = limiters.get(mailbox.id) ?? new AutoReplyLimiter();
    const process = createMessageProcessor({
      mailboxId: mailbox.id,
      journal: journalNow,
      matcher: new RuleMatcher(rulesFor(mailbox)),
      capabilities: service.capabilities,
      policy: { retries: mailbox.handler.retries, retryDelayMs: mailbox.handler.retryDelay },
      // IMAP/POP3 send through their SMTP transport; MAPI services send themselves (capabilities.send).
      send: transport
        ? (mail) => transport.send(mail)
        : service.capabilities.send && service.send
          ? (mail) => service.send!(mail)
          : undefined,
      from,
      ownAddresses: [from, ...(mailbox.user ? [mailbox.user] : []), ...(mailbox.addresses ?? [])],
      limiter,
      runCommand: (spec, input) =>
        runCommand(spec, input, { baseDir: resolved.baseDir, defaultTimeoutMs: mailbox.handler.timeout }),
      now,
      sleep: sleeper(options.clock),
      signal: stopController.signal,
    });
    const runner = new MailboxRunner({
      mailboxId: mailbox.id,
      service,
      journal: journalNow,
      process,
      logger,
      concurrency: mailbox.handler.concurrency,
      clock: options.clock,
      inspect: options.inspect,
      machineInput: options.machineInput,
      now,
    });
    return { runner, service, transport };
  }

  const autopilot: Autopilot = {
    config: resolved,
    get journal() {
      return journal;
    },
    messages$: messages.asObservable(),
    states$: states.asObservable(),
    events$: events.asObservable(),

    rule(match, handler, ruleOptions = {}) {
      if (started) throw new Error('add rules before start()');
      const name = ruleOptions.name ?? `host-rule-${hostRules.length + 1}`;
      const condition =
        typeof match === 'function'
          ? ({ kind: 'predicate', test: match } as never)
          : parseMatch(match, ruleOptions.mailbox ?? '*', name);
      hostRules.push({
        mailbox: ruleOptions.mailbox,
        rule: {
          name,
          match: condition,
          handler: { kind: 'host', fn: handler },
          actions: [],
          stop: ruleOptions.stop ?? false,
        },
      });
      return autopilot;
    },

    async start() {
      if (started) return;
      started = true;
      const opened = await openJournal(true);
      // --- issue 9: ownership hook ---
      if (ownership) {
        await startOwned(ownership, opened);
        return;
      }
      // --- end issue 9 ---
      for (const mailbox of resolved.mailboxes) {
        const { runner } = createRunner(mailbox, opened);
        runners.set(mailbox.id, runner);
        runner.states$.subscribe((state) => states.next(state));
        runner.messages$.subscribe((item) => messages.next(item));
      }
      for (const runner of runners.values()) runner.start();
    },

    async runOnce() {
      if (started) throw new Error('runOnce() cannot run while started');
      started = true;
      const opened = await openJournal();
      const results = await Promise.all(resolved.mailboxes.map((mailbox) => runMailboxOnce(mailbox, opened)));
      await closeAll();
      return results;
    },

    async stop(stopOptions = {}) {
      const deadlineMs = stopOptions.deadlineMs ?? 30_000;
      await ownership?.freeze(); // issue 9: no mailbox moves while stopping; leases stay valid for the last writes
      const interrupted = await Promise.all([...runners.values()].map((runner) => runner.stop(deadlineMs)));
      stopController.abort();
      const total = interrupted.reduce((sum, n) => sum + n, 0);
      if (journal && total > 0) {
        const at = now();
        // Issue 9: other hosts' messages are in this journal too; only this host's mailboxes are its to interrupt.
        const open = journal.inFlight().filter((record) => !ownership || runners.has(record.mailboxId));
        if (open.length > 0) {
          await journal.append(
            open.map((record) => ({
              type: 'message.interrupted' as const,
              mailboxId: record.mailboxId,
              key: record.key,
              messageId: record.messageId,
              at,
              reason: `stopped while ${record.inFlight?.step ?? 'processing'} was running`,
            })),
          );
        }
      }
      // Issue 9: let the mailboxes' last appends (queued by their stop) land, then give the leases back.
      if (ownership) await journal?.refresh().catch(() => undefined);
      await ownership?.leave();
      await closeAll();
      return { interrupted: total };
    },

    retry(mailboxId) {
      runners.get(mailboxId)?.retryNow();
    },

    states() {
      return [...runners.values()].flatMap((runner) => (runner.state ? [runner.state] : []));
    },
  };

  async function closeAll(): Promise<void> {
    for (const transport of transports.splice(0)) transport.close();
    states.complete();
    messages.complete();
    events.complete();
    await journal?.close();
  }

  // --- issue 9: ownership hook (runtime/cluster/ownership.ts) -------------------------------------------------
  /** Watches only the mailboxes this host owns, starting and stopping runners as the coordinator moves them. */
  async function startOwned(coordinator: MailboxOwnership, opened: Journal): Promise<void> {
    const byId = new Map(resolved.mailboxes.map((m) => [m.id, m]));
    const transportOf = new Map<string, SmtpTransport>();
    await coordinator.start([...byId.keys()], opened, {
      acquired: async (ids) => {
        // What other hosts did with these mailboxes must be in the handled set before they are watched here.
        await opened.refresh();
        for (const [i, id] of ids.entries()) {
          // Thousands at once must not block the event loop past the lease: let the heartbeat in now and then.
          if (i > 0 && i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
          const mailbox = byId.get(id);
          if (!mailbox || runners.has(id)) continue;
          const { runner, transport } = createRunner(mailbox, opened);
          if (transport) transportOf.set(id, transport);
          runners.set(id, runner);
          runner.states$.subscribe((state) => states.next(state));
          runner.messages$.subscribe((item) => messages.next(item));
          runner.start();
        }
      },
      released: async (ids, reason) => {
        await Promise.all(
          ids.map(async (id) => {
            const runner = runners.get(id);
            if (!runner) return;
            runners.delete(id);
            // Lost or fenced: another host may act on it already, so stop at once (whatever is in flight cannot
            // journal anything more: its appends are fenced). Moving: finish in flight, then hand over.
            const interrupted = await runner.stop(reason === 'rebalance' ? coordinator.handoverDeadlineMs : 0);
            const transport = transportOf.get(id);
            transportOf.delete(id);
            if (transport) {
              transport.close();
              transports.splice(transports.indexOf(transport), 1);
            }
            if (reason === 'rebalance' && interrupted > 0) {
              const at = now();
              const open = opened.inFlight(id);
              if (open.length > 0) {
                await opened
                  .append(
                    open.map((record) => ({
                      type: 'message.interrupted' as const,
                      mailboxId: id,
                      key: record.key,
                      messageId: record.messageId,
                      at,
                      reason: 'handed over to another host while processing',
                    })),
                  )
                  .catch(() => undefined);
              }
            }
          }),
        );
        // Lets this mailbox's last journal appends (its `mailbox.stopped`) land while the lease is still held.
        if (reason === 'rebalance') await opened.refresh().catch(() => undefined);
      },
    });
  }
  // --- end issue 9 ---

  /** One connection, the first pass over what is there, then a clean close. */
  async function runMailboxOnce(mailbox: MailboxConfig, opened: Journal): Promise<OnceResult> {
    const { runner, service } = createRunner(mailbox, opened);
    const abort = new AbortController();
    try {
      const session = await service.connect(abort.signal);
      await opened.append([{ type: 'mailbox.connected', mailboxId: mailbox.id, at: now(), attempt: 1 }]);
      const sink = runner.sinkFor(session);
      // The first pass is over: let the messages in hand finish (they need the session), then end the watch.
      const caughtUp = () => {
        sink.caughtUp?.();
        void sink.drain?.().finally(() => abort.abort());
      };
      const watching = session.watch({ ...sink, caughtUp }, abort.signal);
      await watching.finally(() => session.close());
      await sink.drain?.();
      return { mailboxId: mailbox.id, connected: true };
    } catch (error) {
      const info = error as { code?: string; message?: string; retryable?: boolean };
      const code = info.code ?? 'CONNECT_FAILED';
      await opened.append([
        {
          type: 'mailbox.stopped',
          mailboxId: mailbox.id,
          at: now(),
          reason: 'requested',
          error: { code, message: info.message ?? String(error), retryable: info.retryable },
        },
      ]);
      logger.error({ mailboxId: mailbox.id, code, error: info.message }, 'mailbox could not connect');
      return { mailboxId: mailbox.id, connected: false, error: { code, message: info.message ?? String(error) } };
    }
  }

  return autopilot;
}
