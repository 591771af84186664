/**
 * The ownership decisions without a database (issue 14, item 4): a simulated clock drives one host's coordinator
 * through joining, the join delay, a peer's lease running out, a newcomer, a pause past its own lease, a takeover
 * found by reconciliation, and fencing tokens — the same rules the PostgreSQL driver carries out.
 */
import { describe, expect, it } from 'vitest';
import { assignMailboxes } from '../../../runtime/cluster/assignment.js';
import { type HeartbeatReport, OwnershipCoordinator, type PeerLease } from '../../../runtime/cluster/coordinator.js';

const LEASE = 3_000;
const JOIN = 100;
const ids = Array.from({ length: 12 }, (_, i) => `m${String(i).padStart(2, '0')}`);
const share = (me: string, hosts: string[]) =>
  [...assignMailboxes(ids, hosts)]
    .filter(([, host]) => host === me)
    .map(([id]) => id)
    .sort();

/** One host with a clock the test moves. */
function host(me = 'a') {
  const core = new OwnershipCoordinator({ hostId: me, mailboxIds: ids, leaseMs: LEASE, joinDelayMs: JOIN });
  let now = 1_000;
  const beat = (peers: PeerLease[] = [], rows?: Partial<HeartbeatReport>) => {
    const held = core.held();
    const report: HeartbeatReport = {
      wasExpired: false,
      heldRows: held.size,
      heldEpochSum: [...held.values()].reduce((a, b) => a + b, 0),
      peers,
      ...rows,
    };
    return core.heartbeat(now, report, now);
  };
  /** Acquires what the plan asks for, as the database would grant a free row: epoch 1 (or the given one). */
  const takeShare = (epoch = 1) => {
    const { acquire } = core.plan(now);
    const got = core.acquired(acquire.map((id) => [id, epoch] as const));
    core.settled(got);
    return got;
  };
  return {
    core,
    beat,
    takeShare,
    advance: (ms: number) => {
      now += ms;
    },
    get now() {
      return now;
    },
  };
}

const peer = (id: string, remainingMs = LEASE, digest: string | null = null): PeerLease => ({
  id,
  remainingMs,
  digest,
});

