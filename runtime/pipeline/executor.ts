/**
 * The executor of one mailbox (issue 12): carries out what the message core decides, for a whole discovery batch at
 * a time. The facts of a batch (discovered, matched, unmatched) are one journal write; messages whose remaining
 * steps are folder actions go through them together — the intents of all of them in one write, one protocol command
 * per like action (`UID STORE`/`UID MOVE` over the set), the outcomes in one write; messages with a handler or a
 * mail to send go one by one (up to `concurrency` at a time), their sources fetched together beforehand. An effect
 * never starts before the intent that makes it recoverable is durable.
 *
 * @module
 */
import type { DiscoveredMessage, MailSession, MessageBody } from '../../adapters/contract.js';
import { decide, nextStep, type PerformedStep } from '../../machines/message/decide.js';
import type { MessageEvent } from '../../machines/message/events.js';
import { evolve } from '../../machines/message/evolve.js';
import { isTerminalStatus, type MessageState } from '../../machines/message/state.js';
import type { ProcessorDeps } from './executor-types.js';
import { type ActionTarget, batchCommand, batchKey, performAction } from './mail-actions.js';
import { withMatchFacts } from './match-facts.js';
import { createStepRunner, type StepTarget } from './message-steps.js';
import { isBatchable, needsSource } from './plan.js';
import { describeError } from './step-outcome.js';

/** Sources fetched together ahead of handlers: at most this many bytes per batched fetch. */
const PREFETCH_BYTES = 8 * 1024 * 1024;
/** Larger messages stream on their own when asked for, never in a batched fetch. */
const PREFETCH_MAX_MESSAGE = 1024 * 1024;

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/** A message of the batch with its source and body fetched at most once (the body perhaps already, for matching). */
function targetOf(
  message: DiscoveredMessage,
  session: MailSession,
  originalKey: () => string,
  fetchedBody?: MessageBody,
) {
  let source: Promise<Buffer> | undefined;
  let body: Promise<MessageBody> | undefined = fetchedBody && Promise.resolve(fetchedBody);
  const target: StepTarget & { prefill(raw: Buffer): void } = {
    message,
    session,
    get originalKey() {
      return originalKey();
    },
    source: () => {
      source ??= session.fetchSource(message).then(readAll);
      return source;
    },
    body: () => {
      body ??= session.fetchBody(message);
      return body;
    },
    prefill: (raw) => {
      source ??= Promise.resolve(raw);
    },
  };
  return target;
}

type BatchTarget = ReturnType<typeof targetOf>;

/**
 * Creates the executor of one mailbox. It never throws for a message's own problems: they end as journaled
 * failures and, past the retry budget, as dead letters kept on the server. A journal write that fails (the store is
 * gone, another writer) rejects: the mailbox must stop, not go on without its truth.
 *
 * @example
 * ```ts
 * const executor = createExecutor(deps);
 * await executor.processBatch(messages, session); // each handled, unmatched, or dead-lettered — all journaled
 * ```
 */
