/**
 * One host of the cluster bench (`bench/cluster.ts`): an autopilot over N simulated mailboxes (services that connect
 * at once and never discover anything), sharing them with the other hosts through PostgreSQL. Prints JSON lines on
 * stdout: `started`, then `running` with the number of mailboxes it watches whenever that changes. SIGTERM stops it.
 *
 * Usage: node --import tsx bench/cluster-child.ts <postgres url> <host id> <lease ms> <mailboxes>
 */
import { tmpdir } from 'node:os';
import type { MailService, MailSession } from '../adapters/contract.js';
import { createAutopilot } from '../runtime/autopilot.js';
import { PostgresMailboxOwnership } from '../runtime/cluster/postgres-ownership.js';
import { validateConfig } from '../runtime/config/load.js';
import type { ServiceFactory } from '../runtime/services.js';

const [url, hostId, leaseMs, count] = process.argv.slice(2);
if (!url || !hostId || !leaseMs || !count) {
  console.error('usage: cluster-child.ts <postgres url> <host id> <lease ms> <mailboxes>');
  process.exit(2);
}

const print = (fact: object) => process.stdout.write(`${JSON.stringify({ host: hostId, ...fact })}\n`);
const quiet = () => undefined;
const logger = {
  info: quiet,
  // Mailboxes stopping (hand-over, shutdown) are expected here; everything else is worth seeing.
  warn: (obj: object, msg?: string) => {
    if (!msg?.startsWith('mailbox.')) process.stderr.write(`${hostId} warn ${msg} ${JSON.stringify(obj)}\n`);
  },
  error: (obj: object, msg?: string) => process.stderr.write(`${hostId} error ${msg} ${JSON.stringify(obj)}\n`),
};

/** A mailbox that connects at once and then waits, discovering nothing, until it is stopped. */
const idle: ServiceFactory = (mailbox) => {
  const refuse = async () => {
    throw new Error('a simulated mailbox has no messages');
  };
  const session: MailSession = {
    watch: (_sink, signal) =>
      new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      }),
    fetchSource: refuse,
    fetchBody: refuse,
    markRead: refuse,
    flag: refuse,
    moveTo: refuse,
    delete: refuse,
    close: async () => undefined,
  };
  const service: MailService = {
    kind: 'imap',
    mailboxId: mailbox.id,
    capabilities: {
      unreadOnly: true,
      markRead: true,
      flag: true,
      move: true,
      delete: true,
      folders: true,
      rawMime: true,
      push: true,
      send: false,
    },
    connect: async () => session,
  };
  return service;
};

const mailboxes = Array.from({ length: Number(count) }, (_, i) => ({
  id: `sim-${String(i).padStart(5, '0')}`,
  server: 'imap://127.0.0.1:9',
  user: `sim-${i}@example.test`,
  password: 'unused',
}));
const config = validateConfig({ journal: url, mailboxes }, { baseDir: tmpdir(), env: {}, platform: 'linux' });
const ownership = new PostgresMailboxOwnership({ url, hostId, leaseMs: Number(leaseMs), logger });
const autopilot = createAutopilot(config, { services: idle, ownership, logger });
await autopilot.start();
print({ type: 'started' });

let last = -1;
const watch = setInterval(() => {
  const running = autopilot.states().length;
  if (running !== last) {
    last = running;
    print({ type: 'running', count: running });
  }
}, 100);

process.once('SIGTERM', () => {
  clearInterval(watch);
  void autopilot.stop({ deadlineMs: 5_000 }).then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
