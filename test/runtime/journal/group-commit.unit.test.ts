/**
 * The group-commit queue of the PostgreSQL store (issue 12, item 4), with a commit function in memory: calls that
 * arrive while a commit is in flight go together as the next one, in order, within the size limit; one call's
 * failure is its own; a failed group is retried call by call so only the culprit fails.
 */
import { describe, expect, it } from 'vitest';
import { GroupCommitQueue } from '../../../runtime/journal/postgres/group-commit.js';

/** A commit function that records its groups and waits until released, so the test decides when commits end. */
function recorder(outcome: (item: string) => string | Error = (item) => item.toUpperCase()) {
  const groups: string[][] = [];
  const gates: (() => void)[] = [];
  let failWhole: ((items: readonly string[]) => boolean) | undefined;
  const commit = async (items: readonly string[]) => {
    groups.push([...items]);
    await new Promise<void>((resolve) => gates.push(resolve));
    if (failWhole?.(items)) throw new Error(`statement failed for ${items.join('+')}`);
    return items.map(outcome);
  };
  const releaseAll = async () => {
    while (gates.length > 0) {
      gates.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { groups, commit, releaseAll, failWhen: (f: (items: readonly string[]) => boolean) => (failWhole = f) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommitQueue', () => {
  it('commits the calls of one turn together, and those arriving during a commit as the next group, in order', async () => {
    const r = recorder();
    const queue = new GroupCommitQueue(r.commit, 100);
    const first = [queue.submit('a', 1), queue.submit('b', 1)];
    await settle();
    expect(r.groups).toEqual([['a', 'b']]);
    const later = [queue.submit('c', 1), queue.submit('d', 1), queue.submit('e', 1)];
    await settle();
    expect(r.groups).toHaveLength(1); // c, d, e wait for the commit in flight
    await r.releaseAll();
    expect(await Promise.all([...first, ...later])).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(r.groups).toEqual([
      ['a', 'b'],
      ['c', 'd', 'e'],
    ]);
    expect(queue.stats).toEqual({ groups: 2, calls: 5 });
  });

  it('closes a group before it grows past the limit; a bigger call goes alone', async () => {
    const r = recorder();
    const queue = new GroupCommitQueue(r.commit, 10);
    const all = [queue.submit('a', 4), queue.submit('b', 6), queue.submit('c', 1), queue.submit('big', 50)];
    await settle();
    await r.releaseAll();
    await Promise.all(all);
    expect(r.groups).toEqual([['a', 'b'], ['c'], ['big']]);
  });

  it('fails a call alone when its own outcome is an error', async () => {
    const r = recorder((item) => (item === 'bad' ? new Error('conflict') : item));
    const queue = new GroupCommitQueue(r.commit, 100);
    const results = Promise.allSettled([queue.submit('a', 1), queue.submit('bad', 1), queue.submit('c', 1)]);
    await settle();
    await r.releaseAll();
    expect((await results).map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(r.groups).toEqual([['a', 'bad', 'c']]);
  });

  it('retries a failed group call by call, so only the call that breaks the statement fails', async () => {
    const r = recorder();
    r.failWhen((items) => items.includes('poison'));
    const queue = new GroupCommitQueue(r.commit, 100);
    const results = Promise.allSettled([queue.submit('a', 1), queue.submit('poison', 1), queue.submit('c', 1)]);
    await settle();
    await r.releaseAll();
    const settled = await results;
    expect(settled.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('statement failed for poison');
    expect(r.groups).toEqual([['a', 'poison', 'c'], ['a'], ['poison'], ['c']]);
  });
});
