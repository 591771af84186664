/**
 * The service's checkpoints: a {@link Checkpointer} on the journal with the config's settings, logging a write
 * that fails (warn; a success is not worth a line). Nothing when the journal cannot be saved in a snapshot.
 *
 * @module
 */
import type { Logger } from '../../adapters/contract.js';
import { Checkpointer } from './checkpointer.js';
import type { Journal } from './journal.js';

export { Checkpointer } from './checkpointer.js';

/**
 * Starts checkpoints for the service's journal; returns the checkpointer to stop before the journal closes.
 *
 * @example
 * ```ts
 * const checkpointer = startCheckpoints(journal, config.checkpoint, Date.now, logger);
 * // …
 * await checkpointer?.stop();
 * ```
 */
export function startCheckpoints(
  journal: Journal,
  settings: { readonly everyEvents: number; readonly every: number },
  now: () => number,
  logger: Logger,
): Checkpointer | undefined {
  if (!journal.canSnapshot) return undefined;
  const checkpointer = new Checkpointer(
    journal,
    { everyEvents: settings.everyEvents, everyMs: settings.every },
    {
      now,
      onError: (error) =>
        logger.warn({ error: String((error as Error)?.message ?? error) }, 'journal snapshot not written'),
    },
  );
  checkpointer.start();
  return checkpointer;
}
