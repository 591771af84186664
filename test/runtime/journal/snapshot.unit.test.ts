/**
 * Issue 16 part 1: the snapshot format (versioned, compressed, checksummed) and a journal's start from a snapshot:
 * a start from snapshot + tail equals the full fold (property-style over random histories), and an unknown or
 * damaged snapshot is ignored with a reason and the fold starts earlier (never wrong).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../../runtime/journal/events.js';
import { Journal, type JournalOptions } from '../../../runtime/journal/journal.js';
import { MemoryJournalStore } from '../../../runtime/journal/memory-store.js';
import { decodeSnapshot, encodeSnapshot, SNAPSHOT_VERSION } from '../../../runtime/journal/snapshot.js';
import { perMailbox } from '../../../runtime/rules/per-mailbox-limiters.js';
import { AutoReplyLimiter } from '../../../runtime/rules/reply-limiter.js';
import { RuleSendLimiter } from '../../../runtime/rules/rule-send-limiter.js';
import { messageEvents } from './builders.js';
import { randomHistory, seededRandom } from './random-history.js';

const projections = { messages: { recentFinished: 3, books: [] }, mailboxes: [], extra: { x: [1, 2] } };

/** Re-gzips a snapshot after changing its inflated bytes. */
function tamper(data: Uint8Array, change: (raw: Buffer) => Buffer): Uint8Array {
  return new Uint8Array(gzipSync(change(gunzipSync(data))));
}

describe('snapshot format', () => {
  it('round-trips the projections with their position and version', () => {
    const data = encodeSnapshot(42, projections);
    expect(decodeSnapshot(data, 42)).toEqual({
      ok: true,
      content: { version: SNAPSHOT_VERSION, position: 42, projections },
    });
    // Compressed: the bytes start with gzip's magic number.
    expect([data[0], data[1]]).toEqual([0x1f, 0x8b]);
  });

  it('refuses an unknown version', () => {
    const data = tamper(encodeSnapshot(1, projections), (raw) =>
      Buffer.from(raw.toString('utf8').replace('"version":1', '"version":2')),
    );
    expect(decodeSnapshot(data, 1)).toEqual({ ok: false, reason: 'version 2 (this program reads 1)' });
  });

  it('refuses bytes that are not gzip, a missing header, a checksum mismatch and a position that differs', () => {
    expect(decodeSnapshot(new Uint8Array([1, 2, 3]), 1)).toMatchObject({ ok: false, reason: /gzip/ });
    expect(decodeSnapshot(new Uint8Array(gzipSync('no newline')), 1)).toEqual({ ok: false, reason: 'no header line' });
    const flipped = tamper(encodeSnapshot(1, projections), (raw) =>
      Buffer.from(raw.toString('utf8').replace('[1,2]', '[1,3]')),
    );
    expect(decodeSnapshot(flipped, 1)).toEqual({ ok: false, reason: 'checksum mismatch' });
    expect(decodeSnapshot(encodeSnapshot(1, projections), 2)).toMatchObject({ ok: false, reason: /position 1/ });
    const truncated = encodeSnapshot(1, projections).subarray(0, 20);
    expect(decodeSnapshot(truncated, 1).ok).toBe(false);
  });
});

/** The options of a journal as the service builds it: both limiters, a tiny recent window. */
function serviceLikeOptions(extra: Partial<JournalOptions> = {}): JournalOptions {
  const limiters = new Map([
    ['a', new AutoReplyLimiter({ max: 3, windowMs: 60_000 })],
    ['b', new AutoReplyLimiter({ max: 3, windowMs: 60_000 })],
  ]);
  return {
    projections: [perMailbox(limiters), new RuleSendLimiter({ perHour: () => 10 })],
    recentFinished: 3,
    ...extra,
  };
}

/** Everything a journal's projections hold, as JSON (the snapshot's own view, so nothing is left out). */
function everything(journal: Journal) {
  const extra = (journal as unknown as { snapshot(): { data: Uint8Array } }).snapshot().data;
  const decoded = decodeSnapshot(extra, journal.position);
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.content.projections;
}

