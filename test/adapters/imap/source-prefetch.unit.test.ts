/**
 * Read-ahead of sources (bench a2 of issue 3): which messages come along with a body request, the byte budgets, and
 * that a source is handed out once.
 */
import { describe, expect, it } from 'vitest';
import {
  PREFETCH_BATCH_BYTES,
  PREFETCH_BATCH_MESSAGES,
  PREFETCH_CACHE_BYTES,
  PREFETCH_MAX_MESSAGE_BYTES,
  SourcePrefetch,
} from '../../../adapters/imap/source-prefetch.js';

const small = (uid: number, size = 1_000) => ({ uid, size });

describe('SourcePrefetch', () => {
  it('brings the following small messages along, in delivery order', () => {
    const prefetch = new SourcePrefetch();
    prefetch.upcoming([small(5), small(7), small(9)]);
    expect(prefetch.plan(7, 1_000)).toEqual([7, 9]);
    expect(prefetch.plan(5, 1_000)).toEqual([5, 7, 9]);
  });

  it('never reads ahead for or around large messages, and keeps the batch within its budgets', () => {
    const prefetch = new SourcePrefetch();
    const big = PREFETCH_MAX_MESSAGE_BYTES + 1;
    prefetch.upcoming([small(1), { uid: 2, size: big }, ...Array.from({ length: 200 }, (_, i) => small(10 + i))]);
    expect(prefetch.plan(2, big)).toEqual([2]);
    expect(prefetch.plan(1, 1_000)).toHaveLength(PREFETCH_BATCH_MESSAGES);
    expect(prefetch.plan(1, 1_000)).not.toContain(2);
    const near = Math.floor(PREFETCH_BATCH_BYTES / 4.5);
    prefetch.upcoming([small(1), ...[2, 3, 4, 5, 6, 7].map((uid) => small(uid, near))]);
    expect(prefetch.plan(1, 1_000)).toEqual([1, 2, 3, 4, 5]);
  });

  it('hands a stored source out once, and drops the oldest beyond the cache budget', () => {
    const prefetch = new SourcePrefetch();
    prefetch.store(1, Buffer.alloc(10));
    expect(prefetch.take(1)?.length).toBe(10);
    expect(prefetch.take(1)).toBeUndefined();
    const chunk = Buffer.alloc(PREFETCH_CACHE_BYTES / 2);
    prefetch.store(2, chunk);
    prefetch.store(3, chunk);
    prefetch.store(4, chunk);
    expect(prefetch.take(2)).toBeUndefined();
    expect(prefetch.take(4)).toBe(chunk);
  });

  it('does not plan messages already fetched, and forgets everything on clear', () => {
    const prefetch = new SourcePrefetch();
    prefetch.upcoming([small(1), small(2), small(3)]);
    prefetch.store(2, Buffer.from('x'));
    expect(prefetch.plan(1, 1_000)).toEqual([1, 3]);
    prefetch.clear();
    expect(prefetch.take(2)).toBeUndefined();
    expect(prefetch.plan(1, 1_000)).toEqual([1]);
  });
});
