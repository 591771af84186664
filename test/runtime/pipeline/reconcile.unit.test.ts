/**
 * Regression (crash-recovery e2e, CI run of 2026-11-29 02:45): a message moved away whose `message.handled` was not
 * journaled before a SIGKILL was never discovered again and stayed unfinished forever. `reconcileVanished` settles such
 * messages at the end of a session's first pass; the pipeline now appends the last action and `message.handled` together.
 */
import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../../runtime/journal/events.js';
import { Journal } from '../../../runtime/journal/journal.js';
import { MemoryJournalStore } from '../../../runtime/journal/memory-store.js';
import { reconcileVanished } from '../../../runtime/pipeline/reconcile.js';

const base = (key: string) => ({ mailboxId: 'm', key, messageId: `<${key}@x>`, at: 1 });
const upToMove = (key: string): JournalEvent[] => [
  { type: 'message.discovered', ...base(key) },
  { type: 'message.matched', ...base(key), rules: ['r'] },
  { type: 'action.started', ...base(key), rule: 'r', index: 0, kind: 'moveTo' },
];

describe('reconcileVanished', () => {
  it('settles a move in flight and a move journaled as done without the end, for messages the pass did not see', async () => {
    const journal = await Journal.open(new MemoryJournalStore());
    await journal.append([
      ...upToMove('a'),
      ...upToMove('b'),
      { type: 'action.done', ...base('b'), rule: 'r', index: 0, kind: 'moveTo' },
      ...upToMove('c'),
      { type: 'message.discovered', ...base('d') },
      { type: 'handler.started', ...base('d'), rule: 'r', attempt: 1 },
    ]);
    const settled = await reconcileVanished(journal, 'm', new Set(['c']), 2);
    expect(settled.sort()).toEqual(['a', 'b']);
    for (const key of ['a', 'b']) expect(journal.messages.get('m', key)?.status).toBe('handled');
    // Seen in the pass: it is still there and gets handled normally; a handler in flight is not a removal.
    expect(journal.messages.get('m', 'c')?.status).not.toBe('handled');
    expect(journal.messages.get('m', 'd')?.status).not.toBe('handled');
  });
});
