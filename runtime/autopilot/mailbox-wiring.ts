/**
 * Wires one configured mailbox: its service (how), its SMTP transport, the executor of its messages (what) and the
 * runner that owns its actor (when). The only place where a mailbox's config becomes running parts.
 *
 * @module
 */
import type { Logger, MailService } from '../../adapters/contract.js';
import type { OAuth2Broker } from '../../adapters/oauth2/broker.js';
import { createSmtpTransport, type SmtpTransport } from '../../adapters/smtp/index.js';
import { canaryIdOf, withCanaries } from '../canary/canary-mark.js';
import { CanaryMonitor } from '../canary/canary-monitor.js';
import type { AutopilotConfig, MailboxConfig } from '../config/load.js';
import { runCommand } from '../handlers/run-command-adapter.js';
import type { Journal } from '../journal/journal.js';
import { MailboxRunner } from '../mailbox-runner.js';
import { createExecutor } from '../pipeline/executor.js';
import type { HostHandler } from '../pipeline/host-handler.js';
import { createTraceProcessor } from '../pipeline/trace-processor.js';
import type { MessageTrace } from '../rules/explain.js';
import { conditionUses, RuleMatcher } from '../rules/matcher.js';
import { AutoReplyLimiter } from '../rules/reply-limiter.js';
import type { RuleSendLimiter } from '../rules/rule-send-limiter.js';
import { compileSearchFilter } from '../rules/search-pushdown.js';
import type { Rule } from '../rules/types.js';
import { createMailService } from '../services.js';
import { sleeper } from './clock.js';
import { mailboxAddresses } from './mailbox-addresses.js';
import type { AutopilotOptions } from './types.js';

/**
 * What every mailbox of one autopilot shares.
 *
 * @example
 * ```ts
 * const shared: WiringContext = { config, options, logger, now, journal, oauth2, limiters, stormGuard, signal, rulesFor };
 * ```
 */
export interface WiringContext {
  readonly config: AutopilotConfig;
  readonly options: AutopilotOptions;
  readonly logger: Logger;
  readonly now: () => number;
  readonly journal: Journal;
  /** Present when some mailbox uses OAuth2 (one broker, one token cache, SPEC S4). */
  readonly oauth2: OAuth2Broker | undefined;
  readonly limiters: ReadonlyMap<string, AutoReplyLimiter>;
  readonly stormGuard: RuleSendLimiter;
  /** Aborted when the autopilot stops. */
  readonly signal: AbortSignal;
  /** The mailbox's rules: the config's, then the host program's. */
  readonly rulesFor: (mailbox: MailboxConfig) => Rule<HostHandler>[];
  /**
   * A dry run (`run --once --dry-run`, issue 15): mailboxes connect read-only, no SMTP transport is made, and each
   * message's rule trace goes here instead of through the executor.
   */
  readonly onTrace?: (trace: MessageTrace) => void;
}

/**
 * One wired mailbox.
 *
 * @example
 * ```ts
 * const { runner, transport } = wireMailbox(mailbox, shared);
 * runner.start();
 * ```
 */
export interface WiredMailbox {
  readonly runner: MailboxRunner;
  readonly service: MailService;
  readonly transport: SmtpTransport | undefined;
}

/**
 * The mailbox's SMTP transport from its resolved `smtp` settings (none without an `smtp:` block). The mailbox's
 * `connectTimeout` bounds the SMTP connection too: a setting given once applies wherever a user would expect it.
 *
 * @example
 * ```ts
 * const transport = mailboxSmtpTransport(config.mailboxes[0], undefined);
 * await transport?.verify();
 * ```
 */
export function mailboxSmtpTransport(
  mailbox: MailboxConfig,
  oauth2: OAuth2Broker | undefined,
): SmtpTransport | undefined {
  // The config layer resolved SMTP completely (runtime/config/resolve.ts: user, password or the mailbox's OAuth2,
  // tlsCa, allowPlaintext, from — the mailbox's settings where the smtp block gives none); this only passes it on.
  const smtp = mailbox.smtp;
  if (!smtp) return undefined;
  const token =
    smtp.oauth2 && mailbox.oauth2 && oauth2
      ? oauth2.tokenProvider({ id: mailbox.id, user: smtp.user ?? '', oauth2: mailbox.oauth2 }, 'smtp')
      : undefined;
  return createSmtpTransport(
    {
      server: smtp.server,
      user: smtp.user,
      ...(token ? { accessToken: token } : { password: smtp.password }),
      tlsCa: smtp.tlsCa,
      allowPlaintext: smtp.allowPlaintext,
      connectionTimeoutMs: mailbox.connectTimeout,
    },
    mailbox.id,
  );
}

