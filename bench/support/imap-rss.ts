/**
 * IMAP bench (c): RSS of one process watching many mailboxes (default 1,000) by IDLE, the adapter against plain
 * imapflow connections, each in a fresh child process (`bench/imap-rss-child.ts`), and a check that every mailbox
 * is still told of new mail: one LMTP delivery to each, and every one must reach the child.
 *
 * The harness gives each user its own uid (`distinctUids`): with more than 128 IDLE sessions of one uid,
 * inotify's per-uid limit would push the rest onto Dovecot's 30 s fallback check (NOTES.md). Dovecot accepts
 * ~45–50 new sessions a second here, so connections are opened with bounded concurrency.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startMailServers } from '../../scripts/harness/mail-servers.js';
import type { RssChildMessage, RssParentMessage } from '../imap-rss-child.js';
import { atMost, type BenchResult, formatNumber, mapLimit, progress } from '../lib.js';
import type { ImapTarget } from './imap-clients.js';

const CHILD = fileURLToPath(new URL('../imap-rss-child.ts', import.meta.url));
/** After the last delivery, how long every mailbox has to be notified (below Dovecot's 30 s fallback check). */
const NOTIFY_TIMEOUT_MS = 25_000;

/**
 * Settings of bench (c).
 *
 * @example
 * ```ts
 * const options: RssBenchOptions = { mailboxes: 1_000, concurrency: 8 };
 * ```
 */
export interface RssBenchOptions {
  readonly mailboxes: number;
  /** Connections opened at once by each child. */
  readonly concurrency: number;
}

/** What one child measured. */
interface SideFigures {
  readonly baselineMb: number;
  readonly rssMb: number;
  readonly heapMb: number;
  readonly connected: number;
  readonly failed: number;
  readonly errors: readonly string[];
  readonly connectMs: number;
  readonly notified: number;
  /** From the last delivery until every mailbox was notified (NaN when some never were). */
  readonly notifyMs: number;
}

class Child {
  readonly #process: ChildProcess;
  readonly #waiters = new Set<{ test: (m: RssChildMessage) => boolean; resolve: (m: RssChildMessage) => void }>();
  #exit: Promise<number | null>;
  notified = 0;

  constructor(mode: 'adapter' | 'plain') {
    this.#process = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', CHILD, mode], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#exit = new Promise((resolve) => this.#process.once('exit', (code) => resolve(code)));
    this.#process.on('message', (message: RssChildMessage) => {
      if (message.type === 'notified') this.notified = message.count;
      if (message.type === 'progress') progress('imap', `(c) ${mode}: ${message.connected} connected`);
      for (const waiter of this.#waiters) {
        if (waiter.test(message)) {
          this.#waiters.delete(waiter);
          waiter.resolve(message);
        }
      }
    });
  }

  send(message: RssParentMessage): void {
    this.#process.send(message);
  }

  /** The next message of `type`; rejects if the child exits first or after `timeoutMs`. */
  next<T extends RssChildMessage['type']>(type: T, timeoutMs: number): Promise<Extract<RssChildMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      const waiter = {
        test: (m: RssChildMessage) => m.type === type,
        resolve: (m: RssChildMessage) => {
          clearTimeout(timer);
          resolve(m as Extract<RssChildMessage, { type: T }>);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`child sent no ${type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(waiter);
      this.#exit.then((code) => {
        if (!this.#waiters.has(waiter)) return;
        this.#waiters.delete(waiter);
        clearTimeout(timer);
        reject(new Error(`child exited (code ${code}) before sending ${type}`));
      });
    });
  }

  /** Asks the child to log out and exit; kills it when it takes longer than `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    if (this.#process.exitCode !== null || this.#process.signalCode !== null) return;
    if (this.#process.connected) this.send({ type: 'stop' });
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), graceMs);
    await this.#exit;
    clearTimeout(timer);
  }
}