export function createExecutor(deps: ProcessorDeps & { readonly concurrency?: number }) {
  const steps = createStepRunner(deps);
  const { journal } = deps;
  const concurrency = Math.max(1, deps.concurrency ?? 1);

  /**
   * Decides the batch's discovery facts; returns them with the messages that need work, in order. The facts are
   * journaled with the batch's first write: they have no effect outside the process, so a crash before it loses
   * nothing (the messages are simply discovered again).
   */
  async function discover(messages: readonly DiscoveredMessage[], session: MailSession) {
    const events: MessageEvent[] = [];
    const targets: BatchTarget[] = [];
    const at = deps.now();
    for (const found of messages) {
      const identity = found.identity;
      const state = journal.messages.lookup(identity);
      if (state && isTerminalStatus(state.status) && state.key === identity.key) continue;
      const decided = state && state.rules.length > 0;
      // Body and attachment conditions: fetched only when the message's other conditions leave a rule undecided.
      const ready = decided
        ? { message: found }
        : await withMatchFacts(deps.matcher, found, session, deps.bodyMatchBytes, deps.logger);
      if (ready === undefined) continue;
      const message = ready.message;
      const matched = decided ? [] : deps.matcher.match(message).map((rule) => rule.name);
      events.push(
        ...decide(
          state,
          {
            type: 'discover',
            identity,
            subject: message.envelope.subject,
            from: message.envelope.from[0]?.address,
            matched,
            at,
          },
          steps.ctx,
        ),
      );
      const originalKey = () => journal.messages.lookup(identity)?.originalKey ?? identity.key;
      targets.push(targetOf(message, session, originalKey, ready.body));
    }
    return { events, targets };
  }

  /** The states messages will have once `facts` (not yet journaled) are: their journal states folded with them. */
  function previewer(facts: readonly MessageEvent[]): (target: BatchTarget) => MessageState | undefined {
    const byKey = new Map<string, MessageEvent[]>();
    for (const fact of facts) {
      const list = byKey.get(fact.key);
      if (list) list.push(fact);
      else byKey.set(fact.key, [fact]);
    }
    return (target) => {
      let state = steps.lookup(target);
      for (const fact of byKey.get(target.message.identity.key) ?? []) {
        state = evolve(state, { ...fact, position: state?.lastPosition ?? 0 });
      }
      return state;
    };
  }

  /** The targets that still need work once the discovery facts are journaled. */
  function needingWork(targets: readonly BatchTarget[]): BatchTarget[] {
    return targets.filter((target) => {
      const state = steps.lookup(target);
      return state !== undefined && !isTerminalStatus(state.status);
    });
  }

  /** Fetches the sources the one-by-one steps will surely need, several per command. */
  async function prefetch(targets: readonly BatchTarget[]): Promise<void> {
    const session = targets[0]?.session;
    if (!session?.fetchSources) return;
    const wanted = targets.filter(
      (t) => t.message.size <= PREFETCH_MAX_MESSAGE && needsSource(steps.lookup(t), steps.rulesByName),
    );
    let chunk: BatchTarget[] = [];
    let bytes = 0;
    const flush = async () => {
      if (chunk.length < 2) return;
      const sources = await session.fetchSources!(chunk.map((t) => t.message)).catch(() => undefined);
      for (const t of chunk) {
        const raw = sources?.get(t.message.identity.key);
        if (raw) t.prefill(raw);
      }
    };
    for (const target of wanted) {
      if (bytes + target.message.size > PREFETCH_BYTES && chunk.length > 0) {
        await flush();
        chunk = [];
        bytes = 0;
      }
      chunk.push(target);
      bytes += target.message.size;
    }
    await flush();
  }

  /** Messages with handlers or mail: one by one, `concurrency` at a time, in order of arrival. */
  async function runSingles(targets: readonly BatchTarget[]): Promise<void> {
    await prefetch(targets);
    let next = 0;
    const worker = async () => {
      while (next < targets.length && !deps.signal.aborted) {
        const target = targets[next++]!;
        await steps.runMessage(target);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
  }

  /**
   * Messages whose steps are folder actions: step by step together, one command per like action. `facts` (the
   * batch's discovery facts) go out with the first write.
   */
  async function runTogether(targets: readonly BatchTarget[], facts: readonly MessageEvent[] = []): Promise<void> {
    const byKey = new Map(targets.map((t) => [t.message.identity.key, t as ActionTarget]));
    let active = [...targets];
    const later: BatchTarget[] = [];
    let pendingFacts = facts;
    while (active.length > 0 && !deps.signal.aborted) {
      const intents: MessageEvent[] = [...pendingFacts];
      pendingFacts = [];
      const groups = new Map<string, { target: BatchTarget; step: PerformedStep & { step: 'action' } }[]>();
      const at = deps.now();
      const preview = intents.length > 0 ? previewer(intents) : undefined;
      for (const target of active) {
        const state = preview ? preview(target) : steps.lookup(target);
        const step = nextStep(state, steps.ctx.plans);
        if (state === undefined || step.step === 'none') continue;
        if (step.step === 'finish' || step.step === 'ruleRemoved') {
          intents.push(...decide(state, { type: 'advance', at }, steps.ctx));
          continue;
        }
        if (step.step === 'handler') {
          later.push(target);
          continue;
        }
        const action = steps.rulesByName.get(step.rule)!.actions[step.index]!;
        intents.push(...decide(state, { type: 'start', step, at }, steps.ctx));
        const key = batchKey(action);
        const group = groups.get(key);
        if (group) group.push({ target, step });
        else groups.set(key, [{ target, step }]);
      }
      await steps.record(intents, byKey);
      const outcomes: MessageEvent[] = [];
      const again: BatchTarget[] = [];
      for (const members of groups.values()) {
        const first = members[0]!;
        const action = steps.rulesByName.get(first.step.rule)!.actions[first.step.index]!;
        const command = members.length > 1 ? batchCommand(first.target.session, action) : undefined;
        let together = false;
        if (command) {
          try {
            await command(members.map((m) => m.target.message));
            together = true;
          } catch (error) {
            // Which of them failed? One by one tells, and journals each outcome on its own message.
            deps.logger?.warn(
              { mailboxId: deps.mailboxId, action: action.kind, count: members.length, ...describeError(error) },
              'batch command refused; trying message by message',
            );
          }
        }
        for (const { target, step } of members) {
          let event: MessageEvent[];
          if (together) {
            event = decide(steps.lookup(target), { type: 'succeed', step, at: deps.now() }, steps.ctx);
          } else {
            try {
              await performAction(steps.env, target, { rule: step.rule, index: step.index, action }, [], false);
              event = decide(steps.lookup(target), { type: 'succeed', step, at: deps.now() }, steps.ctx);
            } catch (error) {
              const failure = describeError(error, 'ACTION_FAILED');
              event = decide(
                steps.lookup(target),
                { type: 'fail', step, at: deps.now(), failure, stopping: deps.signal.aborted },
                steps.ctx,
              );
              // A retryable failure waits its delay on the one-by-one path; a dead letter is final.
              if (!event.some((e) => e.type === 'message.deadLettered')) later.push(target);
              outcomes.push(...event);
              continue;
            }
          }
          outcomes.push(...event);
          again.push(target);
        }
      }
      await steps.record(outcomes, byKey);
      active = again;
    }
    for (const target of later) {
      if (deps.signal.aborted) return;
      await steps.runMessage(target);
    }
  }

  /**
   * Processes one discovery batch of a session, in order: runs of messages whose steps are all folder actions go
   * together; the others one by one.
   */
  async function processBatch(messages: readonly DiscoveredMessage[], session: MailSession): Promise<void> {
    const found = await discover(messages, session);
    // The common case of folder-action rules: every message goes together, and the facts ride with the intents.
    const preview = previewer(found.events);
    const settles = (t: BatchTarget) => {
      const state = preview(t);
      return state === undefined || isTerminalStatus(state.status) || isBatchable(state, steps.rulesByName);
    };
    if (found.events.length > 0 && found.targets.every(settles)) {
      await runTogether(found.targets, found.events);
      return;
    }
    await journal.append(found.events);
    const targets = needingWork(found.targets);
    let run: BatchTarget[] = [];
    let runTogetherKind: boolean | undefined;
    const flush = async () => {
      if (run.length === 0) return;
      if (runTogetherKind) await runTogether(run);
      else await runSingles(run);
      run = [];
    };
    for (const target of targets) {
      const together = isBatchable(steps.lookup(target), steps.rulesByName);
      if (runTogetherKind !== undefined && together !== runTogetherKind) await flush();
      runTogetherKind = together;
      run.push(target);
    }
    await flush();
  }

  return { processBatch };
}

/** The executor of one mailbox (see {@link createExecutor}). */
export type Executor = ReturnType<typeof createExecutor>;
