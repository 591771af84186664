import { describe, expect, it } from 'vitest';
import { canaryIdOf, withCanaries } from '../../../runtime/canary/canary-mark.js';
import { canaryArrived, canaryMissed, canarySent, INITIAL_CANARY_STATE } from '../../../runtime/canary/canary-state.js';

describe('canary decisions (issue 15 point 5)', () => {
  it('records the latency of the pending canary that arrives within its bound', () => {
    const state = canaryArrived(canarySent(INITIAL_CANARY_STATE, 'a1', 1_000), 'a1', 2_500, 3_000);
    expect(state).toEqual({ pending: null, latencySeconds: 1.5, missedTotal: 0, missed: null });
  });

  it('counts an overdue canary once and degrades until a canary arrives in time again', () => {
    const missed = canaryMissed(canarySent(INITIAL_CANARY_STATE, 'a1', 0), 'a1', 2_000, 'not discovered');
    expect(missed.missedTotal).toBe(1);
    expect(missed.missed).toEqual({ id: 'a1', at: 2_000, reason: 'not discovered' });
    // The late one arriving afterwards, or its deadline firing twice, changes nothing.
    expect(canaryArrived(missed, 'a1', 2_100, 2_000)).toBe(missed);
    expect(canaryMissed(missed, 'a1', 2_200, 'again')).toBe(missed);
    const recovered = canaryArrived(canarySent(missed, 'b2', 10_000), 'b2', 10_400, 12_000);
    expect(recovered.missed).toBeNull();
    expect(recovered.missedTotal).toBe(1);
    expect(recovered.latencySeconds).toBeCloseTo(0.4);
  });

  it('ignores a canary of an earlier run and one that arrives after its deadline', () => {
    const sent = canarySent(INITIAL_CANARY_STATE, 'a1', 0);
    expect(canaryArrived(sent, 'old', 100, 2_000)).toBe(sent);
    expect(canaryArrived(sent, 'a1', 2_001, 2_000)).toBe(sent);
  });
});

describe('canary mark', () => {
  const headers = (value: string) => new Map([['x-mail-autopilot-canary', [value]]]);

  it('recognises a canary of this mailbox by its header, not another mailbox’s nor an unmarked message', () => {
    expect(canaryIdOf({ headers: headers('support/a1') }, 'support')).toBe('a1');
    expect(canaryIdOf({ headers: headers('sales/a1') }, 'support')).toBeUndefined();
    expect(canaryIdOf({ headers: new Map() }, 'support')).toBeUndefined();
  });

  it('widens the server pre-selection by the canary header', () => {
    expect(withCanaries({ op: 'header', field: 'subject', contains: 'x' }, 'support')).toEqual({
      op: 'or',
      of: [
        { op: 'header', field: 'subject', contains: 'x' },
        { op: 'header', field: 'x-mail-autopilot-canary', contains: 'support/' },
      ],
    });
  });
});
