/**
 * Issue 4, item 8: the whole pipeline — discover → match → command handler → journal (SQLite on disk) — against a
 * plain imapflow fetch of the same messages (envelope + source, what a hand-written script would do), measured in the
 * same run on the same Dovecot. A second figure runs the pipeline with a rule whose only step is journaling (no
 * process to spawn), which shows the framework's own cost apart from the cost of starting a handler per message.
 *
 * `npm run bench -- pipeline` (BENCH_PIPELINE_MESSAGES, default 10,000, the scale of the issue-12 job; the
 * command-handler figure p2 runs on BENCH_PIPELINE_COMMAND_MESSAGES, default 500: it spawns a process per message).
 *
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ImapFlow } from 'imapflow';
import { createAutopilot } from '../runtime/autopilot.js';
import { validateConfig } from '../runtime/config/load.js';
import { type MailServers, startMailServers } from '../scripts/harness/mail-servers.js';
import { atLeast, type BenchResult, formatResults, median, perSecond, progress, timed } from './lib.js';

const MESSAGES = Number(process.env.BENCH_PIPELINE_MESSAGES ?? 10_000);
const COMMAND_MESSAGES = Number(process.env.BENCH_PIPELINE_COMMAND_MESSAGES ?? 500);
const ROUNDS = 3;

async function plainFetch(servers: MailServers, name: string): Promise<number> {
  const user = servers.user(name);
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: servers.ports.imap,
    secure: false,
    doSTARTTLS: false,
    auth: { user: user.user, pass: user.password },
    logger: false,
  });
  await client.connect();
  await client.mailboxOpen('INBOX');
  let count = 0;
  for await (const message of client.fetch('1:*', { uid: true, envelope: true, source: true })) {
    if (message.source && message.envelope) count++;
  }
  await client.logout();
  return count;
}

async function pipelineOnce(servers: MailServers, name: string, withCommand: boolean): Promise<number> {
  const user = servers.user(name);
  const dir = mkdtempSync(join(tmpdir(), 'bench-pipeline-'));
  try {
    const config = validateConfig(
      {
        journal: './journal.db',
        mailboxes: [
          {
            id: name,
            server: `imap://127.0.0.1:${servers.ports.imap}`,
            allowPlaintext: true,
            user: user.user,
            password: user.password,
            rules: [
              withCommand
                ? { name: 'all', matchAll: true, run: ['sh', '-c', 'cat > /dev/null'] }
                : { name: 'all', matchAll: true, stop: true },
            ],
          },
        ],
      },
      { baseDir: dir, platform: 'linux', env: {} },
    );
    let handled = 0;
    const autopilot = createAutopilot(config);
    autopilot.events$.subscribe((event) => {
      if (event.type === 'message.handled') handled++;
    });
    await autopilot.runOnce();
    return handled;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the pipeline bench and returns its figures.
 *
 * @example
 * ```ts
 * const rows = await run();
 * ```
 */
export async function run(): Promise<BenchResult[]> {
  const servers = await startMailServers({ users: ['pipe', 'cmd'], smtp: false });
  try {
    const user = servers.user('pipe');
    progress('pipeline', `filling ${MESSAGES} messages`);
    await servers.fill(
      user.user,
      Array.from({ length: MESSAGES }, (_, i) => ({
        subject: `Web form ${i}`,
        from: 'form@example.test',
        text: `name: Person ${i}\nemail: p${i}@example.test\nmessage: ${'text '.repeat(40)}\n`,
        messageId: `<pipe-${i}@example.test>`,
      })),
    );
    await servers.fill(
      servers.user('cmd').user,
      Array.from({ length: COMMAND_MESSAGES }, (_, i) => ({
        subject: `Web form ${i}`,
        from: 'form@example.test',
        text: `name: Person ${i}\nemail: p${i}@example.test\nmessage: ${'text '.repeat(40)}\n`,
        messageId: `<cmd-${i}@example.test>`,
      })),
    );
    const plainCommandMs: number[] = [];
    const plainMs: number[] = [];
    const journalOnlyMs: number[] = [];
    const commandMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      progress('pipeline', `round ${round + 1}/${ROUNDS}`);
      plainMs.push(await timed(() => plainFetch(servers, 'pipe')));
      journalOnlyMs.push(
        await timed(async () => {
          const handled = await pipelineOnce(servers, 'pipe', false);
          if (handled !== MESSAGES) throw new Error(`journal-only pipeline handled ${handled} of ${MESSAGES}`);
        }),
      );
      plainCommandMs.push(await timed(() => plainFetch(servers, 'cmd')));
      commandMs.push(
        await timed(async () => {
          const handled = await pipelineOnce(servers, 'cmd', true);
          if (handled !== COMMAND_MESSAGES) {
            throw new Error(`command pipeline handled ${handled} of ${COMMAND_MESSAGES}`);
          }
        }),
      );
    }
    const plain = perSecond(MESSAGES, median(plainMs));
    const journalOnly = perSecond(MESSAGES, median(journalOnlyMs));
    const command = perSecond(COMMAND_MESSAGES, median(commandMs));
    const plainCommand = perSecond(COMMAND_MESSAGES, median(plainCommandMs));
    const note = `${MESSAGES} messages, median of ${ROUNDS}; plain = imapflow UID FETCH envelope+source; SQLite journal (synchronous=FULL)`;
    return [
      {
        bench: 'pipeline',
        id: 'p1',
        title: 'discover → match → journal (no handler) vs plain fetch',
        unit: 'msg/s',
        plain,
        adapter: journalOnly,
        ratio: journalOnly / plain,
        goal: atLeast(journalOnly / plain, 0.8),
        note,
      },
      {
        bench: 'pipeline',
        id: 'p2',
        title: 'discover → match → command handler → journal vs plain fetch',
        unit: 'msg/s',
        plain: plainCommand,
        adapter: command,
        ratio: command / plainCommand,
        note: `${COMMAND_MESSAGES} messages; handler = sh -c 'cat > /dev/null', one process per message`,
      },
    ];
  } finally {
    await servers.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(formatResults(await run()));
}
