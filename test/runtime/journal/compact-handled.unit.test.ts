/**
 * Issue 16 part 2: the compact handled set and the message projection's bounded memory. The set must answer like a
 * plain set of keys (checked against one over random insertion orders); the projection must keep full records only
 * for unfinished messages, dead letters and the recent window, and answer the handled lookup exactly as before.
 */
import { describe, expect, it } from 'vitest';
import { CompactHandledSet, parseImapKey, UidRanges } from '../../../runtime/journal/compact-handled.js';
import type { JournalEvent, StoredEvent } from '../../../runtime/journal/events.js';
import { MessageProjection } from '../../../runtime/journal/message-projection.js';
import { messageEvents } from './builders.js';
import { seededRandom } from './random-history.js';

function fold(events: readonly JournalEvent[], p: MessageProjection): MessageProjection {
  for (const [i, e] of events.entries()) p.apply({ ...e, position: i + 1, version: i + 1 } as StoredEvent);
  return p;
}

describe('UidRanges and CompactHandledSet', () => {
  it('answers like a plain set over random insertion orders, with one range per run', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const random = seededRandom(seed);
      const ranges = new UidRanges();
      const plain = new Set<number>();
      for (let i = 0; i < 200; i++) {
        const uid = 1 + Math.floor(random() * 120);
        ranges.add(uid);
        plain.add(uid);
      }
      for (let uid = 0; uid <= 125; uid++) expect(ranges.has(uid), `seed ${seed} uid ${uid}`).toBe(plain.has(uid));
      const flat = ranges.toJSON();
      let runs = 0;
      for (let uid = 1; uid <= 121; uid++) if (plain.has(uid) && !plain.has(uid - 1)) runs++;
      expect(ranges.ranges).toBe(runs);
      // Sorted, disjoint, not touching (touching ranges are merged).
      for (let i = 2; i < flat.length; i += 2) expect(flat[i]!).toBeGreaterThan(flat[i - 1]! + 1);
      expect(new UidRanges(flat).toJSON()).toEqual(flat);
    }
  });

  it('reads folder, UIDVALIDITY and UID from IMAP keys only', () => {
    expect(parseImapKey('imap:INBOX:7:42')).toEqual({ epoch: 'INBOX\u00007', uid: 42 });
    expect(parseImapKey('imap:Lists:Work:7:42')).toEqual({ epoch: 'Lists:Work\u00007', uid: 42 });
    for (const key of ['pop3:abc', 'imap:INBOX:x:1', 'imap:INBOX:7:0', 'imap:7:1', 'mapi:00AB']) {
      expect(parseImapKey(key), key).toBeUndefined();
    }
  });

  it('keeps other keys as they are and forgets POP3 keys the server no longer lists', () => {
    const set = new CompactHandledSet();
    for (const key of ['imap:INBOX:7:1', 'imap:INBOX:7:2', 'imap:INBOX:8:1', 'pop3:a', 'pop3:b', 'mapi:x'])
      set.add(key);
    expect(set.size).toEqual({ ranges: 2, keys: 3 });
    expect(set.has('imap:INBOX:7:2')).toBe(true);
    expect(set.has('imap:INBOX:8:2')).toBe(false);
    expect(set.absent(new Set(['pop3:b', 'mapi:x']))).toEqual(['pop3:a']);
    expect(set.forget(['pop3:a', 'pop3:never-held'])).toBe(1);
    expect([set.has('pop3:a'), set.has('pop3:b'), set.has('mapi:x')]).toEqual([false, true, true]);
    expect(CompactHandledSet.from(JSON.parse(JSON.stringify(set.toJSON()))).toJSON()).toEqual(set.toJSON());
  });
});

