/**
 * What the first pass of a mailbox is about to do (issue 15 point 3: "what will the first run do to 20,000 old
 * mails?"): one read-only look at the server before anything is handled — envelopes and headers only (IMAP
 * `BODY.PEEK`, no flag, no move, POP3 `TOP`, no `DELE`) — through the mailbox's own service and `startAt`, with the
 * real rule matcher and the real loop protection (a fresh per-correspondent limiter, as on a first start). Nothing
 * is journaled here; `validate --connect` prints the result, the first start of a mailbox with an empty journal
 * logs and journals it (`mailbox.firstPass`).
 *
 * @module
 */
import type { DiscoveredMessage, DiscoverySink, MailService } from '../../adapters/contract.js';
import type { MailboxConfig } from '../config/load.js';
import { describeStartAt } from '../config/start-at.js';
import { isMailAction } from '../pipeline/mail-actions.js';
import { actionVerdict } from '../rules/action-verdict.js';
import type { RuleMatcher } from '../rules/matcher.js';
import { AutoReplyLimiter } from '../rules/reply-limiter.js';
import { imapStartBound, leftOut } from '../start-gate.js';

/**
 * The counts of a first pass: `examine` messages (after `startAt`), `wouldSend` of them get an automatic reply,
 * forward or send from a matching rule that loop protection lets through; `leftOut` were there but `startAt: new`
 * leaves them out (IMAP: the folder's EXISTS; POP3/MAPI: the messages listed).
 *
 * @example
 * ```ts
 * const preview: FirstPassPreview = { startAt: 'all', examine: 20000, wouldSend: 312, leftOut: 0 };
 * ```
 */
export interface FirstPassPreview {
  readonly startAt: string;
  readonly examine: number;
  readonly wouldSend: number;
  readonly leftOut: number;
}

/**
 * What judging a message needs: the mailbox's rules, our own addresses and its autoReply limit.
 *
 * @example
 * ```ts
 * const judge: SendJudge = { matcher: new RuleMatcher(rules), ownAddresses: ['support@example.test'], mailbox, now: Date.now };
 * ```
 */
export interface SendJudge {
  readonly matcher: RuleMatcher<unknown>;
  readonly ownAddresses: readonly string[];
  readonly mailbox: Pick<MailboxConfig, 'autoReply'>;
  readonly now: () => number;
}

/**
 * A judge of "would the rules send mail for this message": the matching rules' reply/forward/send actions, each
 * through loop protection; replies count against a per-correspondent limiter of the mailbox's own limit, as the
 * first pass would. (Mail a handler script sends itself cannot be known beforehand and is not counted.)
 *
 * @example
 * ```ts
 * const wouldSend = sendJudge(judge);
 * if (wouldSend(message)) n++;
 * ```
 */
export function sendJudge(judge: SendJudge): (message: DiscoveredMessage) => boolean {
  const limiter = new AutoReplyLimiter({
    max: judge.mailbox.autoReply.perCorrespondent,
    windowMs: judge.mailbox.autoReply.window,
  });
  return (message) => {
    let sends = false;
    for (const rule of judge.matcher.match(message)) {
      for (const action of rule.actions) {
        if (!isMailAction(action)) continue;
        const now = judge.now();
        // The pipeline's own question (action-verdict.ts), so the count says what a run would do.
        const verdict = actionVerdict(message, action, { ownAddresses: judge.ownAddresses, limiter, now });
        if (!verdict.ok) continue;
        if (action.kind === 'reply') for (const to of verdict.recipients) limiter.record(to, now);
        sends = true;
      }
    }
    return sends;
  };
}

/**
 * Connects once, runs discovery's first pass with a counting sink (nothing is handled, nothing journaled) and
 * closes. Rejects with the service's typed error when it cannot connect, or `FIRST_PASS_TIMEOUT` when the whole
 * count took longer than `deadlineMs` (the mailbox's `connectTimeout`).
 *
 * @example
 * ```ts
 * const preview = await previewFirstPass(service, mailbox, sendJudge(judge), mailbox.connectTimeout);
 * console.log(`first pass will examine ${preview.examine}; rules would send mail for ${preview.wouldSend}`);
 * ```
 */
export async function previewFirstPass(
  service: MailService,
  mailbox: Pick<MailboxConfig, 'id' | 'startAt'>,
  wouldSend: (message: DiscoveredMessage) => boolean,
  deadlineMs: number,
): Promise<FirstPassPreview> {
  const { startAt } = mailbox;
  const abort = new AbortController();
  let done = false;
  // A count must never hold up the start for long: past the deadline it is given up (the caller logs why).
  const timer = setTimeout(() => abort.abort(), deadlineMs);
  timer.unref();
  const counts = { delivered: 0, wouldSend: 0, leftOut: 0, rangeCandidates: 0, rangeHits: 0 };
  const take = (message: DiscoveredMessage) => {
    // POP3/MAPI: nothing is journaled yet, so under `new` every message listed now is old.
    if (service.kind !== 'imap' && leftOut(startAt, undefined, message, startAt.kind === 'new')) {
      counts.leftOut++;
      return;
    }
    counts.delivered++;
    if (wouldSend(message)) counts.wouldSend++;
  };
  const sink: DiscoverySink = {
    next: take,
    nextBatch: async (messages) => messages.forEach(take),
    examined: (range) => {
      counts.rangeCandidates += range.candidates;
      counts.rangeHits += range.hits;
    },
    examinedThrough: () => 0,
    startBound: (watermark) => {
      if (startAt.kind === 'new') counts.leftOut = watermark.exists;
      return imapStartBound(startAt, undefined, mailbox.id, watermark, 0).bound;
    },
    caughtUp: () => {
      done = true;
      abort.abort();
    },
  };
  try {
    const session = await service.connect(abort.signal);
    try {
      await session.watch(sink, abort.signal);
    } finally {
      await session.close();
    }
  } finally {
    clearTimeout(timer);
  }
  if (!done) {
    throw Object.assign(new Error(`the first pass was not counted within ${deadlineMs} ms`), {
      code: 'FIRST_PASS_TIMEOUT',
    });
  }
  return {
    startAt: describeStartAt(startAt),
    // Messages the server's search ruled out were examined too (counted by range); the hits were delivered.
    examine: counts.rangeCandidates + counts.delivered - counts.rangeHits,
    wouldSend: counts.wouldSend,
    leftOut: counts.leftOut,
  };
}

/**
 * The line a person reads before the first pass runs.
 *
 * @example
 * ```ts
 * firstPassLine('support', { startAt: 'all', examine: 20000, wouldSend: 312, leftOut: 0 });
 * // 'mailbox support: first pass will examine 20000 existing messages; rules would send mail for 312 (startAt: all)'
 * ```
 */
export function firstPassLine(mailboxId: string, preview: FirstPassPreview): string {
  const left = preview.leftOut > 0 ? `; ${preview.leftOut} existing messages left out` : '';
  return `mailbox ${mailboxId}: first pass will examine ${preview.examine} existing messages; rules would send mail for ${preview.wouldSend} (startAt: ${preview.startAt}${left})`;
}
