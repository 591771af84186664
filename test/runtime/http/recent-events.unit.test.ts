/**
 * Issue 16 part 4: the status page's recent events stay a bounded window however long the service runs — at most
 * `perMailbox` events per mailbox, and a bounded memory of subjects (an old message's subject is forgotten once
 * enough newer messages were discovered).
 */
import { describe, expect, it } from 'vitest';
import { RecentEvents } from '../../../runtime/http/recent-events.js';
import type { JournalEvent, StoredEvent } from '../../../runtime/journal/events.js';

let position = 0;
function stored(event: JournalEvent): StoredEvent {
  position++;
  return { ...event, position, version: position } as StoredEvent;
}

describe('RecentEvents: a bounded window', () => {
  it('keeps at most perMailbox events per mailbox over a long history, newest last', () => {
    const recent = new RecentEvents(5);
    for (let n = 0; n < 20_000; n++) {
      const mailboxId = `m${n % 3}`;
      const base = { mailboxId, key: `imap:INBOX:1:${n}`, messageId: null, at: n };
      recent.add(stored({ type: 'message.discovered', ...base, subject: `S${n}`, from: 'ada@example.test' }));
      recent.add(stored({ type: 'message.handled', ...base }));
    }
    for (const mailboxId of ['m0', 'm1', 'm2']) {
      const list = recent.list(mailboxId);
      expect(list).toHaveLength(5);
      expect(list.map((e) => e.position)).toEqual([...list.map((e) => e.position)].sort((a, b) => a - b));
    }
    expect(recent.list('m1').at(-1)).toMatchObject({ type: 'message.handled', subject: 'S19999' });
  });

  it('forgets the subjects of old messages once many newer ones were discovered', () => {
    const recent = new RecentEvents(3);
    const first = { mailboxId: 'support', key: 'imap:INBOX:1:1', messageId: null, at: 0 };
    recent.add(stored({ type: 'message.discovered', ...first, subject: 'First', from: 'ada@example.test' }));
    for (let n = 2; n < 5_000; n++) {
      const base = { mailboxId: 'other', key: `imap:INBOX:1:${n}`, messageId: null, at: n };
      recent.add(stored({ type: 'message.discovered', ...base, subject: `S${n}` }));
    }
    // A late event of the first message: its subject is no longer remembered (the map is bounded).
    recent.add(stored({ type: 'message.handled', ...first }));
    expect(recent.list('support').at(-1)).toMatchObject({ type: 'message.handled', key: 'imap:INBOX:1:1' });
    expect(recent.list('support').at(-1)?.subject).toBeUndefined();
  });
});
