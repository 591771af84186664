/**
 * IMAP bench (b): latency from LMTP delivery to the message in hand while idling, adapter against a plain
 * imapflow IDLE client, both watching the same INBOX in the same process, so every delivery is one paired sample.
 *
 * A sample starts just before `deliver()` (LMTP) and ends, for the adapter, when the message is on the RxJS
 * stream, and for the plain client, when its `FETCH` of the new UIDs (started on `exists`) has returned the
 * message. Between samples both sides are left idle for 150–350 ms (a random pause, so deliveries do not fall
 * into step with Dovecot's own notification timer); both re-enter IDLE 100 ms after their last command.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { HandledLookup } from '../../adapters/contract.js';
import { createImapService } from '../../adapters/imap/index.js';
import { startMailServers } from '../../scripts/harness/mail-servers.js';
import { atMost, type BenchResult, percentile, progress, until } from '../lib.js';
import { startAdapterStream } from './adapter-stream.js';
import { adapterConfig, type ImapTarget, plainClient } from './imap-clients.js';

const NOTHING_HANDLED: HandledLookup = { isHandled: () => false };
/** A sample neither side finished within this is an error, not a figure. */
const SAMPLE_TIMEOUT_MS = 15_000;

/**
 * Settings of bench (b).
 *
 * @example
 * ```ts
 * const options: LatencyBenchOptions = { samples: 100, warmup: 5 };
 * ```
 */
export interface LatencyBenchOptions {
  /** Measured deliveries (at least 50 for the goal). */
  readonly samples: number;
  /** Deliveries before those, not measured. */
  readonly warmup: number;
}

/** A plain imapflow IDLE client: on `exists`, fetch the new UIDs; records when each Message-ID arrived. */
async function startPlainWatcher(target: ImapTarget, seen: Map<string, number>) {
  const client = plainClient(target);
  await client.connect();
  const mailbox = await client.mailboxOpen('INBOX');
  let lastUid = Number(mailbox.uidNext) - 1;
  let fetching = false;
  let again = false;
  const fetchNew = async () => {
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    try {
      do {
        again = false;
        const rows = await client.fetchAll(
          `${lastUid + 1}:*`,
          { uid: true, flags: true, size: true, envelope: true, headers: true },
          { uid: true },
        );
        const now = performance.now();
        for (const row of rows) {
          if (row.uid <= lastUid) continue;
          lastUid = row.uid;
          const id = row.envelope?.messageId;
          if (id) seen.set(id, now);
        }
      } while (again);
    } finally {
      fetching = false;
    }
  };
  client.on('exists', (event: { count: number; prevCount: number }) => {
    if (event.count > event.prevCount) fetchNew().catch(() => undefined);
  });
  return {
    close: async () => {
      await client.logout().catch(() => client.close());
    },
  };
}

/**
 * Runs bench (b) against its own harness servers and returns the p50 and p99 figures.
 *
 * @example
 * ```ts
 * const [p50, p99] = await latencyBench({ samples: 100, warmup: 5 });
 * ```
 */
export async function latencyBench(options: LatencyBenchOptions): Promise<BenchResult[]> {
  const servers = await startMailServers({ users: ['latency'], smtp: false });
  const cleanup: (() => Promise<void>)[] = [];
  try {
    const user = servers.user('latency');
    const target: ImapTarget = {
      host: servers.host,
      port: servers.ports.imaps,
      caFile: servers.caFile,
      user: user.user,
      password: user.password,
    };
    const adapterSeen = new Map<string, number>();
    const plainSeen = new Map<string, number>();

    const stream = startAdapterStream(
      createImapService(adapterConfig(target, 'bench-latency'), { handled: NOTHING_HANDLED }),
    );
    cleanup.push(() => stream.stop());
    stream.messages$.subscribe(({ message, at }) => {
      if (message.identity.messageId) adapterSeen.set(message.identity.messageId, at);
    });
    await stream.caughtUp;
    const plain = await startPlainWatcher(target, plainSeen);
    cleanup.push(() => plain.close());
    await sleep(500); // both in IDLE (100 ms after their last command)

    const adapterMs: number[] = [];
    const plainMs: number[] = [];
    const total = options.warmup + options.samples;
    for (let i = 0; i < total; i += 1) {
      const messageId = `<latency-${i}.${Date.now()}@bench.example.test>`;
      const start = performance.now();
      await servers.deliver('latency', { subject: `latency ${i}`, messageId, text: 'ping' });
      await until(
        () => adapterSeen.has(messageId) && plainSeen.has(messageId),
        SAMPLE_TIMEOUT_MS,
        `delivery ${i} seen by ${adapterSeen.has(messageId) ? 'the plain client' : 'the adapter'}`,
        2,
      );
      if (i >= options.warmup) {
        adapterMs.push(adapterSeen.get(messageId)! - start);
        plainMs.push(plainSeen.get(messageId)! - start);
      }
      if ((i + 1) % 25 === 0) progress('imap', `(b) ${i + 1}/${total} deliveries`);
      await sleep(150 + Math.random() * 200);
    }

    const note =
      `${options.samples} deliveries (after ${options.warmup} warm-up), one INBOX watched by both at once; ` +
      `p99 is nearest-rank (with fewer than 100 samples it is the largest); ` +
      `min plain ${Math.min(...plainMs).toFixed(0)} ms, adapter ${Math.min(...adapterMs).toFixed(0)} ms`;
    return [50, 99].map((p) => {
      const plainP = percentile(plainMs, p);
      const adapterP = percentile(adapterMs, p);
      const ratio = adapterP / plainP;
      return {
        bench: 'imap',
        id: `b-p${p}`,
        title: `delivery → stream while idling, p${p}`,
        unit: 'ms',
        plain: plainP,
        adapter: adapterP,
        ratio,
        goal: atMost(ratio, 1.1),
        ...(p === 50 ? { note } : {}),
      } satisfies BenchResult;
    });
  } finally {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    await servers.stop();
  }
}
