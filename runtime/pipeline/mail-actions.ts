/**
 * Carries out one built-in action the core decided (reply, forward, send, moveTo, markRead, flag, delete) on the
 * session that discovered the message, and the batch form of the folder actions. Automatic mail is composed once,
 * so the same bytes go to the SMTP server and to the Sent folder; a send that started before a crash without an
 * outcome is first looked for in Sent (issue 13 point 4) before it goes out again.
 *
 * @module
 */
import type { DiscoveredMessage, Logger, MailSession } from '../../adapters/contract.js';
import { composeRaw, type SmtpMessage, type SmtpSendResult } from '../../adapters/smtp/index.js';
import { failpoint } from '../failpoint.js';
import type { RuleAction } from '../rules/types.js';
import { buildForward, buildReply, buildSend, outgoingMessageId } from './outgoing.js';

/**
 * What performing actions needs of the mailbox.
 *
 * @example
 * ```ts
 * const env: ActionEnv = { mailboxId: 'support', from: 'support@example.test', send, saveSent: true, logger };
 * ```
 */
export interface ActionEnv {
  readonly mailboxId: string;
  /** Sender address of automatic mail. */
  readonly from: string;
  readonly send?: (message: SmtpMessage) => Promise<SmtpSendResult>;
  /** Keep a copy of every automatic mail in the Sent folder (IMAP; `saveSent` in the config). */
  readonly saveSent: boolean;
  readonly logger: Logger;
}

/**
 * One message as the actions see it: the discovered message, its session and its source on demand.
 *
 * @example
 * ```ts
 * const target: ActionTarget = { message, session, source: () => fetchOnce(message), originalKey: message.identity.key };
 * ```
 */
export interface ActionTarget {
  readonly message: DiscoveredMessage;
  readonly session: MailSession;
  readonly source: () => Promise<Buffer>;
  /** The key the message was first journaled under: the base of the sent mail's stable Message-ID. */
  readonly originalKey: string;
}

/** What a performed action reports for the journal. */
export interface ActionResult {
  readonly sentMessageId?: string;
  readonly recipients?: readonly string[];
  /** Found done in the Sent folder after a crash, not performed again. */
  readonly recovered?: boolean;
}

const MAIL_KINDS: ReadonlySet<string> = new Set(['reply', 'forward', 'send']);

/**
 * Whether an action sends mail (then loop protection and the storm guard decide first).
 *
 * @example
 * ```ts
 * isMailAction({ kind: 'reply', text: 'x' }); // true
 * ```
 */
export function isMailAction(
  action: RuleAction,
): action is Extract<RuleAction, { kind: 'reply' | 'forward' | 'send' }> {
  return MAIL_KINDS.has(action.kind);
}

function notConfigured(env: ActionEnv, kind: string): Error {
  return Object.assign(new Error(`mailbox ${env.mailboxId} has no smtp configured for ${kind}`), {
    code: 'SMTP_NOT_CONFIGURED',
    retryable: false,
  });
}

/**
 * Performs `action` (index `index` of `rule`) on the target. `recovering`: this very action started before and has
 * no outcome in the journal (a crash or stop cut it off), so a sent mail is looked for in Sent first.
 *
 * @example
 * ```ts
 * const result = await performAction(env, target, { rule: 'optin', index: 0, action }, ['ada@example.test'], false);
 * ```
 */
export async function performAction(
  env: ActionEnv,
  target: ActionTarget,
  request: { readonly rule: string; readonly index: number; readonly action: RuleAction },
  recipients: readonly string[],
  recovering: boolean,
): Promise<ActionResult> {
  const { action } = request;
  const { message, session } = target;
  if (isMailAction(action)) return sendMail(env, target, request, recipients, recovering);
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
}

async function sendMail(
  env: ActionEnv,
  target: ActionTarget,
  request: { readonly rule: string; readonly index: number; readonly action: RuleAction },
  recipients: readonly string[],
  recovering: boolean,
): Promise<ActionResult> {
  const { action } = request;
  if (!env.send) throw notConfigured(env, action.kind);
  const messageId = outgoingMessageId(
    `${env.mailboxId}|${target.originalKey}|${request.rule}|${request.index}`,
    env.from,
  );
  const keepCopy = env.saveSent && target.session.saveSent !== undefined;
  if (recovering && keepCopy && target.session.findSent) {
    // The window of a sent mail: SMTP accepted it, the process died before the journal said so. A copy in Sent
    // (saved right after acceptance) proves it went out.
    const found = await target.session.findSent(messageId).catch((error: unknown) => {
      env.logger.warn({ mailboxId: env.mailboxId, rule: request.rule, err: String(error) }, 'could not search Sent');
      return false;
    });
    if (found) return { sentMessageId: messageId, recipients, recovered: true };
  }
  const sender = { from: env.from, messageId };
  let mail: SmtpMessage;
  if (action.kind === 'reply') mail = buildReply(target.message, recipients[0] ?? '', action, sender);
  else if (action.kind === 'forward') mail = buildForward(target.message, await target.source(), action, sender);
  else mail = buildSend(action as Extract<RuleAction, { kind: 'send' }>, sender);
  const raw = keepCopy ? await composeRaw(mail) : undefined;
  const result = await env.send(raw ? { ...mail, raw } : mail);
  failpoint('after-smtp-accepted');
  if (raw && target.session.saveSent) {
    await target.session.saveSent(raw).catch((error: unknown) => {
      // The mail went out; only the copy is missing (and with it the proof for a recovery after a crash).
      env.logger.warn(
        { mailboxId: env.mailboxId, rule: request.rule, sentMessageId: result.messageId, err: String(error) },
        'sent, but the copy in the Sent folder could not be saved',
      );
    });
    failpoint('after-sent-copy');
  }
  return { sentMessageId: result.messageId, recipients: result.accepted };
}

/**
 * The batch form of a folder action for several messages of one session: one protocol command where the session
 * has it (IMAP `UID STORE`/`UID MOVE` over the set), else `undefined` (the caller performs them one by one).
 *
 * @example
 * ```ts
 * const run = batchCommand(session, { kind: 'markRead' });
 * if (run) await run(messages);
 * ```
 */
export function batchCommand(
  session: MailSession,
  action: RuleAction,
): ((messages: readonly DiscoveredMessage[]) => Promise<void>) | undefined {
  switch (action.kind) {
    case 'markRead':
      return session.markReadMany ? (m) => session.markReadMany!(m) : undefined;
    case 'flag':
      return session.flagMany ? (m) => session.flagMany!(m, action.flag) : undefined;
    case 'moveTo':
      return session.moveToMany ? (m) => session.moveToMany!(m, action.folder) : undefined;
    case 'delete':
      return session.deleteMany ? (m) => session.deleteMany!(m) : undefined;
    default:
      return undefined;
  }
}

/**
 * The key that groups like actions of a batch into one command (kind and argument).
 *
 * @example
 * ```ts
 * batchKey({ kind: 'moveTo', folder: 'Done' }); // 'moveTo\0Done'
 * ```
 */
export function batchKey(action: RuleAction): string {
  if (action.kind === 'flag') return `flag\0${action.flag}`;
  if (action.kind === 'moveTo') return `moveTo\0${action.folder}`;
  return action.kind;
}
