/**
 * Command handlers (issue 4): running a rule's command with the raw message on stdin and its metadata in the
 * environment, under a timeout, with the at-least-once contract documented in `metadata.ts`.
 *
 * @example
 * ```ts
 * import { handlerMetadata, runCommandHandler } from './runtime/handlers/index.js';
 * const result = await runCommandHandler({ command: ['node', 'bounce.js'], rawSource: raw, timeoutMs: 30_000,
 *   metadata: handlerMetadata(message, { rule: 'bounces', attempt: 1 }) });
 * ```
 * @module
 */
export type { HandlerMetadata } from './metadata.js';
export {
  envValue,
  HANDLER_ENV,
  handlerEnv,
  handlerMetadata,
  idempotencyKey,
  MAX_ENV_VALUE_LENGTH,
} from './metadata.js';
export { OutputTail } from './output-tail.js';
export type { CommandFailureCode, CommandResult, RunCommandOptions } from './run-command.js';
export { runCommandHandler } from './run-command.js';
