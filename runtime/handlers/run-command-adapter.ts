/**
 * Runs a rule's command handler for the pipeline: resolves its working directory against the config file's directory
 * and maps the result to the pipeline's outcome.
 *
 * @module
 */
import { isAbsolute, resolve } from 'node:path';
import type { StepOutcome } from '../pipeline/step-outcome.js';
import type { CommandHandlerSpec } from '../rules/types.js';
import type { HandlerMetadata } from './metadata.js';
import { runCommandHandler } from './run-command.js';

/**
 * Runs `spec` with the raw message on stdin and the metadata in the environment.
 *
 * @example
 * ```ts
 * const outcome = await runCommand(rule.handler, { source, metadata, signal }, { baseDir: config.baseDir, defaultTimeoutMs: 60_000 });
 * ```
 */
export async function runCommand(
  spec: CommandHandlerSpec,
  input: { readonly source: Buffer; readonly metadata: HandlerMetadata; readonly signal: AbortSignal },
  context: { readonly baseDir: string; readonly defaultTimeoutMs: number },
): Promise<StepOutcome> {
  const cwd =
    spec.cwd === null ? context.baseDir : isAbsolute(spec.cwd) ? spec.cwd : resolve(context.baseDir, spec.cwd);
  const result = await runCommandHandler({
    command: spec.command,
    cwd,
    rawSource: input.source,
    metadata: input.metadata,
    timeoutMs: spec.timeoutMs || context.defaultTimeoutMs,
    env: spec.env,
    passEnv: spec.passEnv,
    signal: input.signal,
  });
  if (result.ok) return { ok: true };
  // runCommandHandler's reason already ends with the last line of stderr.
  return { ok: false, code: result.code, reason: result.reason, retryable: result.retryable };
}
