/**
 * One host's rebalancing decision (issue 9): take what is assigned to it and free, give back what is assigned to
 * another live host, leave alone what is being started or handed over, and do nothing while not live.
 */
import { describe, expect, it } from 'vitest';
import { assignMailboxes } from '../../../runtime/cluster/assignment.js';
import { planOwnership } from '../../../runtime/cluster/plan.js';

const ids = Array.from({ length: 12 }, (_, i) => `m${i}`);
const mine = (me: string, hosts: string[]) =>
  [...assignMailboxes(ids, hosts)].filter(([, host]) => host === me).map(([id]) => id);

describe('planOwnership', () => {
  it('acquires its whole share when it holds nothing', () => {
    const plan = planOwnership({
      me: 'a',
      mailboxIds: ids,
      liveHosts: ['a', 'b', 'c'],
      held: new Set(),
      busy: new Set(),
      mayAcquire: true,
    });
    expect(plan.acquire).toEqual(mine('a', ['a', 'b', 'c']).sort());
    expect(plan.acquire).toHaveLength(4);
    expect(plan.release).toEqual([]);
  });

  it('gives back what moved to a newcomer and keeps the rest', () => {
    const before = mine('a', ['a', 'b']);
    const after = mine('a', ['a', 'b', 'c']);
    const plan = planOwnership({
      me: 'a',
      mailboxIds: ids,
      liveHosts: ['a', 'b', 'c'],
      held: new Set(before),
      busy: new Set(),
      mayAcquire: true,
    });
    expect(plan.release).toEqual(before.filter((id) => !after.includes(id)).sort());
    expect(plan.release.length).toBeGreaterThan(0);
    expect(plan.acquire).toEqual(after.filter((id) => !before.includes(id)).sort());
  });

  it('takes over a dead host’s share: the dead host is simply not in the live set', () => {
    const plan = planOwnership({
      me: 'a',
      mailboxIds: ids,
      liveHosts: ['a', 'b'],
      held: new Set(mine('a', ['a', 'b', 'c'])),
      busy: new Set(),
      mayAcquire: true,
    });
    expect(plan.acquire.length + mine('a', ['a', 'b', 'c']).length).toBeGreaterThanOrEqual(6);
    expect(plan.release).toEqual(
      mine('a', ['a', 'b', 'c'])
        .filter((id) => !mine('a', ['a', 'b']).includes(id))
        .sort(),
    );
  });

  it('leaves busy mailboxes alone and acquires nothing before it may', () => {
    const share = mine('a', ['a']);
    const plan = planOwnership({
      me: 'a',
      mailboxIds: ids,
      liveHosts: ['a'],
      held: new Set(['m0']),
      busy: new Set(['m1']),
      mayAcquire: false,
    });
    expect(share).toHaveLength(12);
    expect(plan.acquire).toEqual([]);
    expect(plan.release).toEqual([]);
  });

  it('does nothing by plan when it is not live itself (its lease lapsed)', () => {
    const plan = planOwnership({
      me: 'a',
      mailboxIds: ids,
      liveHosts: ['b'],
      held: new Set(['m0', 'm1']),
      busy: new Set(),
      mayAcquire: true,
    });
    expect(plan).toMatchObject({ acquire: [], release: [] });
  });
});