describe('MessageProjection: memory bounded by what is unfinished', () => {
  it('keeps records for unfinished messages, dead letters and the recent window only', () => {
    const p = new MessageProjection({ recentFinished: 10 });
    const events: JournalEvent[] = [];
    for (let uid = 1; uid <= 5_000; uid++) {
      const m = messageEvents(`imap:INBOX:7:${uid}`);
      events.push(m.discovered());
      if (uid % 1_000 === 0) events.push(m.deadLettered());
      else if (uid % 1_001 === 0) events.push(m.matched('r'), m.handlerStarted('r', 1));
      else events.push(uid % 2 === 0 ? m.handled() : m.unmatched());
    }
    fold(events, p);
    // 5 dead letters + 4 in flight + 10 recent (4990-4999); the rest are 8 ranges, split where the exceptions are:
    // 1-999, 1002-1999, 2001, 2003-2999, 3001-3002, 3004-3999, 4001-4003, 4005-4989.
    expect(p.footprint('support')).toEqual({ records: 19, ranges: 8, keys: 0 });
    for (let uid = 1; uid <= 5_000; uid++) {
      const expected = uid % 1_001 !== 0 || uid % 1_000 === 0;
      expect(p.isHandled({ mailboxId: 'support', key: `imap:INBOX:7:${uid}`, messageId: null })).toBe(expected);
    }
    expect(p.isHandled({ mailboxId: 'support', key: 'imap:INBOX:7:5001', messageId: null })).toBe(false);
    expect(p.inFlight('support')).toHaveLength(4);
    expect(p.deadLetters('support')).toHaveLength(5);
    const counts = p.statusCounts('support');
    expect(counts.handled + counts.unmatched).toBe(5_000 - 5 - 4);
    // A compacted key still reads as finished (the executor skips it), without its details.
    expect(p.lookup({ mailboxId: 'support', key: 'imap:INBOX:7:2', messageId: '<x@example.test>' })?.status).toBe(
      'handled',
    );
    expect(p.get('support', 'imap:INBOX:7:3')?.status).toBe('handled');
  });

  it('does not grow with the number of finished messages', () => {
    const sizes = [2_000, 20_000].map((n) => {
      const p = new MessageProjection({ recentFinished: 50 });
      const events: JournalEvent[] = [];
      for (let i = 1; i <= n; i++) {
        const m = messageEvents(i % 3 === 0 ? `pop3:u${i}` : `imap:INBOX:7:${i}`);
        events.push(m.discovered(), m.handled());
      }
      fold(events, p);
      return JSON.stringify(p.exportState()).length;
    });
    // POP3 keys stay while the server lists them (a third here); IMAP UIDs become ranges.
    expect(sizes[1]! / sizes[0]!).toBeLessThan(12);
    const imapOnly = [2_000, 20_000].map((n) => {
      const p = new MessageProjection({ recentFinished: 50 });
      const events: JournalEvent[] = [];
      for (let uid = 1; uid <= n; uid++) {
        const m = messageEvents(`imap:INBOX:7:${uid}`);
        events.push(m.discovered(), m.handled());
      }
      fold(events, p);
      return JSON.stringify(p.exportState()).length;
    });
    // Ten times the history, the same state but for longer numbers in the 50 recent records.
    expect(imapOnly[1]! / imapOnly[0]!).toBeLessThan(1.1);
  });

  it('forgets compacted POP3 keys by a mailbox.forgotten fact, so the set follows what the server still holds', () => {
    const p = new MessageProjection({ recentFinished: 2 });
    const events: JournalEvent[] = [];
    for (let i = 1; i <= 6; i++) {
      const m = messageEvents(`pop3:u${i}`);
      events.push(m.discovered(), m.handled());
    }
    fold(events, p);
    // u5 and u6 are the recent window (full records): only compacted keys are offered, and only those not listed.
    expect(p.gone('support', new Set(['pop3:u2', 'pop3:u6']))).toEqual(['pop3:u1', 'pop3:u3', 'pop3:u4']);
    fold([{ type: 'mailbox.forgotten', mailboxId: 'support', at: 1, keys: ['pop3:u1', 'pop3:u3', 'pop3:u4'] }], p);
    expect(p.footprint('support')).toEqual({ records: 2, ranges: 0, keys: 1 });
    expect(p.isHandled({ mailboxId: 'support', key: 'pop3:u2', messageId: null })).toBe(true);
    expect(p.gone('support', new Set(['pop3:u2']))).toEqual([]);
  });

  it('re-identifies finished messages of the recent window by Message-ID, as before', () => {
    const p = new MessageProjection({ recentFinished: 2 });
    const old = messageEvents('imap:INBOX:1:7', { messageId: '<m7@example.test>' });
    fold([old.discovered(), old.handled()], p);
    expect(p.isHandled({ mailboxId: 'support', key: 'imap:INBOX:2:3', messageId: '<m7@example.test>' })).toBe(true);
  });
});
