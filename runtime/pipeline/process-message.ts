/**
 * One message's path (ARCHITECTURE.md): discovered → skipped if handled → matched → handler → actions → handled.
 * Every step with an effect outside the process is journaled before the next, so a crash anywhere resumes at the
 * right step: a built-in action journaled as done is never done again, a handler re-runs only if it was in flight.
 *
 * @module
 */
import type { DiscoveredMessage, MailServiceCapabilities, MailSession, MessageBody } from '../../adapters/contract.js';
import type { SmtpMessage, SmtpSendResult } from '../../adapters/smtp/index.js';
import type { HandlerMetadata } from '../handlers/metadata.js';
import { handlerMetadata, idempotencyKey as makeIdempotencyKey } from '../handlers/metadata.js';
import type { ActionKind, JournalEvent } from '../journal/events.js';
import type { Journal } from '../journal/journal.js';
import { shouldAutoRespond } from '../rules/loop-protection.js';
import type { RuleMatcher } from '../rules/matcher.js';
import type { AutoReplyLimiter } from '../rules/reply-limiter.js';
import type { CommandHandlerSpec, Rule, RuleAction } from '../rules/types.js';
import type { HandlerContext, HandlerMessage, HostHandler } from './host-handler.js';
import { buildForward, buildReply, buildSend, outgoingMessageId } from './outgoing.js';

/** Index offset of actions a host handler performs through its context (rule actions use 0, 1, 2, …). */
const HANDLER_ACTION_BASE = 1000;

/**
 * The outcome of a handler run or an action: `ok`, or a failure with a code, a reason and whether trying again can
 * help.
 *
 * @example
 * ```ts
 * const failed: StepOutcome = { ok: false, code: 'HANDLER_EXIT', reason: 'exit code 3', retryable: true };
 * ```
 */
export type StepOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: string; readonly reason: string; readonly retryable: boolean };

/**
 * Runs a command handler (spawned per message; see runtime/handlers).
 *
 * @example
 * ```ts
 * const run: CommandRunner = async (spec, input) => runCommandHandler({ ...spec, ...input });
 * ```
 */
export type CommandRunner = (
  spec: CommandHandlerSpec,
  input: {
    readonly source: Buffer;
    readonly metadata: HandlerMetadata;
    readonly signal: AbortSignal;
  },
) => Promise<StepOutcome>;

/**
 * Everything the processor of one mailbox needs.
 *
 * @example
 * ```ts
 * const process = createMessageProcessor({ mailboxId: 'support', journal, matcher, ... });
 * ```
 */
export interface ProcessorDeps {
  readonly mailboxId: string;
  readonly journal: Journal;
  readonly matcher: RuleMatcher<HostHandler>;
  readonly capabilities: MailServiceCapabilities;
  readonly policy: { readonly retries: number; readonly retryDelayMs: number };
  readonly send?: (message: SmtpMessage) => Promise<SmtpSendResult>;
  /** Sender address of automatic mail. */
  readonly from: string;
  /** The mailbox's own addresses: never answered, never forwarded to (loops). */
  readonly ownAddresses: readonly string[];
  /** The per-correspondent limit of automatic replies (fed by the journal). */
  readonly limiter: AutoReplyLimiter;
  readonly runCommand: CommandRunner;
  readonly now: () => number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Aborted when the autopilot stops (after the deadline for handlers in flight). */
  readonly signal: AbortSignal;
}

function describeError(error: unknown): { code: string; reason: string; retryable: boolean } {
  const candidate = (error ?? {}) as { code?: unknown; message?: unknown; retryable?: unknown };
  const code =
    typeof candidate.code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(candidate.code) ? candidate.code : 'HANDLER_ERROR';
  const reason = typeof candidate.message === 'string' ? candidate.message : String(error);
  return { code, reason: reason.slice(0, 1000), retryable: candidate.retryable !== false };
}

/** An action a rule or handler asks for, with where it sits in the journal (`index`). */
interface ActionRequest {
  readonly rule: string;
  readonly index: number;
  readonly action: RuleAction;
}

/**
 * Creates the processor of one mailbox's messages. It never throws for a message's own problems: they end as
 * journaled failures and, past the retry budget, as dead letters kept on the server.
 *
 * @example
 * ```ts
 * const process = createMessageProcessor(deps);
 * await process(message, session); // handled, unmatched, or dead-lettered — all in the journal
 * ```
 */
