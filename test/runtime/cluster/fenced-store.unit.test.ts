/**
 * The fencing wrapper of the journal store (issue 9): an append carries this host's token for every mailbox it
 * writes; without a valid token it is refused before anything is written, and every refusal is reported.
 */
import { describe, expect, it } from 'vitest';
import { FencedJournalStore } from '../../../runtime/cluster/fenced-store.js';
import type { JournalEvent } from '../../../runtime/journal/events.js';
import { MemoryJournalStore } from '../../../runtime/journal/memory-store.js';
import { JournalFencedError } from '../../../runtime/journal/postgres/fence.js';
import type { PostgresAppendOptions } from '../../../runtime/journal/postgres-store.js';
import { JournalConflictError } from '../../../runtime/journal/store.js';

const attempt = (mailboxId: string): JournalEvent => ({ type: 'mailbox.attempt', mailboxId, at: 0, attempt: 1 });

/** A memory store that remembers the options of each append (the fence it was given). */
class RecordingStore extends MemoryJournalStore {
  readonly fences: PostgresAppendOptions['fence'][] = [];
  override append(events: readonly JournalEvent[], options: PostgresAppendOptions = {}) {
    this.fences.push(options.fence);
    return super.append(events, options);
  }
}

function setup(tokens: Record<string, number>) {
  const inner = new RecordingStore();
  const refused: string[] = [];
  const store = new FencedJournalStore(inner, {
    owner: 'host-a',
    tokenFor: (mailboxId) => tokens[mailboxId],
    refused: (mailboxId) => refused.push(mailboxId),
  });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { inner, store, refused, settle };
}

describe('FencedJournalStore', () => {
  it('passes the owner and the epoch of every stream it writes', async () => {
    const { inner, store } = setup({ support: 3, sales: 7 });
    await store.append([attempt('support'), attempt('sales'), attempt('support')]);
    expect(inner.fences).toEqual([{ owner: 'host-a', epochs: { support: 3, sales: 7 } }]);
    expect(await store.read()).toHaveLength(3);
  });

  it('refuses an append for a mailbox without a token, writes nothing, and reports it', async () => {
    const { inner, store, refused, settle } = setup({ support: 3 });
    await expect(store.append([attempt('support'), attempt('lost')])).rejects.toBeInstanceOf(JournalFencedError);
    await expect(store.append([attempt('lost')])).rejects.toBeInstanceOf(JournalConflictError);
    expect(inner.fences).toEqual([]);
    expect(await store.read()).toEqual([]);
    await settle();
    expect(refused).toEqual(['lost', 'lost']);
  });

  it('reports a conflict the inner store raised, and passes reads through', async () => {
    const { store, refused, settle } = setup({ support: 1 });
    await store.append([attempt('support')]);
    await expect(store.append([attempt('support')], { expectedVersion: { support: 0 } })).rejects.toBeInstanceOf(
      JournalConflictError,
    );
    await settle();
    expect(refused).toEqual(['support']);
    expect(await store.streamVersion('support')).toBe(1);
  });
});