async function measureSide(
  mode: 'adapter' | 'plain',
  targets: readonly ImapTarget[],
  options: RssBenchOptions,
  deliver: (index: number, tag: string) => Promise<void>,
): Promise<SideFigures> {
  const child = new Child(mode);
  try {
    child.send({ type: 'start', targets, concurrency: options.concurrency });
    const baseline = await child.next('baseline', 60_000);
    // ~45–50 sessions/s are accepted here; leave generous room on a loaded machine.
    const connected = await child.next('connected', 60_000 + targets.length * 500);
    progress(
      'imap',
      `(c) ${mode}: ${connected.connected} watching (${connected.failed} failed) after ${(connected.ms / 1000).toFixed(1)} s; ` +
        `RSS ${connected.rssMb.toFixed(1)} MB (${baseline.rssMb.toFixed(1)} MB before connecting)`,
    );
    const tag = `rss-${mode}-${Date.now()}`;
    child.send({ type: 'arm', tag });
    await mapLimit(targets, 8, (_, index) => deliver(index, tag));
    const delivered = performance.now();
    const deadline = delivered + NOTIFY_TIMEOUT_MS;
    while (child.notified < targets.length && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const notifyMs = child.notified === targets.length ? performance.now() - delivered : Number.NaN;
    progress('imap', `(c) ${mode}: ${child.notified}/${targets.length} mailboxes notified`);
    return {
      baselineMb: baseline.rssMb,
      rssMb: connected.rssMb,
      heapMb: connected.heapMb,
      connected: connected.connected,
      failed: connected.failed,
      errors: connected.errors,
      connectMs: connected.ms,
      notified: child.notified,
      notifyMs,
    };
  } finally {
    await child.stop(60_000);
  }
}

/**
 * Runs bench (c) against its own harness servers (one user per mailbox, distinct uids) and returns the RSS
 * figure, the RSS per mailbox above the process's baseline, and the notification check.
 *
 * @example
 * ```ts
 * const results = await rssBench({ mailboxes: 1_000, concurrency: 8 });
 * ```
 */
export async function rssBench(options: RssBenchOptions): Promise<BenchResult[]> {
  const n = options.mailboxes;
  const servers = await startMailServers({ users: n, distinctUids: true, smtp: false });
  try {
    const targets: ImapTarget[] = servers.users.map((user) => ({
      host: servers.host,
      port: servers.ports.imaps,
      caFile: servers.caFile,
      user: user.user,
      password: user.password,
    }));
    const deliver = (index: number, tag: string) =>
      servers.deliver(servers.users[index]!.user, { subject: `new mail ${tag} ${index}`, text: 'ping' });
    const plain = await measureSide('plain', targets, options, deliver);
    const adapter = await measureSide('adapter', targets, options, deliver);

    const ratio = adapter.rssMb / plain.rssMb;
    const perPlain = ((plain.rssMb - plain.baselineMb) * 1000) / Math.max(1, plain.connected);
    const perAdapter = ((adapter.rssMb - adapter.baselineMb) * 1000) / Math.max(1, adapter.connected);
    const allWatching = plain.connected === n && adapter.connected === n;
    const failures = [plain, adapter]
      .flatMap((side, i) =>
        side.failed > 0 ? [`${i === 0 ? 'plain' : 'adapter'}: ${side.failed} failed (${side.errors.join('; ')})`] : [],
      )
      .join('; ');
    const seconds = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'not all');
    return [
      {
        bench: 'imap',
        id: 'c',
        title: `RSS watching ${formatNumber(n)} mailboxes by IDLE`,
        unit: 'MB',
        plain: plain.rssMb,
        adapter: adapter.rssMb,
        ratio,
        goal: { ...atMost(ratio, 1.5), met: atMost(ratio, 1.5).met && allWatching },
        note:
          `each side in a fresh child process, IMAPS, median of 5 RSS readings after GC; ` +
          `before connecting plain ${plain.baselineMb.toFixed(1)} MB, adapter ${adapter.baselineMb.toFixed(1)} MB; ` +
          `heap plain ${plain.heapMb.toFixed(1)} MB, adapter ${adapter.heapMb.toFixed(1)} MB; ` +
          `connecting took plain ${seconds(plain.connectMs)}, adapter ${seconds(adapter.connectMs)}` +
          (failures ? `; ${failures}` : ''),
      },
      {
        bench: 'imap',
        id: 'c-per',
        title: 'RSS per watched mailbox (above the idle process)',
        unit: 'KB',
        plain: perPlain,
        adapter: perAdapter,
        ratio: perAdapter / perPlain,
      },
      {
        bench: 'imap',
        id: 'c-notify',
        title: 'mailboxes notified of one new message each',
        unit: 'mailboxes',
        plain: plain.notified,
        adapter: adapter.notified,
        ratio: adapter.notified / plain.notified,
        goal: { text: `all ${formatNumber(n)}`, met: plain.notified === n && adapter.notified === n },
        note:
          `one LMTP delivery to each mailbox (8 at a time); all notified ${seconds(plain.notifyMs)} (plain) and ` +
          `${seconds(adapter.notifyMs)} (adapter) after the last delivery; limit ${NOTIFY_TIMEOUT_MS / 1000} s`,
      },
    ];
  } finally {
    await servers.stop();
  }
}
