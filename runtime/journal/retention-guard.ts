/**
 * The start-up guard of retention (issue 16, part 3): a writer must not fold a journal whose old history retention
 * removed unless it started from a checkpoint that covers what was removed. Folding what is left would forget the
 * pruned messages and handle them again (they may still be on the server). The CLI's readers (`events`, `status`)
 * do not need it: they only show what is there.
 *
 * @module
 */
import type { Journal } from './journal.js';

/**
 * A start was refused: no usable checkpoint covers the history retention removed.
 *
 * @example
 * ```ts
 * try { await assertPrunedHistoryCovered(journal); }
 * catch (error) { if (error instanceof JournalHistoryPrunedError) log.error(error.message); }
 * ```
 */
export class JournalHistoryPrunedError extends Error {
  override readonly name = 'JournalHistoryPrunedError';
  readonly code = 'JOURNAL_HISTORY_PRUNED';
  readonly retryable = false;
  /** The highest position retention removed history through. */
  readonly prunedThrough: number;
  /** The position of the checkpoint the journal started from (0: none). */
  readonly restoredFrom: number;

  constructor(prunedThrough: number, restoredFrom: number) {
    super(
      `retention removed the journal's history through position ${prunedThrough}, but ${
        restoredFrom === 0 ? 'no checkpoint could be used' : `the checkpoint used covers only ${restoredFrom}`
      } (see "journal snapshot ignored" in the log): folding what is left would handle the pruned messages again, ` +
        'so the start is refused. Start with the program version and settings that wrote the checkpoints.',
    );
    this.prunedThrough = prunedThrough;
    this.restoredFrom = restoredFrom;
  }
}

/**
 * Throws {@link JournalHistoryPrunedError} when retention removed history the journal's starting checkpoint does not
 * cover; resolves otherwise (also when retention never removed anything).
 *
 * @example
 * ```ts
 * const journal = await Journal.open(store, { projections });
 * await assertPrunedHistoryCovered(journal); // before any mailbox acts on the projections
 * ```
 */
export async function assertPrunedHistoryCovered(journal: Journal): Promise<void> {
  const passes = await journal.store.prunePasses();
  const prunedThrough = passes.reduce((max, pass) => Math.max(max, pass.throughPosition), 0);
  if (prunedThrough > journal.restoredFrom) throw new JournalHistoryPrunedError(prunedThrough, journal.restoredFrom);
}