async function storeWith(events: readonly JournalEvent[]): Promise<MemoryJournalStore> {
  const store = new MemoryJournalStore();
  if (events.length > 0) await store.append(events);
  return store;
}

describe('Journal: start from a snapshot', () => {
  it('equals the full fold for random histories and cut points (snapshot + tail)', async () => {
    let compacted = 0;
    let limited = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const history = randomHistory(seed);
      const cut = Math.floor(seededRandom(seed * 7)() * (history.length + 1));
      const store = await storeWith(history.slice(0, cut));
      const before = await Journal.open(store, serviceLikeOptions());
      expect(await before.writeSnapshot(1)).toBe(cut);
      if (cut < history.length) await store.append(history.slice(cut));

      const restored = await Journal.open(store, serviceLikeOptions());
      const full = await Journal.open(await storeWith(history), serviceLikeOptions());
      expect(restored.restoredFrom, `seed ${seed}`).toBe(cut);
      expect(full.restoredFrom).toBe(0);
      expect(everything(restored), `seed ${seed}, cut ${cut}`).toEqual(everything(full));
      expect(restored.position).toBe(full.position);
      compacted += full.messages.footprint('a').ranges + full.messages.footprint('b').keys;
      limited += JSON.stringify(everything(full).extra).match(/17000/g)?.length ?? 0;
      // And it keeps appending where the full fold would (stream versions restored too).
      await restored.append([messageEvents('imap:INBOX:7:999', { mailboxId: 'a' }).discovered()]);
    }
    // Not vacuous: the histories did compact messages and did leave sends in the limiters' windows.
    expect(compacted).toBeGreaterThan(40);
    expect(limited).toBeGreaterThan(40);
  });

  it('answers the handled lookup the same after compaction, from a snapshot', async () => {
    const events: JournalEvent[] = [];
    for (let uid = 1; uid <= 50; uid++) {
      const m = messageEvents(`imap:INBOX:7:${uid}`, { mailboxId: 'a' });
      events.push(m.discovered(), uid % 10 === 0 ? m.deadLettered() : m.handled());
    }
    const store = await storeWith(events);
    await (await Journal.open(store, serviceLikeOptions())).writeSnapshot(1);
    const journal = await Journal.open(store, serviceLikeOptions());
    expect(journal.restoredFrom).toBe(100);
    for (let uid = 1; uid <= 50; uid++) {
      expect(journal.isHandled({ mailboxId: 'a', key: `imap:INBOX:7:${uid}`, messageId: null })).toBe(true);
    }
    expect(journal.isHandled({ mailboxId: 'a', key: 'imap:INBOX:7:51', messageId: null })).toBe(false);
    expect(journal.isHandled({ mailboxId: 'a', key: 'imap:INBOX:8:1', messageId: null })).toBe(false);
    expect(journal.messages.deadLetters('a').map((m) => m.key)).toHaveLength(5);
    // Records: 5 dead letters + the 3 of the recent window; the 42 others are one UID range with gaps.
    expect(journal.messages.footprint('a').records).toBe(8);
    expect(journal.messages.statusCounts('a')).toMatchObject({ handled: 45, deadLettered: 5 });
  });

  it('ignores a damaged newest snapshot with a reason, and starts from the one before it', async () => {
    const store = await storeWith(randomHistory(3));
    const journal = await Journal.open(store, serviceLikeOptions());
    const good = journal.position - 5;
    const early = await Journal.open(await storeWith((await store.read()).slice(0, good)), serviceLikeOptions());
    await store.writeSnapshot({ position: good, at: 1, data: early.snapshot().data });
    await store.writeSnapshot({ position: journal.position, at: 2, data: new Uint8Array([9, 9, 9]) });
    const ignored: { position: number; reason: string }[] = [];
    const restored = await Journal.open(store, serviceLikeOptions({ onSnapshotIgnored: (i) => ignored.push(i) }));
    expect(ignored).toEqual([{ position: journal.position, reason: expect.stringMatching(/gzip/) }]);
    expect(restored.restoredFrom).toBe(good);
    expect(everything(restored)).toEqual(everything(journal));
  });

  it('folds from the start when no snapshot fits: unknown version, another window, other limiters', async () => {
    const history = randomHistory(5);
    const store = await storeWith(history);
    const journal = await Journal.open(store, serviceLikeOptions());
    const foreign = tamper(journal.snapshot().data, (raw) =>
      Buffer.from(raw.toString('utf8').replace('"version":1', '"version":7')),
    );
    await store.writeSnapshot({ position: journal.position, at: 1, data: foreign });
    const ignored: string[] = [];
    const onSnapshotIgnored = (i: { reason: string }) => ignored.push(i.reason);
    const restored = await Journal.open(store, serviceLikeOptions({ onSnapshotIgnored }));
    expect(restored.restoredFrom).toBe(0);
    expect(everything(restored)).toEqual(everything(journal));

    await journal.writeSnapshot(2);
    expect((await Journal.open(store, serviceLikeOptions({ recentFinished: 4, onSnapshotIgnored }))).restoredFrom).toBe(
      0,
    );
    expect(ignored).toEqual(['version 7 (this program reads 1)', expect.stringMatching(/recent window \(3\)/)]);
  });

  // Regression (found merging issues 15 and 16): a POP3 `startAt: new` baseline keeps its keys in a Set, which JSON
  // turned into {}, so the run after a checkpoint failed (`keys.has is not a function`) and would have lost them.
  it('a startAt baseline with keys survives a snapshot', async () => {
    const store = new MemoryJournalStore();
    const journal = await Journal.open(store, { recentFinished: 3 });
    await journal.append([
      {
        type: 'mailbox.baseline',
        mailboxId: 'drop',
        at: 1,
        folder: null,
        uidValidity: null,
        uidNext: null,
        keys: ['pop3:drop:u1', 'pop3:drop:u2'],
        existing: 2,
      },
    ]);
    await journal.writeSnapshot(2);
    const restored = await Journal.open(store, { recentFinished: 3 });
    expect(restored.restoredFrom).toBe(journal.position);
    const keys = restored.mailboxes.get('drop')?.baseline?.keys;
    expect(keys instanceof Set && keys.has('pop3:drop:u2')).toBe(true);
  });

  // Regression (issue 16, found with retention): the limiters' snapshot key named every mailbox and window, so adding
  // a mailbox or changing an autoReply window made every snapshot unusable — and once retention had removed history,
  // the start was refused. The limiters are now restored mailbox by mailbox.
  it('a snapshot taken under other mailboxes or autoReply windows is still used, mailbox by mailbox', async () => {
    const store = new MemoryJournalStore();
    const before = new Map([['a', new AutoReplyLimiter({ max: 3, windowMs: 60_000 })]]);
    const journal = await Journal.open(store, { projections: [perMailbox(before)], recentFinished: 3 });
    before.get('a')!.record('ada@example.test', 1_000);
    await journal.append([{ type: 'mailbox.attempt', mailboxId: 'a', at: 1_000, attempt: 1 }]);
    await journal.writeSnapshot(2);

    const after = new Map([
      ['a', new AutoReplyLimiter({ max: 3, windowMs: 120_000 })],
      ['new', new AutoReplyLimiter({ max: 3, windowMs: 60_000 })],
    ]);
    const ignored: string[] = [];
    const restored = await Journal.open(store, {
      projections: [perMailbox(after)],
      recentFinished: 3,
      onSnapshotIgnored: (i) => ignored.push(i.reason),
    });
    expect(ignored).toEqual([]);
    expect(restored.restoredFrom).toBe(journal.position);
    expect(after.get('a')!.count('ada@example.test', 2_000)).toBe(1);
    expect(after.get('new')!.count('ada@example.test', 2_000)).toBe(0);
  });

  it('neither reads nor writes snapshots when an extra projection cannot be saved', async () => {
    const store = await storeWith(randomHistory(2));
    await (await Journal.open(store, serviceLikeOptions())).writeSnapshot(1);
    const plain = await Journal.open(store, { projections: [{ apply: () => undefined }], recentFinished: 3 });
    expect(plain.canSnapshot).toBe(false);
    expect(plain.restoredFrom).toBe(0);
    expect(() => plain.snapshot()).toThrow(/cannot be saved/);
  });
});
