/**
 * One host of the journal-hosts bench (`bench/journal-hosts.ts`): appends message facts to the shared PostgreSQL
 * journal as the runtime does — several mailboxes at once, each appending its batches one after the other with its
 * expected version — for `windowMs` from the start the parent sends (over IPC, once every host said it is ready,
 * so a slow start-up on a loaded machine does not eat the window). Sends back `{ facts, appends, groups, calls }`.
 *
 * Usage (spawned with an IPC channel): node --import tsx bench/journal-hosts-child.ts <url> <host> <mailboxes>
 * <min batch> <max batch> <group commit: on|off> <windowMs>
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { JournalEvent } from '../runtime/journal/events.js';
import { PostgresJournalStore } from '../runtime/journal/postgres-store.js';

const [url, host, mailboxes, minBatch, maxBatch, grouping, windowMs] = process.argv.slice(2);
if (!url || !host || !mailboxes || !minBatch || !maxBatch || !grouping || !windowMs || !process.send) {
  console.error(
    'usage (with an IPC channel): journal-hosts-child.ts <url> <host> <mailboxes> <min> <max> <on|off> <ms>',
  );
  process.exit(2);
}

// Group commit off: a group closes before it grows past one event, so every append is its own transaction, as
// before issue 12.4.
const store = await PostgresJournalStore.open(url, {
  writer: host,
  ...(grouping === 'off' ? { maxGroupEvents: 1 } : {}),
});
const min = Number(minBatch);
const max = Number(maxBatch);
let seed = [...host].reduce((a, c) => a * 31 + c.charCodeAt(0), 7) >>> 0;
const nextSize = () => {
  seed = (seed * 1_103_515_245 + 12_345) >>> 0;
  return min + (seed % (max - min + 1));
};

/** The facts of a discovery batch: one `message.discovered` per message, as the runtime journals them. */
function discovered(mailboxId: string, from: number, count: number): JournalEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    type: 'message.discovered',
    mailboxId,
    key: `imap:INBOX:1:${from + i}`,
    messageId: `<m${from + i}.${mailboxId}@bench.test>`,
    at: Date.now(),
    subject: `Invoice ${from + i} from a customer`,
    from: 'customer@example.test',
  }));
}

const versions = await Promise.all(
  Array.from({ length: Number(mailboxes) }, (_, m) => store.streamVersion(`${host}-box${m}`)),
);
const startAt = await new Promise<number>((resolve) => {
  process.once('message', (message: { startAt: number }) => resolve(message.startAt));
  process.send!({ ready: true });
});
let facts = 0;
let appends = 0;
await sleep(Math.max(0, startAt - Date.now()));
const deadline = startAt + Number(windowMs);
await Promise.all(
  versions.map(async (start, m) => {
    const mailboxId = `${host}-box${m}`;
    let version = start;
    while (Date.now() < deadline) {
      const events = discovered(mailboxId, version + 1, nextSize());
      await store.append(events, { expectedVersion: { [mailboxId]: version } });
      version += events.length;
      if (Date.now() <= deadline) {
        facts += events.length;
        appends++;
      }
    }
  }),
);
const { groups, calls } = store.groupStats;
await store.close();
process.send({ facts, appends, groups, calls }, () => process.disconnect());
