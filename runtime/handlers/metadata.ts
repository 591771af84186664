/**
 * What a command handler learns about the message besides its raw source: environment variables, and the
 * idempotency key that makes the at-least-once contract workable.
 *
 * **The at-least-once contract.** A command is an effect outside the journal's control: if the process dies after
 * the command ran but before `handler.succeeded` was journaled, the command runs again on restart (only then).
 * Every run of one rule for one message gets the same `MAIL_AUTOPILOT_IDEMPOTENCY_KEY`, also after a restart or a
 * UIDVALIDITY change, so a handler that must not repeat its effect records the key with its effect and exits 0
 * when it finds the key already recorded.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { DiscoveredMessage } from '../../adapters/contract.js';

/**
 * Metadata of one handler run.
 *
 * @example
 * ```ts
 * const metadata: HandlerMetadata = {
 *   mailboxId: 'support', key: 'imap:INBOX:7:42', messageId: '<a@x>', subject: 'Undelivered Mail',
 *   from: ['mailer-daemon@mx.example.test'], to: ['support@example.test'], rule: 'bounces', attempt: 1,
 *   idempotencyKey: idempotencyKey({ mailboxId: 'support', key: 'imap:INBOX:7:42', rule: 'bounces' }),
 * };
 * ```
 */
export interface HandlerMetadata {
  readonly mailboxId: string;
  readonly key: string;
  readonly messageId: string | null;
  readonly subject: string;
  /** Bare addresses. */
  readonly from: readonly string[];
  readonly to: readonly string[];
  readonly rule: string;
  /** 1 for the first run, counting over the message's life. */
  readonly attempt: number;
  readonly idempotencyKey: string;
}

/**
 * The variables every command gets, by name.
 *
 * @example
 * ```ts
 * process.env[HANDLER_ENV.idempotencyKey]; // inside a Node handler: 'MAIL_AUTOPILOT_IDEMPOTENCY_KEY'
 * ```
 */
export const HANDLER_ENV = {
  mailboxId: 'MAIL_AUTOPILOT_MAILBOX',
  key: 'MAIL_AUTOPILOT_KEY',
  messageId: 'MAIL_AUTOPILOT_MESSAGE_ID',
  subject: 'MAIL_AUTOPILOT_SUBJECT',
  from: 'MAIL_AUTOPILOT_FROM',
  to: 'MAIL_AUTOPILOT_TO',
  rule: 'MAIL_AUTOPILOT_RULE',
  attempt: 'MAIL_AUTOPILOT_ATTEMPT',
  idempotencyKey: 'MAIL_AUTOPILOT_IDEMPOTENCY_KEY',
} as const;

/**
 * Longest value put into one variable. Linux refuses an exec whose single argument or variable exceeds 128 KiB
 * (E2BIG); subjects of malformed mail can be longer than that. The raw message on stdin is never shortened.
 *
 * @example
 * ```ts
 * handlerEnv(metadata).MAIL_AUTOPILOT_SUBJECT!.length <= MAX_ENV_VALUE_LENGTH; // true
 * ```
 */
export const MAX_ENV_VALUE_LENGTH = 8_192;

/**
 * Makes a value safe for the environment of a child: NUL removed (spawn throws on it, and mail from strangers may
 * contain one) and cut at {@link MAX_ENV_VALUE_LENGTH}.
 *
 * @example
 * ```ts
 * envValue('a\0b'); // 'ab'
 * ```
 */
export function envValue(value: string): string {
  const clean = value.includes('\0') ? value.replaceAll('\0', '') : value;
  return clean.length > MAX_ENV_VALUE_LENGTH ? clean.slice(0, MAX_ENV_VALUE_LENGTH) : clean;
}

/**
 * The environment variables for a run: `MAIL_AUTOPILOT_MAILBOX`, `_KEY`, `_MESSAGE_ID` (empty when none),
 * `_SUBJECT`, `_FROM` and `_TO` (bare addresses joined by `, `), `_RULE`, `_ATTEMPT`, `_IDEMPOTENCY_KEY`.
 * Values lose NUL characters and are cut at {@link MAX_ENV_VALUE_LENGTH}.
 *
 * @example
 * ```ts
 * spawn('node', ['handler.js'], { env: { ...process.env, ...handlerEnv(metadata) } });
 * ```
 */
export function handlerEnv(metadata: HandlerMetadata): Record<string, string> {
  return {
    [HANDLER_ENV.mailboxId]: envValue(metadata.mailboxId),
    [HANDLER_ENV.key]: envValue(metadata.key),
    [HANDLER_ENV.messageId]: envValue(metadata.messageId ?? ''),
    [HANDLER_ENV.subject]: envValue(metadata.subject),
    [HANDLER_ENV.from]: envValue(metadata.from.join(', ')),
    [HANDLER_ENV.to]: envValue(metadata.to.join(', ')),
    [HANDLER_ENV.rule]: envValue(metadata.rule),
    [HANDLER_ENV.attempt]: String(metadata.attempt),
    [HANDLER_ENV.idempotencyKey]: metadata.idempotencyKey,
  };
}

/**
 * A stable key per message and rule: the SHA-256 of mailbox, key and rule, as 32 hex digits. Pass the key the
 * message was first journaled under (`MessageRecord.originalKey`), so it survives re-identification.
 *
 * @example
 * ```ts
 * idempotencyKey({ mailboxId: 'support', key: record.originalKey, rule: 'bounces' }); // '3f1c…' (32 hex)
 * ```
 */
export function idempotencyKey(input: { mailboxId: string; key: string; rule: string }): string {
  return createHash('sha256')
    .update(JSON.stringify([input.mailboxId, input.key, input.rule]))
    .digest('hex')
    .slice(0, 32);
}

/**
 * Builds the metadata of a run from a discovered message.
 *
 * @example
 * ```ts
 * const metadata = handlerMetadata(message, { rule: 'bounces', attempt: 2, originalKey: record.originalKey });
 * ```
 */
export function handlerMetadata(
  message: DiscoveredMessage,
  run: { rule: string; attempt: number; originalKey?: string },
): HandlerMetadata {
  const { mailboxId, key, messageId } = message.identity;
  return {
    mailboxId,
    key,
    messageId,
    subject: message.envelope.subject,
    from: message.envelope.from.map((a) => a.address).filter((a) => a !== ''),
    to: message.envelope.to.map((a) => a.address).filter((a) => a !== ''),
    rule: run.rule,
    attempt: run.attempt,
    idempotencyKey: idempotencyKey({ mailboxId, key: run.originalKey ?? key, rule: run.rule }),
  };
}
