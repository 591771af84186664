/**
 * Random but plausible journal histories for property-style tests (issue 16): messages of two mailboxes go through
 * the lifecycles the runtime writes (unmatched; handled with a handler and a reply; failed and dead-lettered, then
 * retried; interrupted; re-identified), interleaved at random with mailbox lifecycle events. Seeded, so a failing
 * seed can be replayed.
 */
import type { JournalEvent } from '../../../runtime/journal/events.js';
import { prng } from '../../support/prng.js';
import { messageEvents } from './builders.js';

/** The seeded PRNG of the tests (same seed, same history). */
export const seededRandom = prng;

/** One random history of about `messages` messages over mailboxes `a` (IMAP keys) and `b` (POP3 keys). */
export function randomHistory(seed: number, messages = 40): JournalEvent[] {
  const random = seededRandom(seed);
  let t = 1_700_000_000_000;
  const at = () => (t += 1_000);
  const queues: JournalEvent[][] = [];
  for (let i = 1; i <= messages; i++) {
    const imap = random() < 0.6;
    const mailboxId = imap ? 'a' : 'b';
    const key = imap ? `imap:INBOX:7:${i}` : `pop3:uidl-${i}`;
    // A few duplicates share a Message-ID (resent newsletters).
    const messageId = random() < 0.1 ? '<dup@example.test>' : random() < 0.1 ? null : `<m${i}@example.test>`;
    const m = messageEvents(key, { mailboxId, messageId, at });
    const kind = random();
    const q: JournalEvent[] = [m.discovered()];
    if (kind < 0.25) q.push(m.unmatched());
    else if (kind < 0.6) {
      q.push(m.matched('r'), m.handlerStarted('r', 1), m.handlerSucceeded('r', 1));
      q.push(m.actionStarted('r', 0, 'reply'), m.actionDone('r', 0, 'reply', { recipients: ['ada@example.test'] }));
      q.push(m.handled());
    } else if (kind < 0.75) {
      q.push(m.matched('r'), m.handlerStarted('r', 1), m.handlerFailed('r', 1), m.deadLettered());
      if (random() < 0.5) q.push(m.retryRequested(), m.handlerStarted('r', 2), m.handlerSucceeded('r', 2), m.handled());
    } else if (kind < 0.85) {
      q.push(m.matched('r'), m.handlerStarted('r', 1), m.interrupted());
    } else if (kind < 0.92 && imap && messageId !== null) {
      q.push(m.matched('r'), m.handlerStarted('r', 1), m.handlerSucceeded('r', 1), m.handled());
      q.push(m.reidentifiedAs(`imap:INBOX:8:${i}`));
    } else {
      q.push(m.matched('r'), m.actionStarted('r', 0, 'moveTo'));
    }
    queues.push(q);
  }
  const out: JournalEvent[] = [];
  let attempt = 0;
  while (queues.some((q) => q.length > 0)) {
    if (random() < 0.05) {
      const mailboxId = random() < 0.5 ? 'a' : 'b';
      out.push(
        random() < 0.5
          ? { type: 'mailbox.attempt', mailboxId, at: at(), attempt: ++attempt }
          : { type: 'mailbox.connected', mailboxId, at: at(), attempt },
      );
      continue;
    }
    const open = queues.filter((q) => q.length > 0);
    out.push(open[Math.floor(random() * open.length)]!.shift()!);
  }
  return out;
}
