/**
 * What a handler function of the host program receives (SPEC S13: "the message and the means to reply, forward,
 * send, move, mark read and delete").
 *
 * @module
 */
import type { DiscoveredMessage, MessageBody } from '../../adapters/contract.js';

/**
 * The message as a handler sees it: the discovered message plus its source and body, fetched only when asked.
 *
 * @example
 * ```ts
 * const text = (await message.body()).text ?? '';
 * ```
 */
export interface HandlerMessage extends DiscoveredMessage {
  readonly mailboxId: string;
  /** The raw RFC 5322 source (fetched on first call). */
  source(): Promise<Buffer>;
  /** Text, HTML and attachments, parsed (fetched on first call). */
  body(): Promise<MessageBody>;
}

/**
 * The means a handler has to act. Every call is journaled like a rule's action: after a crash, a handler that runs
 * again and makes the same calls in the same order does not repeat those already done.
 *
 * @example
 * ```ts
 * autopilot.rule({ subject: { startsWith: 'Order' } }, async (message, ctx) => {
 *   await ctx.reply({ text: `Thank you, we received ${message.envelope.subject}.` });
 *   await ctx.moveTo('Orders');
 * });
 * ```
 */
export interface HandlerContext {
  /** Stable per message and rule: the same on every re-run, for the handler's own de-duplication. */
  readonly idempotencyKey: string;
  /** 1 on the first run of this handler for this message, 2 on the first retry, … */
  readonly attempt: number;
  readonly rule: string;
  /** Aborted when the autopilot stops and the deadline for handlers in flight has passed. */
  readonly signal: AbortSignal;
  reply(content: { text?: string; html?: string; subject?: string }): Promise<void>;
  forward(content: { to: string[]; cc?: string[]; text?: string; subject?: string }): Promise<void>;
  send(content: { to: string[]; cc?: string[]; subject: string; text?: string; html?: string }): Promise<void>;
  moveTo(folder: string): Promise<void>;
  markRead(): Promise<void>;
  flag(flag: string): Promise<void>;
  delete(): Promise<void>;
}

/**
 * A handler function of the host program. Resolving means handled; throwing means failed (retried a bounded number of
 * times, then dead-lettered; an error with `retryable: false` is dead-lettered at once).
 *
 * @example
 * ```ts
 * const handler: HostHandler = async (message, ctx) => { await ctx.markRead(); };
 * ```
 */
export type HostHandler = (message: HandlerMessage, context: HandlerContext) => void | Promise<void>;
