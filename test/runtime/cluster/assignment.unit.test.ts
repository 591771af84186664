/**
 * Rendezvous hashing with bounded loads (issue 9, item 2): every host computes the same owner for every mailbox,
 * loads differ by at most one, and a host joining or leaving moves about its fair share, not more.
 */
import { describe, expect, it } from 'vitest';
import { assignMailboxes, hash53 } from '../../../runtime/cluster/assignment.js';

const mailboxes = (n: number) => Array.from({ length: n }, (_, i) => `mailbox-${i}`);
const hosts = (n: number) => Array.from({ length: n }, (_, i) => `host-${String.fromCharCode(97 + i)}`);

function loads(assignment: Map<string, string>): number[] {
  const counts = new Map<string, number>();
  for (const host of assignment.values()) counts.set(host, (counts.get(host) ?? 0) + 1);
  return [...counts.values()].sort((a, b) => a - b);
}

function moved(before: Map<string, string>, after: Map<string, string>): number {
  let n = 0;
  for (const [mailbox, host] of before) if (after.get(mailbox) !== host) n++;
  return n;
}

describe('assignMailboxes', () => {
  it('gives every mailbox exactly one of the hosts, the same whatever the order of the inputs', () => {
    const ids = mailboxes(200);
    const a = assignMailboxes(ids, ['x', 'y', 'z']);
    const b = assignMailboxes([...ids].reverse(), ['z', 'x', 'y', 'x']);
    expect([...a.keys()].sort()).toEqual([...ids].sort());
    expect(new Set(a.values())).toEqual(new Set(['x', 'y', 'z']));
    expect(Object.fromEntries(b)).toEqual(Object.fromEntries(a));
  });

  it('assigns nothing without hosts', () => {
    expect(assignMailboxes(mailboxes(3), []).size).toBe(0);
  });

  it.each([
    [30, 3],
    [30, 4],
    [1000, 7],
    [10_000, 4],
  ])('spreads %i mailboxes over %i hosts with loads differing by at most one', (n, h) => {
    const counts = loads(assignMailboxes(mailboxes(n), hosts(h)));
    expect(counts).toHaveLength(h);
    expect(counts.at(-1)! - counts[0]!).toBeLessThanOrEqual(1);
    expect(counts.reduce((sum, c) => sum + c, 0)).toBe(n);
  });

  it('moves about the fair share when a host joins or leaves (at most 10 % of all mailboxes more)', () => {
    const ids = mailboxes(2000);
    const four = assignMailboxes(ids, hosts(4));
    const five = assignMailboxes(ids, hosts(5));
    const three = assignMailboxes(ids, hosts(3));
    // Joining: the newcomer's share (1/5) must move; leaving: the leaver's share (1/4).
    expect(moved(four, five) / ids.length).toBeGreaterThanOrEqual(0.2);
    expect(moved(four, five) / ids.length).toBeLessThan(0.3);
    expect(moved(four, three) / ids.length).toBeGreaterThanOrEqual(0.25);
    expect(moved(four, three) / ids.length).toBeLessThan(0.35);
    // Mailboxes that move on a join go to the newcomer (mostly: bounded loads shift a few between the others).
    const toNewcomer = [...four.keys()].filter((m) => four.get(m) !== five.get(m) && five.get(m) === 'host-e').length;
    expect(toNewcomer / moved(four, five)).toBeGreaterThan(0.9);
  });

  it('hashes stably (the same on every host and every version of Node)', () => {
    expect(hash53('host-a\u0000support')).toBe(hash53('host-a\u0000support'));
    expect(hash53('a')).not.toBe(hash53('b'));
    expect(hash53('mailbox-1')).toBe(5701880983690983);
  });
});
