/**
 * Child process of IMAP bench (c): watches many mailboxes by IDLE in one fresh process, either through the
 * adapter (`adapter`: one `createImapService` + mailbox actor + stream per mailbox, as the runtime runs them) or
 * as plain imapflow IDLE connections (`plain`), and reports its RSS to the parent over IPC.
 *
 * Spawned by `bench/support/imap-rss.ts` as `node --import tsx --expose-gc bench/imap-rss-child.ts adapter|plain`;
 * not a bench module itself. Protocol (IPC messages):
 * - parent → `{ type: 'start', targets, concurrency }`; child → `{ type: 'baseline', rssMb }` (modules loaded,
 *   nothing connected), then `{ type: 'connected', connected, failed, errors, ms, rssMb, heapMb }` once every
 *   mailbox is watched and the process has settled.
 * - parent → `{ type: 'arm', tag }`: from now on count mailboxes told of new mail (adapter: a message whose
 *   subject contains `tag` on the stream; plain: an `exists` event); child → `{ type: 'notified', count }` as the
 *   count grows.
 * - parent → `{ type: 'stop' }`: child logs every connection out and exits.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { mapLimit, sampleRss } from './lib.js';
import type { ImapTarget } from './support/imap-clients.js';

/**
 * A message from the parent.
 *
 * @example
 * ```ts
 * child.send({ type: 'arm', tag: 'rss-adapter-1' } satisfies RssParentMessage);
 * ```
 */
export type RssParentMessage =
  | { readonly type: 'start'; readonly targets: readonly ImapTarget[]; readonly concurrency: number }
  | { readonly type: 'arm'; readonly tag: string }
  | { readonly type: 'stop' };

/**
 * A message to the parent.
 *
 * @example
 * ```ts
 * process.send?.({ type: 'notified', count: 1000 } satisfies RssChildMessage);
 * ```
 */
export type RssChildMessage =
  | { readonly type: 'baseline'; readonly rssMb: number }
  | { readonly type: 'progress'; readonly connected: number }
  | {
      readonly type: 'connected';
      readonly connected: number;
      readonly failed: number;
      readonly errors: readonly string[];
      readonly ms: number;
      readonly rssMb: number;
      readonly heapMb: number;
    }
  | { readonly type: 'notified'; readonly count: number }
  | { readonly type: 'closed' };

interface Watcher {
  close(): Promise<void>;
}

/** How long the process is left alone after the last connection, before RSS is sampled (IDLE entered, GC done). */
const SETTLE_MS = 3_000;

const mode = process.argv[2];
if (mode !== 'adapter' && mode !== 'plain') {
  console.error(
    'usage: node --import tsx --expose-gc bench/imap-rss-child.ts adapter|plain (spawned by bench/imap.ts)',
  );
  process.exit(2);
}

function send(message: RssChildMessage): void {
  process.send?.(message);
}

const notified = new Set<number>();
let armedTag: string | null = null;
let lastSent = -1;
const notify = (index: number) => {
  notified.add(index);
  if (notified.size !== lastSent) {
    lastSent = notified.size;
    send({ type: 'notified', count: notified.size });
  }
};

async function openPlain(targets: readonly ImapTarget[], concurrency: number, onOpen: () => void) {
  const { plainClient } = await import('./support/imap-clients.js');
  send({ type: 'baseline', rssMb: await sampleRss(3, 200) });
  return mapLimit(targets, concurrency, async (target, index): Promise<Watcher | string> => {
    const client = plainClient(target);
    try {
      await client.connect();
      await client.mailboxOpen('INBOX');
    } catch (error) {
      client.close();
      return String((error as Error).message ?? error);
    }
    client.on('exists', (event: { count: number; prevCount: number }) => {
      if (armedTag !== null && event.count > event.prevCount) notify(index);
    });
    onOpen();
    return { close: () => client.logout().catch(() => client.close()) };
  });
}

async function openAdapter(targets: readonly ImapTarget[], concurrency: number, onOpen: () => void) {
  const [{ createImapService }, { startAdapterStream }, { adapterConfig }] = await Promise.all([
    import('../adapters/imap/index.js'),
    import('./support/adapter-stream.js'),
    import('./support/imap-clients.js'),
  ]);
  send({ type: 'baseline', rssMb: await sampleRss(3, 200) });
  const handled = { isHandled: () => false };
  return mapLimit(targets, concurrency, async (target, index): Promise<Watcher | string> => {
    const stream = startAdapterStream(createImapService(adapterConfig(target, `rss-${index}`), { handled }));
    stream.messages$.subscribe(({ message }) => {
      if (armedTag !== null && message.envelope.subject.includes(armedTag)) notify(index);
    });
    try {
      await stream.caughtUp;
    } catch (error) {
      await stream.stop();
      return String((error as Error).message ?? error);
    }
    onOpen();
    return { close: () => stream.stop() };
  });
}

async function start(targets: readonly ImapTarget[], concurrency: number): Promise<Watcher[]> {
  const began = performance.now();
  let opened = 0;
  const onOpen = () => {
    opened += 1;
    if (opened % 100 === 0) send({ type: 'progress', connected: opened });
  };
  const outcome =
    mode === 'plain' ? await openPlain(targets, concurrency, onOpen) : await openAdapter(targets, concurrency, onOpen);
  const ms = performance.now() - began;
  const watchers = outcome.filter((o): o is Watcher => typeof o !== 'string');
  const errors = outcome.filter((o): o is string => typeof o === 'string');
  await sleep(SETTLE_MS);
  const rssMb = await sampleRss(5, 500);
  send({
    type: 'connected',
    connected: watchers.length,
    failed: errors.length,
    errors: [...new Set(errors)].slice(0, 3),
    ms,
    rssMb,
    heapMb: process.memoryUsage().heapUsed / 1e6,
  });
  return watchers;
}

let watchers: Watcher[] = [];
process.on('disconnect', () => process.exit(1)); // the parent is gone: do not linger with 1,000 connections
process.on('message', (message: RssParentMessage) => {
  if (message.type === 'start') {
    start(message.targets, message.concurrency).then(
      (opened) => {
        watchers = opened;
      },
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  } else if (message.type === 'arm') {
    armedTag = message.tag;
  } else if (message.type === 'stop') {
    mapLimit(watchers, 50, (watcher) => watcher.close()).finally(() => {
      // Exit only once the message is out: process.exit() would drop a message still queued on the channel.
      process.send?.({ type: 'closed' } satisfies RssChildMessage, () => process.exit(0));
    });
  }
});
