/**
 * IMAP bench (a): discovery throughput on one folder of N messages (default 10,000), adapter against plain
 * imapflow in the same run, alternating which goes first in each round.
 *
 * - a1, headers only: the adapter's mailbox actor from start to the end of its first pass, every message on the
 *   RxJS stream, against a plain client's connect + SELECT + `FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE
 *   BODY.PEEK[HEADER])`.
 * - a2, full fetch + parse: the same first pass with `session.fetchBody()` for each message as it comes off the
 *   stream (the runtime's default concurrency of 1), against a plain client's `FETCH 1:* (UID BODY.PEEK[])` with
 *   mailparser's `simpleParser` on each source, given the options the adapter's parser uses.
 *
 * @module
 */
import { simpleParser } from 'mailparser';
import type { HandledLookup } from '../../adapters/contract.js';
import { createImapService } from '../../adapters/imap/index.js';
import { parseBody } from '../../adapters/mail-format/index.js';
import { startMailServers } from '../../scripts/harness/mail-servers.js';
import { atLeast, type BenchResult, formatNumber, median, perSecond, progress, timed } from '../lib.js';
import { startAdapterStream } from './adapter-stream.js';
import { benchCorpus } from './corpus.js';
import { adapterConfig, type ImapTarget, plainClient } from './imap-clients.js';

/** The IMAP adapter's body limit (adapters/imap/config.ts). */
const MAX_BODY_BYTES = 25 * 1024 * 1024;

/** The journal of a fresh install: nothing handled yet, so every message is a candidate. */
const NOTHING_HANDLED: HandledLookup = { isHandled: () => false };

/**
 * mailparser options of `adapters/imap/body.ts` (`parseBody`), so both sides do the same parsing work; without
 * them `simpleParser` would also turn text into HTML and linkify it, which the adapter does not.
 */
const PARSE_OPTIONS = { skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true } as const;

/**
 * Settings of bench (a).
 *
 * @example
 * ```ts
 * const options: DiscoveryBenchOptions = { messages: 10_000, headerRounds: 7, fullRounds: 3 };
 * ```
 */
export interface DiscoveryBenchOptions {
  readonly messages: number;
  readonly headerRounds: number;
  readonly fullRounds: number;
  /** Which figures to take: a1 (headers only), a2 (with bodies, and a2-dl). Default both. */
  readonly parts?: { readonly headers: boolean; readonly bodies: boolean };
}

