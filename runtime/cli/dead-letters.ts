/**
 * `mail-autopilot dead-letters list|show|retry`: the messages whose handling gave up (kept on the server), why, and
 * a way to try them again (a `message.retryRequested` event in the journal: the message gets a fresh retry budget and
 * is handled again on the next discovery pass of its mailbox — at the latest when the service reconnects or restarts,
 * at once with `run --once`).
 *
 * @module
 */
import type { MessageRecord } from '../journal/message-projection.js';
import { loadForCli, parseCommand } from './common.js';
import { EXIT_CODES } from './exit-codes.js';
import { formatTime, openConfiguredJournal, table } from './journal-access.js';
import type { CliDeps, CliIo } from './types.js';

export const DEAD_LETTERS_HELP = `Usage: mail-autopilot dead-letters <list|show|retry> --config FILE [options]

  list                     the dead letters, oldest first
  show KEY|MESSAGE-ID      one dead letter: why, when, its failures
  retry KEY|MESSAGE-ID     ask for it to be handled again (fresh retry budget)
  retry --all              every dead letter (of --mailbox, if given)

Options:
  -c, --config FILE   the configuration file
  -m, --mailbox ID    only this mailbox
      --all           with retry: every dead letter
      --json          JSON instead of text
  -h, --help          show this help

A dead letter stays on the server. A retry is handled on the next discovery pass of
its mailbox: when the running service reconnects or restarts, or at once with
\`mail-autopilot run --once\`.
Exit codes: 0 done, 1 no such dead letter, 64 usage, 78 configuration.
`;

function describe(record: MessageRecord) {
  return {
    mailboxId: record.mailboxId,
    key: record.key,
    messageId: record.messageId,
    subject: record.subject,
    from: record.from,
    rules: record.rules,
    reason: record.deadLetter?.reason ?? null,
    code: record.deadLetter?.code ?? null,
    deadLetteredAt: record.deadLetter?.at ?? null,
    failures: record.failures,
    lastFailure: record.lastFailure,
  };
}

/**
 * Runs `dead-letters`.
 *
 * @example
 * ```ts
 * const code = await runDeadLettersCommand(['retry', '--all', '--config', 'autopilot.yaml'], io, {});
 * ```
 */
export async function runDeadLettersCommand(args: readonly string[], io: CliIo, deps: CliDeps): Promise<number> {
  const parsed = parseCommand<{ mailbox?: string; all?: boolean; json?: boolean }>(
    args,
    io,
    DEAD_LETTERS_HELP,
    { mailbox: { type: 'string', short: 'm' }, all: { type: 'boolean' }, json: { type: 'boolean' } },
    true,
  );
  if ('exit' in parsed) return parsed.exit;
  const [action, target, ...extra] = parsed.positionals;
  const { values } = parsed;
  const usage = (why: string) => {
    io.stderr(`mail-autopilot dead-letters: ${why}\n\n${DEAD_LETTERS_HELP}`);
    return EXIT_CODES.USAGE;
  };
  if (!action || !['list', 'show', 'retry'].includes(action)) return usage('expected list, show or retry');
  if (extra.length > 0) return usage(`unexpected ${JSON.stringify(extra[0])}`);
  if (action === 'show' && !target) return usage('show needs a key or Message-ID');
  if (action === 'retry' && !target && !values.all) return usage('retry needs a key or Message-ID, or --all');
  const config = loadForCli(values.config, io, deps, DEAD_LETTERS_HELP, { secrets: 'optional' });
  if (typeof config === 'number') return config;
  const journal = await openConfiguredJournal(config);
  if (!journal) {
    if (action === 'list') io.stdout(values.json ? '[]\n' : 'no dead letters (no journal yet)\n');
    return action === 'list' ? EXIT_CODES.OK : EXIT_CODES.FAILURE;
  }
  try {
    const letters = journal.messages.deadLetters(values.mailbox);
    const selected = target
      ? letters.filter((record) => record.key === target || record.messageId === target)
      : values.all
        ? letters
        : [];
    if (action === 'list') {
      if (values.json) io.stdout(`${JSON.stringify(letters.map(describe), null, 2)}\n`);
      else if (letters.length === 0) io.stdout('no dead letters\n');
      else
        io.stdout(
          table(
            ['MAILBOX', 'KEY', 'SUBJECT', 'REASON', 'SINCE'],
            letters.map((r) => [
              r.mailboxId,
              r.key,
              (r.subject ?? '').slice(0, 40),
              (r.deadLetter?.reason ?? '').slice(0, 70),
              formatTime(r.deadLetter?.at),
            ]),
          ),
        );
      return EXIT_CODES.OK;
    }
    if (selected.length === 0) {
      io.stderr(
        `mail-autopilot dead-letters: no dead letter ${target ? JSON.stringify(target) : ''} ${values.mailbox ? `in ${values.mailbox}` : ''}\n`,
      );
      return EXIT_CODES.FAILURE;
    }
    if (action === 'show') {
      const details = selected.map(describe);
      io.stdout(
        values.json
          ? `${JSON.stringify(details, null, 2)}\n`
          : `${details.map((d) => JSON.stringify(d, null, 2)).join('\n')}\n`,
      );
      return EXIT_CODES.OK;
    }
    const at = Date.now();
    await journal.append(
      selected.map((record) => ({
        type: 'message.retryRequested' as const,
        mailboxId: record.mailboxId,
        key: record.key,
        messageId: record.messageId,
        at,
        by: process.env.USER ?? 'cli',
      })),
    );
    io.stdout(`retry requested for ${selected.length} message(s); handled on the next discovery pass of the mailbox\n`);
    return EXIT_CODES.OK;
  } finally {
    await journal.close();
  }
}