describe('OwnershipCoordinator', () => {
  it('waits the join delay after joining, then plans its whole share, and gives tokens only while its lease holds', () => {
    const h = host();
    h.beat();
    h.core.joined(h.now);
    expect(h.core.plan(h.now).acquire).toEqual([]);
    h.advance(JOIN);
    expect(h.takeShare()).toEqual(ids);
    expect(h.core.tokenFor('m00', h.now)).toBe(1);
    expect(h.core.tokenFor('elsewhere', h.now)).toBeUndefined();
    // The local lease counts from when the heartbeat was sent, minus a tenth: 2.7 s here.
    h.advance(LEASE * 0.9 - JOIN - 1);
    expect(h.core.tokenFor('m00', h.now)).toBe(1);
    h.advance(1);
    expect(h.core.tokenFor('m00', h.now)).toBeUndefined();
  });

  it('restarts the join delay when a peer joins before it took anything, at most four delays after starting', () => {
    const h = host();
    h.beat();
    h.core.joined(h.now);
    h.advance(JOIN - 10);
    expect(h.core.settle(h.now)).toBe(true);
    h.advance(JOIN - 10);
    expect(h.core.plan(h.now).acquire).toEqual([]); // still waiting: the delay restarted
    h.advance(JOIN * 4);
    expect(h.core.settle(h.now)).toBe(false);
    h.beat([peer('b')]);
    expect(h.takeShare()).toEqual(share('a', ['a', 'b']));
    expect(h.core.settle(h.now)).toBe(false); // holds something now
  });

  it('hands over what a newcomer should own, and keeps it held until the hand-over finished', () => {
    const h = host();
    h.beat();
    h.core.joined(h.now);
    h.advance(JOIN);
    h.takeShare();
    h.beat([peer('b')]);
    const { release, acquire } = h.core.plan(h.now);
    expect(acquire).toEqual([]);
    expect(release).toEqual(share('b', ['a', 'b']));
    h.core.handingOver(release);
    expect(h.core.plan(h.now).release).toEqual([]); // busy: not handed over twice
    expect(h.core.tokenFor(release[0]!, h.now)).toBe(1); // final writes of the hand-over still pass
    const rows = h.core.drop(release);
    expect(rows).toEqual(release.map((id) => [id, 1]));
    h.core.settled(release);
    expect([...h.core.held().keys()].sort()).toEqual(share('a', ['a', 'b']));
    expect(h.core.plan(h.now)).toEqual({ acquire: [], release: [] });
  });

  it('reads the hosts again right after a peer’s lease ends, and then plans to take its share', () => {
    const h = host();
    h.beat([peer('b', 1_200)]);
    h.core.joined(h.now);
    h.advance(JOIN);
    h.takeShare();
    expect(h.core.nextPeerExpiry()).toBe(h.now - JOIN + 1_200 + 25);
    h.advance(1_200 - JOIN + 25);
    // At the expiry timer: the view read reports b expired.
    h.core.view([peer('b', -25)], h.now);
    expect(h.core.liveHosts(h.now)).toEqual(['a']);
    expect(h.core.nextPeerExpiry()).toBeUndefined();
    expect(h.core.plan(h.now).acquire).toEqual(share('b', ['a', 'b']));
  });

  it('stops every mailbox when its own lease lapses, and compares its rows after the next heartbeat', () => {
    const h = host();
    h.beat();
    h.core.joined(h.now);
    h.advance(JOIN);
    h.takeShare();
    expect(h.core.lapsed(h.now)).toEqual([]);
    h.advance(h.core.lapseAt() - h.now);
    const lost = h.core.lapsed(h.now);
    expect(lost).toEqual(ids);
    h.core.drop(lost);
    h.core.settled(lost);
    expect(h.core.plan(h.now).acquire).toEqual([]); // not live in its own view: takes nothing
    // Paused for long: the database says the row had expired, and b took m00 and m01 meanwhile.
    h.advance(10_000);
    const notes = h.beat([peer('b')], { wasExpired: true, heldRows: 10, heldEpochSum: 10 });
    expect(notes.lapsed).toBe(true);
    expect(h.core.needsReconcile).toBe(true);
    const inDb = new Map(ids.slice(2).map((id) => [id, 1]));
    const { lost: taken, leftovers } = h.core.reconcile(inDb, h.now);
    expect(taken).toEqual([]); // nothing held any more
    // Rows still in its name but assigned to b are given back; its own are taken again with a new epoch.
    expect(leftovers.map(([id]) => id).sort()).toEqual(share('b', ['a', 'b']).filter((id) => inDb.has(id)));
    expect(h.core.needsReconcile).toBe(false);
    expect(h.takeShare(2)).toEqual(share('a', ['a', 'b']));
    expect(h.core.tokenFor(share('a', ['a', 'b'])[0]!, h.now)).toBe(2);
  });

  it('finds mailboxes taken over behind its back when its rows differ, and stops those', () => {
    const h = host();
    h.beat();
    h.core.joined(h.now);
    h.advance(JOIN);
    h.takeShare();
    h.beat([], { heldRows: ids.length - 1, heldEpochSum: ids.length - 1 });
    expect(h.core.needsReconcile).toBe(true);
    const { lost } = h.core.reconcile(new Map(ids.slice(1).map((id) => [id, 1])), h.now);
    expect(lost).toEqual(['m00']);
    expect(h.core.shouldStopOnRefusal('m01')).toBe(true);
    h.core.freeze();
    expect(h.core.shouldStopOnRefusal('m01')).toBe(false); // stopping: the stop itself handles everything
    expect(h.core.plan(h.now)).toEqual({ acquire: [], release: [] });
  });

  it('names a peer with another mailbox list once', () => {
    const h = host();
    expect(h.beat([peer('b', LEASE, 'other'), peer('c', LEASE, h.core.digest)]).differentConfig).toEqual(['b']);
    expect(h.beat([peer('b', LEASE, 'other')]).differentConfig).toEqual([]);
    expect(h.core.leave()).toBe(0);
    expect(h.core.tokenFor('m00', h.now)).toBeUndefined();
  });
});
