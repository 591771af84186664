/**
 * What carrying out a step gives back to the core: success, or a failure with an UPPER_SNAKE code, a reason and
 * whether trying again can help (terminal vs retryable, in the manner of restate's errors).
 *
 * @module
 */
import type { HandlerMetadata } from '../handlers/metadata.js';
import type { CommandHandlerSpec } from '../rules/types.js';

/**
 * The outcome of a handler run or an action.
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
 * A thrown value as a failure: its `code` when it is UPPER_SNAKE (typed adapter errors), else `fallbackCode`;
 * retryable unless it says `retryable: false`. The reason is cut to 1,000 characters.
 *
 * @example
 * ```ts
 * describeError(new MailServiceError({ code: 'TIMEOUT', message: 'x', retryable: true, mailboxId: 'm' }));
 * // { code: 'TIMEOUT', reason: 'x', retryable: true }
 * ```
 */
export function describeError(
  error: unknown,
  fallbackCode = 'HANDLER_ERROR',
): { code: string; reason: string; retryable: boolean } {
  const candidate = (error ?? {}) as { code?: unknown; message?: unknown; retryable?: unknown };
  const code =
    typeof candidate.code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(candidate.code) ? candidate.code : fallbackCode;
  const reason = typeof candidate.message === 'string' ? candidate.message : String(error);
  return { code, reason: reason.slice(0, 1000), retryable: candidate.retryable !== false };
}
