/**
 * A host's own lease on its own clock (issue 9): valid from the moment a successful heartbeat was sent, minus a
 * margin; a renewal after it ran out is reported as a lapse (another host may have taken the mailboxes meanwhile).
 */
import { describe, expect, it } from 'vitest';
import { LocalLease } from '../../../runtime/cluster/lease.js';

describe('LocalLease', () => {
  it('is not valid before the first renewal', () => {
    expect(new LocalLease(2_000).isValid(0)).toBe(false);
  });

  it('counts from when the heartbeat was sent, minus the margin', () => {
    const lease = new LocalLease(2_000, 200);
    expect(lease.renew(1_000)).toBe(false);
    expect(lease.validUntil).toBe(2_800);
    expect(lease.isValid(2_799)).toBe(true);
    expect(lease.isValid(2_800)).toBe(false);
  });

  it('reports a lapse when a renewal was sent after the lease ran out (a pause or a cut-off)', () => {
    const lease = new LocalLease(2_000, 200);
    lease.renew(0);
    expect(lease.renew(600)).toBe(false);
    expect(lease.renew(1_300)).toBe(false);
    // Paused from 1,300 to 5,000: the next heartbeat goes out after the lease (valid until 3,100) ended.
    expect(lease.isValid(5_000)).toBe(false);
    expect(lease.renew(5_000)).toBe(true);
    expect(lease.isValid(5_001)).toBe(true);
  });

  it('never shortens on an out-of-order renewal, and can be revoked', () => {
    const lease = new LocalLease(2_000, 0);
    lease.renew(1_000);
    lease.renew(500);
    expect(lease.validUntil).toBe(3_000);
    lease.revoke();
    expect(lease.isValid(1_000)).toBe(false);
  });

  it('rejects a margin that leaves no lease', () => {
    expect(() => new LocalLease(1_000, 1_000)).toThrow(RangeError);
    expect(() => new LocalLease(0)).toThrow(RangeError);
  });
});
