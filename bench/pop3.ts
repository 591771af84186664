/**
 * POP3 bench (issue 5, item 6): prints figures and ratios measured in one run against the harness's Dovecot.
 *
 * (a) A cycle with nothing new on a 10,000-message maildrop (connect, login, UIDL, 10,000 journal lookups, QUIT) against a plain node-pop3 session doing UIDL of the same maildrop (connect, login, UIDL, QUIT).
 *     Goal: ≤ 1.2× the plain UIDL.
 * (b) The first full pass (every message discovered by TOP and its source read by RETR through the session)
 *     against plain node-pop3 UIDL + RETR of every message; and the same pass when rules need headers only (the
 *     adapter reads headers by pipelined TOP and never RETRs).
 *
 * Both sides use plaintext POP3 on loopback (`pop3://` with `allowPlaintext`): node-pop3 0.11.0 hangs over TLS when
 * a terminator is split across TLS records (NOTES.md), so it cannot be measured there. The adapter's own POP3S
 * figures are printed for reference.
 *
 * Run: `npx tsx bench/pop3.ts [messages]` (default 10,000).
 */
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import Pop3Command from 'node-pop3';
import type { DiscoveredMessage, HandledLookup, MailService, MailSession } from '../adapters/contract.js';
import { createPop3Service } from '../adapters/pop3/index.js';
import { pop3Defaults } from '../scripts/harness/adapter-settings.js';
import { startMailServers } from '../scripts/harness/mail-servers.js';

const MESSAGES = Number(process.argv[2] ?? 10_000);
const ROUNDS_CHEAP = 11;
const ROUNDS_FULL = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timed(task: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await task();
  return performance.now() - start;
}

async function read(stream: Readable): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += (chunk as Buffer).length;
  return bytes;
}