/**
 * Builds the running parts of one mailbox (nothing connects before `runner.start()`).
 *
 * @example
 * ```ts
 * const wired = wireMailbox(config.mailboxes[0], shared);
 * ```
 */
export function wireMailbox(mailbox: MailboxConfig, ctx: WiringContext): WiredMailbox {
  const { options, logger, now, journal } = ctx;
  const rules = ctx.rulesFor(mailbox);
  const factory = options.services ?? createMailService;
  const dryRun = ctx.onTrace;
  // Ask the server first (issue 12): the rules as an IMAP SEARCH filter, a superset; the exact match runs locally.
  // A dry run fetches every candidate's headers instead, so its trace says why each message matches no rule.
  const ruleFilter = mailbox.service === 'imap' && !dryRun ? compileSearchFilter(rules) : undefined;
  // The canary matches no rule: the server's pre-selection must still hand it over (issue 15 point 5).
  const discoveryFilter = ruleFilter && mailbox.canary ? withCanaries(ruleFilter, mailbox.id) : ruleFilter;
  const settings = dryRun ? { ...mailbox, readOnly: true } : mailbox;
  // Rules on attachments: IMAP's BODYSTRUCTURE answers them in discovery, so no message is downloaded for them.
  const discoverAttachments = rules.some((rule) => conditionUses(rule.match, ['attachment']));
  const service = factory(settings, {
    handled: journal,
    logger,
    oauth2: ctx.oauth2,
    discoveryFilter,
    ...(discoverAttachments ? { discoverAttachments } : {}),
  });
  const transport = dryRun ? undefined : mailboxSmtpTransport(mailbox, ctx.oauth2);
  const { from, ownAddresses } = mailboxAddresses(mailbox);
  const matcher = new RuleMatcher(rules);
  const limiter = ctx.limiters.get(mailbox.id) ?? new AutoReplyLimiter();
  const executor = createExecutor({
    mailboxId: mailbox.id,
    journal,
    matcher,
    bodyMatchBytes: mailbox.bodyMatchBytes,
    capabilities: service.capabilities,
    policy: { retries: mailbox.handler.retries, retryDelayMs: mailbox.handler.retryDelay },
    concurrency: mailbox.handler.concurrency,
    // IMAP/POP3 send through their SMTP transport; MAPI services send themselves (capabilities.send).
    send: transport
      ? (mail) => transport.send(mail)
      : service.capabilities.send && service.send
        ? (mail) => service.send!(mail)
        : undefined,
    saveSent: mailbox.saveSent,
    from,
    ownAddresses,
    limiter,
    stormGuard: ctx.stormGuard,
    runCommand: (spec, input) =>
      runCommand(spec, input, { baseDir: ctx.config.baseDir, defaultTimeoutMs: mailbox.handler.timeout }),
    now,
    sleep: sleeper(options.clock),
    signal: ctx.signal,
    logger,
  });
  const canary =
    mailbox.canary && transport
      ? new CanaryMonitor({
          mailboxId: mailbox.id,
          ...mailbox.canary,
          from,
          send: (mail) => transport.send(mail),
          logger,
          now,
          clock: options.clock,
        })
      : undefined;
  const runner = new MailboxRunner({
    mailboxId: mailbox.id,
    service,
    journal,
    process: dryRun
      ? createTraceProcessor({
          mailboxId: mailbox.id,
          matcher,
          bodyMatchBytes: mailbox.bodyMatchBytes,
          journal,
          verdict: () => ({ ownAddresses, limiter, now: now() }),
          onTrace: dryRun,
          ...(mailbox.canary ? { isCanary: (m) => canaryIdOf(m, mailbox.id) !== undefined } : {}),
        })
      : executor.processBatch,
    logger,
    concurrency: mailbox.handler.concurrency,
    clock: options.clock,
    inspect: options.inspect,
    machineInput: options.machineInput,
    now,
    startAt: mailbox.startAt,
    canary,
    // `completenessCheck: 0` turns the check off.
    ...(mailbox.completenessCheck > 0
      ? { completeness: { intervalMs: mailbox.completenessCheck, missedAfterMs: mailbox.missedAfter } }
      : {}),
  });
  return { runner, service, transport };
}