async function plainHeaders(target: ImapTarget, expected: number): Promise<void> {
  const client = plainClient(target);
  await client.connect();
  try {
    await client.mailboxOpen('INBOX');
    let count = 0;
    for await (const message of client.fetch('1:*', {
      uid: true,
      flags: true,
      size: true,
      envelope: true,
      headers: true,
    })) {
      if (message.headers) count += 1;
    }
    if (count !== expected) throw new Error(`plain headers fetch saw ${count} of ${expected} messages`);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

async function plainFull(target: ImapTarget, expected: number): Promise<void> {
  const client = plainClient(target);
  await client.connect();
  try {
    await client.mailboxOpen('INBOX');
    let count = 0;
    // Parsing is not an IMAP command, so it may run while the fetch iterator is consumed.
    for await (const message of client.fetch('1:*', { uid: true, source: true })) {
      if (!message.source) continue;
      const parsed = await simpleParser(message.source, PARSE_OPTIONS);
      if (parsed.text !== undefined || parsed.html !== false) count += 1;
    }
    if (count !== expected) throw new Error(`plain fetch + parse parsed ${count} of ${expected} messages`);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/**
 * Plain imapflow fetching bodies the way the adapter's `fetchSource` does: one `download()` (a `UID FETCH` of
 * its own) per message, then `simpleParser`. Not a goal figure: it tells the cost of per-message downloads from
 * the cost of the adapter's own code.
 */
async function plainDownloads(target: ImapTarget, expected: number): Promise<void> {
  const client = plainClient(target);
  await client.connect();
  try {
    await client.mailboxOpen('INBOX');
    const uids = await client.search({ all: true }, { uid: true });
    if (!Array.isArray(uids)) throw new Error('plain SEARCH ALL failed');
    let count = 0;
    for (const uid of uids) {
      const download = await client.download(String(uid), undefined, { uid: true, chunkSize: 256 * 1024 });
      if (!('content' in download) || !download.content) continue;
      const parsed = await simpleParser(download.content, PARSE_OPTIONS);
      if (parsed.text !== undefined || parsed.html !== false) count += 1;
    }
    if (count !== expected) throw new Error(`plain downloads parsed ${count} of ${expected} messages`);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/**
 * One pass of the adapter: a mailbox actor from start to the end of its first pass, with `fetchBody` on each
 * message when `withBodies`. `only` (warm-up) reports every other message as handled already.
 */
async function adapterPass(target: ImapTarget, expected: number, withBodies: boolean, only?: number): Promise<void> {
  const handled: HandledLookup =
    only === undefined
      ? NOTHING_HANDLED
      : { isHandled: (id) => Number(/bench-(\d+)@/.exec(id.messageId ?? '')?.[1] ?? 0) >= only };
  const service = createImapService(adapterConfig(target, 'bench-discovery'), { handled });
  let count = 0;
  let parsed = 0;
  // With bodies, as the runtime's executor does it: the batch's sources in batched fetches (`fetchSources`), then
  // each parsed by the one body parser (adapters/mail-format).
  const stream = startAdapterStream(
    service,
    withBodies
      ? {
          processBatch: async (messages, session) => {
            const sources = session.fetchSources ? await session.fetchSources(messages) : new Map<string, Buffer>();
            for (const message of messages) {
              const raw = sources.get(message.identity.key);
              const body = raw ? await parseBody(raw, MAX_BODY_BYTES) : await session.fetchBody(message);
              if (body.text !== null || body.html !== null) parsed += 1;
            }
          },
        }
      : {},
  );
  const counting = stream.messages$.subscribe(() => {
    count += 1;
  });
  try {
    await stream.caughtUp;
  } finally {
    counting.unsubscribe();
    await stream.stop();
  }
  const want = only === undefined ? expected : Math.min(only, expected);
  if (count !== want) throw new Error(`adapter stream carried ${count} of ${want} messages`);
  if (withBodies && parsed !== want) throw new Error(`adapter fetchBody parsed ${parsed} of ${want}`);
}

/** Wall-clock ms and this process's CPU ms (user + system) of each round, per side. */
type Timings<K extends string> = Record<K, { ms: number[]; cpuMs: number[] }>;

async function rounds<K extends string>(
  label: string,
  count: number,
  sides: Record<K, () => Promise<void>>,
): Promise<Timings<K>> {
  const names = Object.keys(sides) as K[];
  const timings = Object.fromEntries(names.map((name) => [name, { ms: [], cpuMs: [] }])) as unknown as Timings<K>;
  for (let round = 0; round < count; round += 1) {
    // Rotate the order, so a drift of the shared machine's load does not favour one side.
    const order = names.map((_, i) => names[(i + round) % names.length]!);
    for (const side of order) {
      const cpu = process.cpuUsage();
      timings[side].ms.push(await timed(sides[side]));
      const used = process.cpuUsage(cpu);
      timings[side].cpuMs.push((used.user + used.system) / 1000);
    }
    progress(
      'imap',
      `${label} round ${round + 1}/${count}: ${names.map((n) => `${n} ${timings[n].ms.at(-1)!.toFixed(0)} ms`).join(', ')}`,
    );
  }
  return timings;
}

/**
 * Runs bench (a) against its own harness servers and returns the figures a1 and a2, and a2-dl (the adapter
 * against plain imapflow downloading message by message, no goal).
 *
 * @example
 * ```ts
 * const results = await discoveryBench({ messages: 10_000, headerRounds: 5, fullRounds: 3 });
 * ```
 */
export async function discoveryBench(options: DiscoveryBenchOptions): Promise<BenchResult[]> {
  const n = options.messages;
  const servers = await startMailServers({ users: ['discovery'], smtp: false });
  try {
    const user = servers.user('discovery');
    const target: ImapTarget = {
      host: servers.host,
      port: servers.ports.imaps,
      caFile: servers.caFile,
      user: user.user,
      password: user.password,
    };
    const corpus = benchCorpus(n);
    const bytes = corpus.reduce((sum, source) => sum + source.length, 0);
    const fillMs = await timed(() => servers.fill('discovery', corpus, { seen: true }));
    progress(
      'imap',
      `(a) filled ${formatNumber(n)} messages, ${(bytes / 1e6).toFixed(1)} MB, in ${fillMs.toFixed(0)} ms`,
    );

    // Warm-up, not measured: Dovecot builds its index and header cache, and every code path gets compiled
    // (the body paths on a few hundred messages: a full adapter pass would take long and teach nothing more).
    const parts = options.parts ?? { headers: true, bodies: true };
    await plainFull(target, n);
    await plainHeaders(target, n);
    await adapterPass(target, n, false);
    if (parts.bodies) await adapterPass(target, n, true, 300);

    const headers = parts.headers
      ? await rounds('(a1) headers only', options.headerRounds, {
          plain: () => plainHeaders(target, n),
          adapter: () => adapterPass(target, n, false),
        })
      : undefined;
    const full = parts.bodies
      ? await rounds('(a2) fetch + parse', options.fullRounds, {
          plain: () => plainFull(target, n),
          adapter: () => adapterPass(target, n, true),
          download: () => plainDownloads(target, n),
        })
      : undefined;

    const size = `${formatNumber(n)} messages (${(bytes / 1e6).toFixed(1)} MB) over IMAPS`;
    const list = (values: number[]) => `[${values.map((t) => t.toFixed(0)).join(', ')}]`;
    const cpu = (t: { cpuMs: number[] }) => `${(median(t.cpuMs) / n).toFixed(2)} ms`;
    const figure = (
      id: string,
      title: string,
      plainSide: { ms: number[]; cpuMs: number[] },
      adapterSide: { ms: number[]; cpuMs: number[] },
      goal: boolean,
      note: string,
    ): BenchResult => {
      const plain = perSecond(n, median(plainSide.ms));
      const adapter = perSecond(n, median(adapterSide.ms));
      const ratio = adapter / plain;
      return {
        bench: 'imap',
        id,
        title,
        unit: 'msg/s',
        plain,
        adapter,
        ratio,
        ...(goal ? { goal: atLeast(ratio, 0.9) } : {}),
        note:
          `${note}; ms per round plain ${list(plainSide.ms)}, adapter ${list(adapterSide.ms)}; ` +
          `this process's CPU per message plain ${cpu(plainSide)}, adapter ${cpu(adapterSide)}`,
      };
    };
    const results: BenchResult[] = [];
    if (headers) {
      results.push(
        figure(
          'a1',
          `discovery, headers only (${formatNumber(n)} msgs)`,
          headers.plain,
          headers.adapter,
          true,
          `${size}, median of ${options.headerRounds} rounds; plain = one FETCH 1:* (envelope, flags, size, headers)`,
        ),
      );
    }
    if (full) {
      results.push(
        figure(
          'a2',
          `discovery + fetch + parse every body (${formatNumber(n)} msgs)`,
          full.plain,
          full.adapter,
          true,
          `${size}, median of ${options.fullRounds} rounds; plain = one FETCH 1:* (source) + simpleParser each; ` +
            'adapter = first pass in batches, sources by fetchSources, mail-format parseBody each',
        ),
        figure(
          'a2-dl',
          'the same, plain = imapflow download() per message',
          full.download,
          full.adapter,
          false,
          'reference without a goal: plain imapflow fetching message by message as fetchSource does ' +
            '(SEARCH ALL, then download() + simpleParser each)',
        ),
      );
    }
    return results;
  } finally {
    await servers.stop();
  }
}
