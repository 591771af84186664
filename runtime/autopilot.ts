/**
 * The host API (issue 4): `createAutopilot(config)` wires one actor per mailbox, the rules, the handlers and the
 * journal, and exposes observables of messages, mailbox states and journal events. This module is the public API
 * only; the parts live in `runtime/autopilot/` (config input, wiring of a mailbox, `runOnce`, owned mode). Heavy
 * parts load when they are needed: PostgreSQL only for a `postgres://` journal, OAuth2 only with `oauth2:`.
 *
 * @module
 */
import { Subject } from 'rxjs';
import type { Logger } from '../adapters/contract.js';
import type { OAuth2Broker } from '../adapters/oauth2/broker.js';
import type { SmtpTransport } from '../adapters/smtp/index.js';
import { clockNow } from './autopilot/clock.js';
import { resolveConfigInput } from './autopilot/config-input.js';
import { announceFirstPasses } from './autopilot/first-pass-announce.js';
import { type WiringContext, wireMailbox } from './autopilot/mailbox-wiring.js';
import { startOwned } from './autopilot/owned.js';
import { countOnce, runMailboxOnce } from './autopilot/run-once.js';
import type { Autopilot, AutopilotOptions, HostMatch, OnceOptions, OnceResult } from './autopilot/types.js';
import type { MailboxOwnership } from './cluster/ownership.js';
import type { AutopilotConfig, MailboxConfig } from './config/load.js';
import { type Checkpointer, startCheckpoints } from './journal/checkpoint-wiring.js';
import type { StoredEvent } from './journal/events.js';
import { Journal } from './journal/journal.js';
import { isPostgresUrl } from './journal/postgres/location.js';
import { copyIntoMemory, readOnlyJournalCopy } from './journal/read-only-copy.js';
import { assertPrunedHistoryCovered } from './journal/retention-guard.js';
import { RetentionRunner } from './journal/retention-runner.js';
import type { JournalStore } from './journal/store.js';
import type { DiscoveredItem, MailboxRunner, MailboxStateView } from './mailbox-runner.js';
import type { HostHandler } from './pipeline/host-handler.js';
import type { MessageTrace } from './rules/explain.js';
import { parseMatch, parseRules } from './rules/parse-rules.js';
import { perMailbox } from './rules/per-mailbox-limiters.js';
import { AutoReplyLimiter } from './rules/reply-limiter.js';
import { RuleSendLimiter } from './rules/rule-send-limiter.js';
import type { Rule } from './rules/types.js';
import { assertMailboxRulesSupported } from './services.js';

export type {
  Autopilot,
  AutopilotOptions,
  HostMatch,
  OnceCounts,
  OnceOptions,
  OnceResult,
  StopResult,
} from './autopilot/types.js';

const SILENT: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The journal store of a config: SQLite by default, PostgreSQL for a `postgres://` URL (loaded only then). */
async function openStore(config: AutopilotConfig, writer: string | undefined): Promise<JournalStore> {
  if (isPostgresUrl(config.journal)) {
    const { PostgresJournalStore } = await import('./journal/postgres-store.js');
    return new PostgresJournalStore(config.journal, { writer });
  }
  const { SqliteJournalStore } = await import('./journal/sqlite-store.js');
  return new SqliteJournalStore(config.journal);
}

