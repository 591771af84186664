/**
 * `mail-autopilot status --config FILE [--json]`: every mailbox's state as the journal last recorded it: state,
 * attempt, last error, next attempt, counts (and, with several hosts, which host owns it).
 *
 * @module
 */
import { describeStartAt } from '../config/start-at.js';
import { isPostgresUrl } from '../journal/postgres/location.js';
import { loadForCli, parseCommand } from './common.js';
import { EXIT_CODES } from './exit-codes.js';
import { formatTime, openConfiguredJournal, table } from './journal-access.js';
import type { CliDeps, CliIo } from './types.js';

export const STATUS_HELP = `Usage: mail-autopilot status --config FILE [--json]

Shows every mailbox of the configuration as its journal last recorded it: state,
attempt, last error, next attempt, message counts, and when it was last updated
(a state from a process that is no longer running stays as it was left).

Options:
  -c, --config FILE   the configuration file
      --json          one JSON document instead of a table
  -h, --help          show this help
`;

/**
 * Runs `status`.
 *
 * @example
 * ```ts
 * const code = await runStatusCommand(['--config', 'autopilot.yaml', '--json'], io, {});
 * ```
 */
export async function runStatusCommand(args: readonly string[], io: CliIo, deps: CliDeps): Promise<number> {
  const parsed = parseCommand<{ json?: boolean }>(args, io, STATUS_HELP, { json: { type: 'boolean' } });
  if ('exit' in parsed) return parsed.exit;
  const config = loadForCli(parsed.values.config, io, deps, STATUS_HELP, { secrets: 'optional' });
  if (typeof config === 'number') return config;
  const journal = await openConfiguredJournal(config);
  try {
    // pg is loaded only for a postgres:// journal (issue 12 point 5).
    const owners = isPostgresUrl(config.journal)
      ? await import('../cluster/status.js')
          .then(({ readClusterStatus }) => readClusterStatus(config.journal))
          .catch(() => undefined)
      : undefined;
    const rows = config.mailboxes.map((mailbox) => {
      const status = journal?.mailboxes.get(mailbox.id);
      const owner = owners?.mailboxes.find((m) => m.mailboxId === mailbox.id);
      const counters = status?.counters;
      return {
        mailboxId: mailbox.id,
        service: mailbox.service,
        state: status?.state ?? 'never run',
        attempt: status?.attempt ?? 0,
        lastError: status?.lastError ?? null,
        nextAttemptAt: status?.nextAttemptAt ?? null,
        connectedAt: status?.connectedAt ?? null,
        updatedAt: status?.updatedAt ?? null,
        counts: {
          discovered: counters?.discovered ?? 0,
          handled: counters?.handled ?? 0,
          unmatched: counters?.unmatched ?? 0,
          failed: (counters?.handlerFailed ?? 0) + (counters?.actionsFailed ?? 0),
          deadLettered: journal?.messages.deadLetters(mailbox.id).length ?? 0,
        },
        // Issue 15 point 3: `startAt`, what the first start said its first pass would do, and the `new` baseline.
        startAt: describeStartAt(mailbox.startAt),
        firstPass: status?.firstPass ?? null,
        baseline: status?.baseline ? { ...status.baseline, keys: status.baseline.keys?.size ?? null } : null,
        ...(owner
          ? { owner: owner.owner, ownerLive: owner.ownerLive, ownedSince: owner.since?.getTime() ?? null }
          : {}),
      };
    });
    if (parsed.values.json) {
      io.stdout(
        `${JSON.stringify({ journal: config.journal, mailboxes: rows, hosts: owners?.hosts ?? [] }, null, 2)}\n`,
      );
      return EXIT_CODES.OK;
    }
    if (!journal) io.stdout(`(no journal yet at ${config.journal}: nothing has run)\n`);
    io.stdout(
      table(
        [
          'MAILBOX',
          'STATE',
          'ATTEMPT',
          'LAST ERROR',
          'NEXT ATTEMPT',
          'HANDLED',
          'FAILED',
          'DEAD',
          'UPDATED',
          ...(owners ? ['OWNER'] : []),
        ],
        rows.map((row) => [
          row.mailboxId,
          row.state,
          String(row.attempt),
          row.lastError ? `${row.lastError.code}: ${row.lastError.message}`.slice(0, 60) : '-',
          formatTime(row.nextAttemptAt),
          String(row.counts.handled),
          String(row.counts.failed),
          String(row.counts.deadLettered),
          formatTime(row.updatedAt),
          ...(owners ? [row.owner ? `${row.owner}${row.ownerLive ? '' : ' (lease expired)'}` : '-'] : []),
        ]),
      ),
    );
    if (owners && owners.hosts.length > 0) {
      io.stdout(
        `\n${table(
          ['HOST', 'LIVE', 'MAILBOXES', 'LAST HEARTBEAT'],
          owners.hosts.map((host) => [
            host.hostId,
            host.live ? 'yes' : 'no',
            String(host.mailboxes),
            formatTime(host.lastHeartbeatAt.getTime()),
          ]),
        )}`,
      );
    }
    return EXIT_CODES.OK;
  } finally {
    await journal?.close();
  }
}
