import { describe, expect, it } from 'vitest';
import { type CompletenessInput, compareListing, isExamined } from '../../machines/completeness.js';

const imap = (uid: number, uidValidity = '7') => ({
  key: `imap:INBOX:${uidValidity}:${uid}`,
  ref: String(uid),
  folder: 'INBOX',
  uidValidity,
  uid,
});

function input(overrides: Partial<CompletenessInput<ReturnType<typeof imap>>> = {}) {
  return {
    listed: [imap(1), imap(2), imap(3)],
    known: () => false,
    inFlight: new Set<string>(),
    examinedThrough: () => 0,
    firstSeen: new Map<string, number>(),
    now: 1_000,
    missedAfterMs: 60_000,
    ...overrides,
  };
}

describe('compareListing (issue 15 point 4)', () => {
  it('counts as examined what the journal knows, what is in flight, and UIDs ruled out by the server', () => {
    const verdict = compareListing(
      input({
        listed: [imap(1), imap(2), imap(3), imap(4), imap(5)],
        known: (key) => key === 'imap:INBOX:7:4',
        inFlight: new Set(['imap:INBOX:7:5']),
        examinedThrough: (folder, v) => (folder === 'INBOX' && v === '7' ? 2 : 0),
      }),
    );
    expect(verdict.waiting.map((m) => m.uid)).toEqual([3]);
    expect(verdict.missed).toEqual([]);
  });

  // Regression (found merging issue 15 points 3 and 4): with `startAt: new` the old mail is never examined on
  // purpose; the check must not count it as missed and examine it, which would undo the safe first run.
  it('what startAt left out is not missed', () => {
    const verdict = compareListing(
      input({ leftOut: (key) => key !== 'imap:INBOX:7:3', now: 100_000, firstSeen: new Map([['imap:INBOX:7:3', 0]]) }),
    );
    expect(verdict.missed.map((m) => m.uid)).toEqual([3]);
    expect(verdict.waiting).toEqual([]);
  });

  it('an examined range of another UIDVALIDITY does not cover a message', () => {
    const examinedThrough = (_folder: string, v: string) => (v === '6' ? 100 : 0);
    expect(isExamined(imap(3, '7'), { known: () => false, inFlight: new Set(), examinedThrough })).toBe(false);
    expect(isExamined(imap(3, '6'), { known: () => false, inFlight: new Set(), examinedThrough })).toBe(true);
  });

  it("a filtered listing (the rules' SEARCH hits) ignores the examined ranges: a hit must be in the journal", () => {
    const examinedThrough = () => 100;
    expect(isExamined(imap(3), { known: () => false, inFlight: new Set(), examinedThrough, filtered: true })).toBe(
      false,
    );
    expect(isExamined(imap(3), { known: () => true, inFlight: new Set(), examinedThrough, filtered: true })).toBe(true);
  });

  it('a POP3 message (no UID) is examined only when known or in flight', () => {
    const pop = { key: 'pop3:abc', ref: 'pop3:abc' };
    expect(isExamined(pop, { known: () => false, inFlight: new Set(), examinedThrough: () => 99 })).toBe(false);
    expect(isExamined(pop, { known: () => true, inFlight: new Set(), examinedThrough: () => 0 })).toBe(true);
  });

  it('an unexamined message waits within the bound, then is missed; the recheck is due when the bound passes', () => {
    const first = compareListing(input({ listed: [imap(9)], now: 1_000 }));
    expect(first.missed).toEqual([]);
    expect(first.waiting.map((m) => m.uid)).toEqual([9]);
    expect(first.recheckAt).toBe(61_000);
    const early = compareListing(input({ listed: [imap(9)], now: 60_999, firstSeen: first.firstSeen }));
    expect(early.missed).toEqual([]);
    const later = compareListing(input({ listed: [imap(9)], now: 61_000, firstSeen: first.firstSeen }));
    expect(later.missed.map((m) => m.uid)).toEqual([9]);
    expect(later.waiting).toEqual([]);
    expect(later.recheckAt).toBeNull();
    expect(later.firstSeen.get('imap:INBOX:7:9')).toBe(1_000);
  });

  it('with a zero bound an unexamined message is missed at once', () => {
    const verdict = compareListing(input({ listed: [imap(4)], missedAfterMs: 0 }));
    expect(verdict.missed.map((m) => m.uid)).toEqual([4]);
  });

  it('forgets a message once it was examined or left the server', () => {
    const first = compareListing(input({ listed: [imap(1), imap(2)] }));
    expect([...first.firstSeen.keys()]).toEqual(['imap:INBOX:7:1', 'imap:INBOX:7:2']);
    const next = compareListing(
      input({ listed: [imap(2)], known: () => true, firstSeen: first.firstSeen, now: 100_000 }),
    );
    expect(next.firstSeen.size).toBe(0);
    expect(next.missed).toEqual([]);
  });

  it('an empty server and an empty journal agree', () => {
    expect(compareListing(input({ listed: [] }))).toEqual({
      missed: [],
      waiting: [],
      firstSeen: new Map(),
      recheckAt: null,
    });
  });
});