/** About 2.8 KB on average, like the NOTES.md baseline maildrop (10,000 messages, 28 MB). */
function message(i: number): Buffer {
  const lines = [
    `Message-ID: <bench-${i}@example.test>`,
    'From: Bench <bench@example.test>',
    'To: user@example.test',
    `Subject: bench message ${i}`,
    'Date: Tue, 01 Jul 2025 10:00:00 +0000',
    'Content-Type: text/plain; charset=utf-8',
    '',
  ];
  const count = 10 + ((i * 7) % 60);
  for (let line = 0; line < count; line += 1) {
    lines.push(line % 17 === 0 ? `.dotted line ${line}` : `line ${line} ${'x'.repeat((i + line * 13) % 70)}`);
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n`);
}

/** One cycle of the adapter: connect, watch until the first `checked`, stop. */
async function adapterCycle(service: MailService, onMessage?: (m: DiscoveredMessage, s: MailSession) => Promise<void>) {
  const session = await service.connect(new AbortController().signal);
  const controller = new AbortController();
  let resolveChecked!: () => void;
  const checked = new Promise<void>((resolve) => {
    resolveChecked = resolve;
  });
  const watching = session.watch(
    {
      next: async (m) => {
        await onMessage?.(m, session);
      },
      checked: () => {
        controller.abort();
        resolveChecked();
      },
    },
    controller.signal,
  );
  await checked;
  await watching;
  await session.close();
}

async function main(): Promise<void> {
  const servers = await startMailServers({ users: ['bench'], smtp: false });
  try {
    const user = servers.user('bench');
    const sources = Array.from({ length: MESSAGES }, (_, i) => message(i));
    const fillMs = await timed(() => servers.fill('bench', sources));
    const totalBytes = sources.reduce((sum, s) => sum + s.length, 0);
    console.log(
      `POP3 bench: ${MESSAGES.toLocaleString('en')} messages, ${(totalBytes / 1e6).toFixed(1)} MB ` +
        `(filled in ${fillMs.toFixed(0)} ms); Dovecot ${servers.host}; median of ${ROUNDS_CHEAP} (a) / ${ROUNDS_FULL} (b) rounds`,
    );

    const plain = () =>
      new Pop3Command({ user: user.user, password: user.password, host: servers.host, port: servers.ports.pop3 });

    const allKeys = new Set<string>();
    const recordKeys: HandledLookup = { isHandled: () => false };
    const base = {
      ...pop3Defaults(),
      id: 'bench',
      user: user.user,
      password: user.password,
      tlsCa: servers.caFile,
      pollIntervalMs: 60_000,
    };
    const plaintextServer = `pop3://${servers.host}:${servers.ports.pop3}`;
    const tlsServer = `pop3s://${servers.host}:${servers.ports.pop3s}`;

    // Warm-up (Dovecot's index and caches, JIT): one full pass each way; it also learns every key.
    const warmPlain = plain();
    await warmPlain.UIDL();
    await warmPlain.QUIT();
    await adapterCycle(
      createPop3Service({ ...base, server: plaintextServer, allowPlaintext: true }, { handled: recordKeys }),
      async (m, s) => {
        allKeys.add(m.identity.key);
        await read(await s.fetchSource(m));
      },
    );
    const handledAll: HandledLookup = { isHandled: (id) => allKeys.has(id.key) };

    // (a) nothing new
    const plainUidl: number[] = [];
    const cycleNothingNew: number[] = [];
    const cycleNothingNewTls: number[] = [];
    const quiet = createPop3Service(
      { ...base, server: plaintextServer, allowPlaintext: true },
      { handled: handledAll },
    );
    const quietTls = createPop3Service({ ...base, server: tlsServer }, { handled: handledAll });
    for (let round = 0; round < ROUNDS_CHEAP; round += 1) {
      plainUidl.push(
        await timed(async () => {
          const client = plain();
          const list = (await client.UIDL()) as string[][];
          if (list.length !== MESSAGES) throw new Error(`plain UIDL listed ${list.length}`);
          await client.QUIT();
        }),
      );
      cycleNothingNew.push(
        await timed(() =>
          adapterCycle(quiet, async () => {
            throw new Error('nothing should be new');
          }),
        ),
      );
      cycleNothingNewTls.push(await timed(() => adapterCycle(quietTls)));
    }

    // (b) first full pass
    const plainAll: number[] = [];
    const firstPass: number[] = [];
    const firstPassTls: number[] = [];
    const headersOnly: number[] = [];
    const fresh: HandledLookup = { isHandled: () => false };
    for (let round = 0; round < ROUNDS_FULL; round += 1) {
      plainAll.push(
        await timed(async () => {
          const client = plain();
          const list = (await client.UIDL()) as string[][];
          for (const [n] of list) await client.RETR(Number(n));
          await client.QUIT();
        }),
      );
      for (const [server, figures, extra] of [
        [plaintextServer, firstPass, { allowPlaintext: true }],
        [tlsServer, firstPassTls, {}],
      ] as const) {
        let count = 0;
        figures.push(
          await timed(() =>
            adapterCycle(createPop3Service({ ...base, ...extra, server }, { handled: fresh }), async (m, s) => {
              await read(await s.fetchSource(m));
              count += 1;
            }),
          ),
        );
        if (count !== MESSAGES) throw new Error(`first pass read ${count} messages`);
      }
      let discovered = 0;
      headersOnly.push(
        await timed(() =>
          adapterCycle(
            createPop3Service({ ...base, server: plaintextServer, allowPlaintext: true }, { handled: fresh }),
            async () => {
              discovered += 1;
            },
          ),
        ),
      );
      if (discovered !== MESSAGES) throw new Error(`headers-only pass discovered ${discovered} messages`);
    }

    /** Median (the figure compared) and minimum (how much of the median is noise on a shared machine). */
    const row = (label: string, values: number[], against?: number[]) => {
      const ms = median(values);
      const ratio = against === undefined ? '' : `   ${(ms / median(against)).toFixed(2)}×`;
      console.log(
        `  ${label.padEnd(62)} ${ms.toFixed(1).padStart(8)} ms (min ${Math.min(...values).toFixed(1)})${ratio}`,
      );
    };
    console.log('(a) a cycle with nothing new');
    row('plain node-pop3: connect + USER/PASS + UIDL + QUIT', plainUidl);
    row('adapter cycle (pop3:// plaintext): + journal lookups', cycleNothingNew, plainUidl);
    row('adapter cycle (pop3s://, for reference)', cycleNothingNewTls, plainUidl);
    console.log('(b) the first full pass');
    row('plain node-pop3: UIDL + RETR of all', plainAll);
    row('adapter first pass (pop3:// plaintext): TOP + RETR of all', firstPass, plainAll);
    row('adapter first pass (pop3s://, for reference)', firstPassTls, plainAll);
    row('adapter first pass, headers only (rules on headers: no RETR)', headersOnly, plainAll);
    const allMs = median(plainAll);
    console.log(
      `  throughput: plain ${((MESSAGES / allMs) * 1000).toFixed(0)} msg/s; adapter ${((MESSAGES / median(firstPass)) * 1000).toFixed(0)} msg/s ` +
        `(plaintext), ${((MESSAGES / median(firstPassTls)) * 1000).toFixed(0)} msg/s (POP3S)`,
    );
  } finally {
    await servers.stop();
  }
}

await main();
