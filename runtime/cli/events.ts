/**
 * `mail-autopilot events --config FILE [--mailbox ID] [--message KEY|MESSAGE-ID] [--type TYPE] [--limit N] [--json]`:
 * the journal itself, filtered.
 *
 * @module
 */
import type { MailboxExaminedEvent, StoredEvent } from '../journal/events.js';
import type { PrunePass } from '../journal/store.js';
import { loadForCli, parseCommand } from './common.js';
import { EXIT_CODES } from './exit-codes.js';
import { formatTime, openConfiguredJournal } from './journal-access.js';
import type { CliDeps, CliIo } from './types.js';

export const EVENTS_HELP = `Usage: mail-autopilot events --config FILE [options]

Prints the journal: every lifecycle event of the mailboxes and every step of every
message, oldest first (the last --limit events).

Options:
  -c, --config FILE     the configuration file
  -m, --mailbox ID      only this mailbox
      --message ID      only this message: its key (imap:INBOX:…, pop3:…) or Message-ID
  -t, --type TYPE       only events of this type or prefix (message.deadLettered, mailbox., handler.)
  -n, --limit N         at most the last N events (default 100; 0 = all)
      --json            one JSON object per line
  -h, --help            show this help
`;

/** The parts of an event a person reads in one line, beyond type and time. */
function details(event: StoredEvent): string {
  const {
    type: _type,
    mailboxId: _mailbox,
    at: _at,
    position: _position,
    version: _version,
    ...rest
  } = event as StoredEvent & Record<string, unknown>;
  return Object.entries(rest)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(' ');
}

/**
 * Why a message has no events of its own: the server's search (issue 12) examined it as part of a range that no
 * rule can match, recorded by one `mailbox.examined` fact instead of one event per message. Undefined when no
 * examined range covers it.
 *
 * @example
 * ```ts
 * explainUnjournaled(events, 'imap:INBOX:7:42'); // 'imap:INBOX:7:42 has no events of its own: …'
 * ```
 */
export function explainUnjournaled(events: readonly StoredEvent[], message: string): string | undefined {
  const ranges = events.filter((e): e is StoredEvent & MailboxExaminedEvent => e.type === 'mailbox.examined');
  if (ranges.length === 0) return undefined;
  const key = /^imap:(.+):(\d+):(\d+)$/.exec(message);
  const covering = key
    ? ranges.filter(
        (r) =>
          r.folder === key[1] &&
          r.uidValidity === key[2] &&
          Number(key[3]) >= r.fromUid &&
          Number(key[3]) <= r.throughUid,
      )
    : ranges;
  if (covering.length === 0) return undefined;
  const last = covering[covering.length - 1]!;
  const where = `folder ${JSON.stringify(last.folder)} (UIDVALIDITY ${last.uidValidity}) through UID ${last.throughUid}`;
  return key
    ? `${message} has no events of its own: the server's search examined it (${where}, ${formatTime(last.at)}) and no rule can match it, so it was recorded with its range (mailbox.examined), not one by one`
    : `no events for ${message}: messages the server's search rules out are recorded as ranges, not one by one — ${where} was examined (${formatTime(last.at)}); a message there without events matched no rule`;
}

/**
 * Why a message may have no events left (issue 16): retention removed the history of finished messages. The passes
 * are recorded (not the keys they removed: one row per pass, not per message), so this says what was removed and
 * when, not whether this key was among it. Undefined when retention never removed anything.
 *
 * @example
 * ```ts
 * explainPruned(await store.prunePasses(), 'imap:INBOX:7:42'); // 'no events for imap:INBOX:7:42: retention removed …'
 * ```
 */
export function explainPruned(passes: readonly PrunePass[], message: string): string | undefined {
  const last = passes[passes.length - 1];
  if (last === undefined) return undefined;
  const removed = passes.reduce((sum, pass) => sum + pass.removed, 0);
  return (
    `no events for ${message}: retention removed the history of finished messages (handled or unmatched) from ` +
    `before ${formatTime(last.before)} through position ${last.throughPosition}, last at ${formatTime(last.at)} ` +
    `(${removed} events in ${passes.length} pass(es)); if ${message} was finished before then, its history was removed by retention`
  );
}

/**
 * Runs `events`.
 *
 * @example
 * ```ts
 * const code = await runEventsCommand(['--config', 'autopilot.yaml', '--mailbox', 'support', '--json'], io, {});
 * ```
 */
export async function runEventsCommand(args: readonly string[], io: CliIo, deps: CliDeps): Promise<number> {
  const parsed = parseCommand<{ mailbox?: string; message?: string; type?: string; limit?: string; json?: boolean }>(
    args,
    io,
    EVENTS_HELP,
    {
      mailbox: { type: 'string', short: 'm' },
      message: { type: 'string' },
      type: { type: 'string', short: 't' },
      limit: { type: 'string', short: 'n' },
      json: { type: 'boolean' },
    },
  );
  if ('exit' in parsed) return parsed.exit;
  const { values } = parsed;
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 0) {
    io.stderr(`mail-autopilot events: --limit expects a whole number, got ${JSON.stringify(values.limit)}\n`);
    return EXIT_CODES.USAGE;
  }
  const config = loadForCli(values.config, io, deps, EVENTS_HELP, { secrets: 'optional' });
  if (typeof config === 'number') return config;
  if (values.mailbox && !config.mailboxes.some((m) => m.id === values.mailbox)) {
    io.stderr(`mail-autopilot events: no mailbox ${JSON.stringify(values.mailbox)} in ${config.file}\n`);
    return EXIT_CODES.USAGE;
  }
  const journal = await openConfiguredJournal(config);
  if (!journal) {
    io.stderr(`mail-autopilot events: no journal yet at ${config.journal}\n`);
    return EXIT_CODES.OK;
  }
  try {
    const all = await journal.store.read(values.mailbox ? { mailboxId: values.mailbox } : {});
    const matching = all.filter((event) => {
      if (values.type && !(event.type === values.type || event.type.startsWith(values.type))) return false;
      if (values.message) {
        const message = event as { key?: string; messageId?: string | null; previousKey?: string };
        return (
          message.key === values.message ||
          message.messageId === values.message ||
          message.previousKey === values.message
        );
      }
      return true;
    });
    if (values.message && matching.length === 0) {
      const why = explainUnjournaled(all, values.message);
      if (why) io.stderr(`${why}\n`);
      const pruned = explainPruned(await journal.store.prunePasses(), values.message);
      if (pruned) io.stderr(`${pruned}\n`);
    }
    const shown = limit === 0 ? matching : matching.slice(-limit);
    for (const event of shown) {
      io.stdout(
        values.json
          ? `${JSON.stringify(event)}\n`
          : `${String(event.position).padStart(6)}  ${formatTime(event.at)}  ${event.mailboxId}  ${event.type}  ${details(event)}\n`,
      );
    }
    return EXIT_CODES.OK;
  } finally {
    await journal.close();
  }
}