export function createMessageProcessor(deps: ProcessorDeps) {
  const { journal, mailboxId } = deps;

  return async function processMessage(message: DiscoveredMessage, session: MailSession): Promise<void> {
    const identity = message.identity;
    if (journal.isHandled(identity)) return;
    const base = { mailboxId, key: identity.key, messageId: identity.messageId };
    // Facts without an effect outside the process (discovered, matched) ride along with the next append instead of
    // costing a durable write each; a crash before that append loses nothing (the message is simply discovered again).
    let deferred: JournalEvent[] = [];
    const append = (events: JournalEvent[]) => {
      const batch = deferred.length > 0 ? [...deferred, ...events] : events;
      deferred = [];
      return journal.append(batch);
    };

    const known = journal.messages.lookup(identity);
    if (known && known.key !== identity.key) {
      // UIDVALIDITY changed (or the message moved back): the same message under a new key.
      await append([{ type: 'message.reidentified', ...base, at: deps.now(), previousKey: known.key } as JournalEvent]);
    } else if (known?.status === 'deadLettered') {
      return;
    } else if (!known) {
      const from = message.envelope.from[0]?.address;
      deferred.push({ type: 'message.discovered', ...base, at: deps.now(), subject: message.envelope.subject, from });
    }
    // Until the deferred events are appended the projection has no record: the message is new, its original key is
    // its key, nothing of it was done yet.
    const record = journal.messages.lookup(identity);
    if (record?.status === 'deadLettered') return;

    let ruleNames = record?.rules ?? [];
    if (ruleNames.length === 0) {
      const matched = deps.matcher.match(message);
      if (matched.length === 0) {
        await append([{ type: 'message.unmatched', ...base, at: deps.now() }]);
        return;
      }
      ruleNames = matched.map((rule) => rule.name);
      deferred.push({ type: 'message.matched', ...base, at: deps.now(), rules: ruleNames });
    }

    let sourceCache: Promise<Buffer> | undefined;
    let bodyCache: Promise<MessageBody> | undefined;
    const source = () => {
      sourceCache ??= session.fetchSource(message).then(async (stream) => {
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
        return Buffer.concat(chunks);
      });
      return sourceCache;
    };
    const body = () => {
      bodyCache ??= session.fetchBody(message);
      return bodyCache;
    };

    const deadLetter = async (code: string, reason: string) => {
      await append([{ type: 'message.deadLettered', ...base, at: deps.now(), code, reason } as JournalEvent]);
    };

    /** Set once `message.handled` went out together with the last action. */
    let handledAppended = false;
    /** The events that end the message, appended in the same write as the last step's outcome when `final`. */
    const closing = (final: boolean): JournalEvent[] => {
      if (!final) return [];
      handledAppended = true;
      return [{ type: 'message.handled', ...base, at: deps.now() }];
    };

    /**
     * Performs an action unless journaled as settled; retried within the budget. Resolves false when dead-lettered.
     * `final`: the message's last step — its outcome and `message.handled` are one append, so a crash cannot leave a
     * message moved away (never to be discovered again) with its handling unrecorded.
     */
    const perform = async (request: ActionRequest, final = false): Promise<boolean> => {
      if (journal.messages.isActionDone(identity, request.rule, request.index)) return true;
      const kind = request.action.kind as ActionKind;
      const step = { ...base, rule: request.rule, index: request.index, kind };
      // Decided once per action: the refusal, or the recipients the mail goes to on every try.
      const verdict = verdictFor(request.action);
      if (verdict && !verdict.ok) {
        const refusal = { code: verdict.code, reason: verdict.reason };
        await append([{ type: 'action.skipped', ...step, at: deps.now(), ...refusal }, ...closing(final)]);
        return true;
      }
      for (;;) {
        await append([{ type: 'action.started', ...step, at: deps.now() }]);
        try {
          const sent = await execute(request, verdict?.recipients ?? []);
          await append([{ type: 'action.done', ...step, at: deps.now(), ...sent }, ...closing(final)]);
          return true;
        } catch (error) {
          const failure = describeError(error);
          await append([{ type: 'action.failed', ...step, at: deps.now(), ...failure } as JournalEvent]);
          if (!(await mayRetry(failure))) {
            await deadLetter(failure.code, `${kind} failed: ${failure.reason}`);
            return false;
          }
        }
      }
    };

    /** Loop protection (RFC 3834): the recipients an automatic mail may go to, or why it must not be sent. */
    const verdictFor = (action: RuleAction) => {
      if (action.kind !== 'reply' && action.kind !== 'forward' && action.kind !== 'send') return undefined;
      return shouldAutoRespond(message, {
        ownAddresses: deps.ownAddresses,
        kind: action.kind,
        recipients: action.kind === 'reply' ? undefined : [...action.to, ...(action.cc ?? [])],
        // The per-correspondent limit is about answering people; forwards to fixed addresses are not limited.
        limiter: action.kind === 'reply' ? deps.limiter : undefined,
        now: deps.now(),
      });
    };
    const mailOf = async (request: ActionRequest, recipients: readonly string[]): Promise<SmtpMessage | undefined> => {
      const sender = {
        from: deps.from,
        messageId: outgoingMessageId(
          `${mailboxId}|${record?.originalKey ?? identity.key}|${request.rule}|${request.index}`,
          deps.from,
        ),
      };
      const action = request.action;
      if (action.kind === 'reply') return buildReply(message, recipients[0] ?? '', action, sender);
      if (action.kind === 'forward') return buildForward(message, await source(), action, sender);
      if (action.kind === 'send') return buildSend(action, sender);
      return undefined;
    };

    const execute = async (
      request: ActionRequest,
      recipients: readonly string[],
    ): Promise<{ sentMessageId?: string; recipients?: string[] }> => {
      const action = request.action;
      const mail = await mailOf(request, recipients);
      if (mail) {
        if (!deps.send) {
          throw Object.assign(new Error(`mailbox ${mailboxId} has no smtp configured for ${action.kind}`), {
            code: 'SMTP_NOT_CONFIGURED',
            retryable: false,
          });
        }
        const result = await deps.send(mail);
        return { sentMessageId: result.messageId, recipients: result.accepted };
      }
      switch (action.kind) {
        case 'moveTo':
          await session.moveTo(message, action.folder);
          break;
        case 'markRead':
          await session.markRead(message);
          break;
        case 'flag':
          await session.flag(message, action.flag);
          break;
        case 'delete':
          await session.delete(message);
          break;
      }
      return {};
    };

    /** Whether a failure may be retried now (within the budget), after waiting the retry delay. */
    const mayRetry = async (failure: { retryable: boolean }): Promise<boolean> => {
      const failures = journal.messages.lookup(identity)?.failures ?? 0;
      if (!failure.retryable || failures > deps.policy.retries || deps.signal.aborted) return false;
      await deps.sleep(deps.policy.retryDelayMs, deps.signal);
      return !deps.signal.aborted;
    };

    const runHandler = async (rule: Rule<HostHandler>): Promise<boolean> => {
      const handler = rule.handler;
      if (!handler || journal.messages.isHandlerDone(identity, rule.name)) return true;
      for (;;) {
        const attempt = (journal.messages.lookup(identity)?.attempts ?? 0) + 1;
        await append([{ type: 'handler.started', ...base, at: deps.now(), rule: rule.name, attempt }]);
        const originalKey = record?.originalKey ?? identity.key;
        const idempotencyKey = makeIdempotencyKey({ mailboxId, key: originalKey, rule: rule.name });
        let outcome: StepOutcome;
        if (handler.kind === 'command') {
          outcome = await source().then(
            (raw) =>
              deps.runCommand(handler, {
                source: raw,
                signal: deps.signal,
                metadata: handlerMetadata(message, { rule: rule.name, attempt, originalKey }),
              }),
            (error: unknown) => ({ ok: false as const, ...describeError(error) }),
          );
        } else {
          outcome = await runHost(handler.fn, rule.name, attempt, idempotencyKey);
        }
        if (journal.messages.lookup(identity)?.status === 'deadLettered') return false; // an action of the handler gave up
        if (outcome.ok) {
          await append([{ type: 'handler.succeeded', ...base, at: deps.now(), rule: rule.name, attempt }]);
          return true;
        }
        await append([
          {
            type: 'handler.failed',
            ...base,
            at: deps.now(),
            rule: rule.name,
            attempt,
            code: outcome.code,
            reason: outcome.reason,
            retryable: outcome.retryable,
          },
        ]);
        if (!(await mayRetry(outcome))) {
          await deadLetter(outcome.code, `handler of rule ${rule.name} failed ${attempt} time(s): ${outcome.reason}`);
          return false;
        }
      }
    };

    const runHost = async (
      fn: HostHandler,
      rule: string,
      attempt: number,
      idempotencyKey: string,
    ): Promise<StepOutcome> => {
      let calls = 0;
      const act = async (action: RuleAction) => {
        const index = HANDLER_ACTION_BASE + calls++;
        if (!(await perform({ rule, index, action }))) {
          throw Object.assign(new Error(`${action.kind} failed; the message was dead-lettered`), {
            code: 'ACTION_FAILED',
            retryable: false,
          });
        }
      };
      const handlerMessage: HandlerMessage = { ...message, mailboxId, source, body };
      const context: HandlerContext = {
        idempotencyKey,
        attempt,
        rule,
        signal: deps.signal,
        reply: (content) => act({ kind: 'reply', ...content }),
        forward: (content) => act({ kind: 'forward', ...content }),
        send: (content) => act({ kind: 'send', ...content }),
        moveTo: (folder) => act({ kind: 'moveTo', folder }),
        markRead: () => act({ kind: 'markRead' }),
        flag: (flag) => act({ kind: 'flag', flag }),
        delete: () => act({ kind: 'delete' }),
      };
      try {
        await fn(handlerMessage, context);
        return { ok: true };
      } catch (error) {
        return { ok: false, ...describeError(error) };
      }
    };

    for (const [ruleIndex, name] of ruleNames.entries()) {
      const rule = deps.matcher.rules.find((candidate) => candidate.name === name);
      if (!rule) {
        await deadLetter('RULE_REMOVED', `rule ${name} matched this message but is no longer configured`);
        return;
      }
      if (!(await runHandler(rule))) return;
      if (journal.messages.lookup(identity)?.status === 'deadLettered') return;
      const lastRule = ruleIndex === ruleNames.length - 1;
      for (const [index, action] of rule.actions.entries()) {
        const final = lastRule && index === rule.actions.length - 1;
        if (!(await perform({ rule: rule.name, index, action }, final))) return;
      }
    }
    if (!handledAppended) await append([{ type: 'message.handled', ...base, at: deps.now() }]);
  };
}