/**
 * Creates an autopilot from a config file path, a config from `loadConfig`/`validateConfig`, or a plain object as
 * a host program writes it (validated, defaults applied). A bad config or rule throws here, before anything
 * connects.
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
  const resolved = resolveConfigInput(config, options);
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
  let journalStore: JournalStore | undefined;
  let retention: RetentionRunner | undefined;
  let checkpointer: Checkpointer | undefined;
  let wiring: WiringContext | undefined;
  let ownership: MailboxOwnership | undefined;
  let started = false;

  // Config rules are checked at creation, so a bad rule fails before anything connects.
  const configRules = new Map(
    resolved.mailboxes.map((m) => {
      const rules = parseRules(m.rules, m.id) as Rule<HostHandler>[];
      // A rule needing what the service cannot do fails here, naming the rule (custom service factories decide).
      if (!options.services) assertMailboxRulesSupported(m, rules);
      return [m.id, rules];
    }),
  );
  const rulesFor = (mailbox: MailboxConfig): Rule<HostHandler>[] => [
    ...(configRules.get(mailbox.id) ?? []),
    ...hostRules.filter((h) => !h.mailbox || h.mailbox === mailbox.id).map((h) => h.rule),
  ];

  /** Issue 9: a postgres:// journal shares the mailboxes with other hosts unless told otherwise. */
  async function ownershipOf(): Promise<MailboxOwnership | undefined> {
    if (options.ownership === false) return undefined;
    if (options.ownership) return options.ownership;
    if (!isPostgresUrl(resolved.journal) || options.journalStore) return undefined;
    const { PostgresMailboxOwnership } = await import('./cluster/postgres-ownership.js');
    return new PostgresMailboxOwnership({ url: resolved.journal, logger });
  }

  /** One OAuth2 broker per process, only when some mailbox uses OAuth2 (SPEC S4: a shared token cache). */
  async function oauth2Broker(): Promise<OAuth2Broker | undefined> {
    if (!resolved.mailboxes.some((m) => m.oauth2)) return undefined;
    const { createOAuth2Broker } = await import('../adapters/oauth2/broker.js');
    return createOAuth2Broker({
      tokenCache: resolved.tokenCache ?? `${resolved.baseDir}/autopilot.tokens.json`,
      // OAUTH_LOGIN_REQUIRED names a `login --config FILE` command that works as printed, also for host programs.
      ...(resolved.file ? { configFile: resolved.file } : {}),
      ...options.oauth2,
    });
  }

  /** The journal store: the real one, or for a dry run a copy in memory that nothing is written through. */
  async function storeOf(dryRun: boolean): Promise<JournalStore> {
    if (!dryRun) return options.journalStore ?? (await openStore(resolved, ownership?.hostId));
    return options.journalStore ? copyIntoMemory(options.journalStore) : readOnlyJournalCopy(resolved.journal);
  }

  /** Opens the journal with the projections the mailboxes need, and everything every mailbox shares. */
  async function open(owned: boolean, onTrace?: (trace: MessageTrace) => void): Promise<WiringContext> {
    if (wiring) return wiring;
    if (owned) ownership = await ownershipOf();
    const base = await storeOf(onTrace !== undefined);
    // With ownership, every append carries the mailbox's fencing token (issue 9).
    const store = ownership ? ownership.guard(base) : base;
    journalStore = store;
    // One limiter per mailbox (its own `autoReply` limit); each event goes to its mailbox's limiter only.
    const limiters = new Map(
      resolved.mailboxes.map((m) => [
        m.id,
        new AutoReplyLimiter({ max: m.autoReply.perCorrespondent, windowMs: m.autoReply.window }),
      ]),
    );
    const perRule = new Map(resolved.mailboxes.map((m) => [m.id, m.autoReply.perRulePerHour]));
    // The limit is the config's (its default is the schema's); a mailbox the config does not have sends nothing.
    const stormGuard = new RuleSendLimiter({ perHour: (id) => perRule.get(id) ?? 0 });
    const projections = [perMailbox(limiters), stormGuard];
    journal = await Journal.open(store, {
      projections,
      onSnapshotIgnored: ({ position, reason }) =>
        logger.warn({ position, reason }, 'journal snapshot ignored: folding the journal from an earlier point'),
    });
    try {
      await assertPrunedHistoryCovered(journal); // issue 16: never fold a pruned journal from before its checkpoint
    } catch (error) {
      await journal.close();
      journal = undefined;
      throw error;
    }
    journal.subscribe((batch) => {
      for (const event of batch) events.next(event);
    });
    checkpointer = startCheckpoints(journal, resolved.checkpoint, now, logger);
    wiring = {
      config: resolved,
      options,
      logger,
      now,
      journal,
      oauth2: await oauth2Broker(),
      limiters,
      stormGuard,
      signal: stopController.signal,
      rulesFor,
      ...(onTrace ? { onTrace } : {}),
    };
    return wiring;
  }

  const show = (runner: MailboxRunner) => {
    runner.states$.subscribe((state) => states.next(state));
    runner.messages$.subscribe((item) => messages.next(item));
  };
  const wire = (mailbox: MailboxConfig) => {
    const wired = wireMailbox(mailbox, wiring!);
    if (wired.transport) transports.push(wired.transport);
    return wired;
  };

  /** Issue 16: with `journal.retain`, the journal is pruned (on the host's clock); `undefined` when it is off. */
  function retentionRunner(): RetentionRunner | undefined {
    if (resolved.journalRetainMs === undefined || !journalStore) return undefined;
    return new RetentionRunner({
      store: journalStore,
      retainMs: resolved.journalRetainMs,
      logger,
      ...(options.clock ? { clock: options.clock } : {}),
    });
  }

  async function closeAll(): Promise<void> {
    await retention?.stop();
    for (const transport of transports.splice(0)) transport.close();
    states.complete();
    messages.complete();
    events.complete();
    await checkpointer?.stop();
    await journal?.close();
  }

  /** Journals what a stop cut off in this host's mailboxes, so the next start knows what may have run half-way. */
  async function recordInterrupted(): Promise<void> {
    if (!journal) return;
    const at = now();
    // Issue 9: other hosts' messages are in this journal too; only this host's mailboxes are its to interrupt.
    const open = journal.inFlight().filter((record) => !ownership || runners.has(record.mailboxId));
    if (open.length === 0) return;
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

  const autopilot: Autopilot = {
    config: resolved,
    get journal() {
      return journal;
    },
    messages$: messages.asObservable(),
    states$: states.asObservable(),
    events$: events.asObservable(),

    rule(match: HostMatch, handler: HostHandler, ruleOptions = {}) {
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
      const shared = await open(true);
      retention = retentionRunner();
      retention?.start(); // in the background: once shortly after start, then hourly
      if (ownership) {
        await startOwned(ownership, shared.journal, {
          mailboxes: resolved.mailboxes,
          runners,
          transports,
          wire,
          show,
          now,
        });
        return;
      }
      // Issue 15: a mailbox with an empty journal first says what its first pass will do.
      await announceFirstPasses(resolved.mailboxes, shared);
      for (const mailbox of resolved.mailboxes) {
        const { runner } = wire(mailbox);
        runners.set(mailbox.id, runner);
        show(runner);
      }
      for (const runner of runners.values()) runner.start();
    },

    async runOnce(onceOptions: OnceOptions = {}): Promise<OnceResult[]> {
      if (started) throw new Error('runOnce() cannot run while started');
      started = true;
      const shared = await open(false, onceOptions.dryRun?.onTrace);
      // A dry run journals nothing: it announces nothing either (its trace says what each message would get).
      if (!onceOptions.dryRun) await announceFirstPasses(resolved.mailboxes, shared);
      const counting = countOnce(
        shared.journal,
        resolved.mailboxes.map((m) => m.id),
      );
      const results = await Promise.all(
        resolved.mailboxes.map((mailbox) => runMailboxOnce(mailbox.id, wire(mailbox), shared.journal, logger, now)),
      );
      counting.stop();
      // Issue 16: a `run --once` from cron has no background timer; it prunes once, after its work.
      // Issue 16: the final checkpoint first, so the pass may reach the one before it (see retention.ts).
      await checkpointer?.stop();
      retention = retentionRunner();
      await retention?.runNow();
      await closeAll();
      return results.map((result) => ({ ...result, counts: counting.of(result.mailboxId) }));
    },

    async stop(stopOptions = {}) {
      const deadlineMs = stopOptions.deadlineMs ?? 30_000;
      await ownership?.freeze(); // issue 9: no mailbox moves while stopping; leases stay valid for the last writes
      const interrupted = await Promise.all([...runners.values()].map((runner) => runner.stop(deadlineMs)));
      stopController.abort();
      const total = interrupted.reduce((sum, n) => sum + n, 0);
      if (total > 0) await recordInterrupted();
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
  return autopilot;
}
