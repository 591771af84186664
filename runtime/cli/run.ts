/**
 * `mail-autopilot run --config FILE [--once] [--service]`: runs the autopilot as an application (until SIGINT or
 * SIGTERM), once (`--once`: connect each mailbox, handle what is there, exit), or as a service (`--service`: a mailbox
 * that gives up by S9 ends the process with exit code 75 and a log line naming it, S10).
 *
 * @module
 */
import { parseArgs } from 'node:util';
import type { Autopilot, AutopilotOptions, createAutopilot, OnceResult } from '../autopilot.js';
import { ConfigError } from '../config/errors.js';
import type { HttpServer } from '../http/server.js';
import { exposedJournalFiles } from '../journal/file-exposure.js';
import { isPostgresUrl } from '../journal/postgres/location.js';
import type { MessageTrace } from '../rules/explain.js';
import { EXIT_CODES } from './exit-codes.js';
import { printTrace } from './trace-output.js';
import type { CliDeps, CliIo } from './types.js';

export const RUN_HELP = `Usage: mail-autopilot run --config FILE [--once [--dry-run [--json]]] [--service]

Runs the autopilot on the mailboxes of a configuration file (YAML or JSON).

Options:
  -c, --config FILE   the configuration file (required)
      --once          connect each mailbox once, handle what is there, exit
                      and print a summary line (exit code 69 when a mailbox
                      could not connect, 65 when a message was dead-lettered)
      --dry-run       with --once only: connect read-only (IMAP EXAMINE, PEEK),
                      decide every message as --once would and print each one's
                      rule trace (as \`mail-autopilot test\` does); no flag, move,
                      mail, handler or journal entry: nothing changes
      --json          with --dry-run: the trace as one JSON document
      --service       service mode (SPEC S10): a mailbox that gives up ends the
                      process with exit code 75; MAPI needs a profile name (S2)
      --stop-deadline DURATION  time handlers in flight get on SIGTERM (default 30s)
  -h, --help          show this help

One writer per journal: a second run on the same SQLite journal exits at once
with code 73, naming the journal file and the process that holds it.

Signals: SIGINT and SIGTERM stop cleanly: no new discovery, handlers in flight
finish within the deadline, the journal stays consistent.

HTTP: with \`http: { enabled: true }\` in the configuration, /healthz, /metrics and
a live status page listen on 127.0.0.1:8025 (docs/status-page.md).
`;

/**
 * The closing lines and the exit code of `run --once` (docs/cli.md): one summary line of what the run did; 69 when
 * a mailbox could not connect, 1 when a journal write failed, 65 when a message of this run was dead-lettered,
 * else 0 — `exit 0` means every message reached its end.
 *
 * @example
 * ```ts
 * const code = onceExitCode(await autopilot.runOnce(), io);
 * ```
 */
export function onceExitCode(results: readonly OnceResult[], io: CliIo): number {
  const total = { handled: 0, unmatched: 0, skipped: 0, deadLettered: 0 };
  for (const result of results) {
    for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += result.counts[key];
  }
  const failed = results.filter((result) => !result.connected);
  for (const result of failed) {
    io.stderr(`mailbox ${result.mailboxId}: could not connect: ${result.error?.code}: ${result.error?.message}\n`);
  }
  const broken = results.filter((result) => result.connected && result.error);
  for (const result of broken) {
    io.stderr(`mailbox ${result.mailboxId}: stopped: ${result.error?.code}: ${result.error?.message}\n`);
  }
  io.stdout(
    `mail-autopilot: ${total.handled} handled, ${total.unmatched} unmatched, ${total.skipped} skipped, ` +
      `${total.deadLettered} dead-lettered (${results.length} mailbox${results.length === 1 ? '' : 'es'}` +
      `${failed.length > 0 ? `, ${failed.length} not connected` : ''})\n`,
  );
  if (failed.length > 0) return EXIT_CODES.CONNECT_FAILED;
  if (broken.length > 0) return EXIT_CODES.FAILURE;
  if (total.deadLettered > 0) {
    io.stderr(
      'mail-autopilot: messages of this run were dead-lettered: `mail-autopilot dead-letters list` shows why\n',
    );
    return EXIT_CODES.DEAD_LETTERED;
  }
  return EXIT_CODES.OK;
}

/**
 * Runs the `run` command and resolves to its exit code.
 *
 * @example
 * ```ts
 * const code = await runCommand(['--config', 'autopilot.yaml', '--once'], io, {});
 * ```
 */
export async function runRunCommand(args: readonly string[], io: CliIo, deps: CliDeps): Promise<number> {
  let values: {
    config?: string;
    once?: boolean;
    service?: boolean;
    help?: boolean;
    'stop-deadline'?: string;
    'dry-run'?: boolean;
    json?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        config: { type: 'string', short: 'c' },
        once: { type: 'boolean' },
        service: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
        'stop-deadline': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    io.stderr(`mail-autopilot run: ${(error as Error).message}\n\n${RUN_HELP}`);
    return EXIT_CODES.USAGE;
  }
  if (values.help) {
    io.stdout(RUN_HELP);
    return EXIT_CODES.OK;
  }
  if (!values.config) {
    io.stderr(`mail-autopilot run: --config FILE is required\n\n${RUN_HELP}`);
    return EXIT_CODES.USAGE;
  }
  if (values.once && values.service) {
    io.stderr('mail-autopilot run: --once and --service exclude each other\n');
    return EXIT_CODES.USAGE;
  }
  if (values['dry-run'] && !values.once) {
    io.stderr('mail-autopilot run: --dry-run needs --once (a dry run looks once and changes nothing)\n');
    return EXIT_CODES.USAGE;
  }
  if (values.json && !values['dry-run']) {
    io.stderr('mail-autopilot run: --json needs --once --dry-run\n');
    return EXIT_CODES.USAGE;
  }
  // The runtime (xstate, rxjs, the adapters, the journal's driver) is loaded here, after the arguments are known to
  // be right, so `run --help` and usage errors stay instant (issue 12 point 5).
  const [{ createAutopilot }, { createLogger }] = await Promise.all([
    import('../autopilot.js'),
    import('../logger.js'),
  ]);
  // A dry run's stdout is its trace (one JSON document with --json): its log lines go to stderr.
  const logger = deps.logger ?? (values['dry-run'] ? createLogger({ destination: process.stderr }) : createLogger());
  const options: AutopilotOptions = {
    mode: values.service ? 'service' : 'app',
    env: deps.env,
    logger,
    clock: deps.clock,
    services: deps.services,
    machineInput: deps.machineInput,
    ...(deps.inspect ? { inspect: deps.inspect } : {}),
    // An OAUTH_LOGIN_REQUIRED message names this file in the `login` command it asks for.
    oauth2: { configFile: values.config, ...deps.oauth2 },
  };
  let autopilot: ReturnType<typeof createAutopilot>;
  try {
    autopilot = createAutopilot(values.config, options);
  } catch (error) {
    if (error instanceof ConfigError || (error as { name?: string }).name === 'RuleConfigError') {
      io.stderr(`${(error as Error).message}\n`);
      return EXIT_CODES.CONFIG;
    }
    throw error;
  }

  if (!isPostgresUrl(autopilot.config.journal)) {
    // Issue 13.7: say so when the journal (subjects, senders, dead-letter reasons) is open to other local users.
    for (const file of exposedJournalFiles(autopilot.config.journal)) {
      logger.warn(
        { file: file.path, mode: file.mode },
        `journal file ${file.path} has mode ${file.mode}: other local users can read the mail it records; chmod 600 it`,
      );
    }
  }

  if (values.once && values['dry-run']) return dryRunOnce(autopilot, io, values.json === true);

  if (values.once) {
    let results: Awaited<ReturnType<typeof autopilot.runOnce>>;
    try {
      results = await autopilot.runOnce();
    } catch (error) {
      if (!isJournalLocked(error)) throw error;
      io.stderr(`mail-autopilot: ${(error as Error).message}\n`);
      return EXIT_CODES.JOURNAL_LOCKED;
    }
    return onceExitCode(results, io);
  }

  const stopDeadline = values['stop-deadline'];
  const { parseDuration } = await import('../config/duration.js');
  const deadlineMs = stopDeadline === undefined ? 30_000 : parseDuration(stopDeadline);
  if (deadlineMs === undefined) {
    io.stderr(
      `mail-autopilot run: --stop-deadline expects a duration such as 30s, got ${JSON.stringify(stopDeadline)}\n`,
    );
    return EXIT_CODES.USAGE;
  }

  return await new Promise<number>((resolve) => {
    let finishing = false;
    let http: HttpServer | undefined; // issue 6: /healthz, /metrics, status page (config `http:`)
    const finish = async (code: number, why: string) => {
      if (finishing) return;
      finishing = true;
      logger.info({ why }, 'stopping');
      const { interrupted } = await autopilot.stop({ deadlineMs });
      if (interrupted > 0)
        logger.warn({ interrupted }, 'handlers interrupted at the deadline; they run again on the next start');
      await http?.stop();
      for (const [signal, handler] of handlers) deps.signals?.off(signal, handler);
      resolve(code);
    };
    const handlers: [NodeJS.Signals, () => void][] = [
      ['SIGINT', () => void finish(EXIT_CODES.OK, 'SIGINT')],
      ['SIGTERM', () => void finish(EXIT_CODES.OK, 'SIGTERM')],
    ];
    for (const [signal, handler] of handlers) deps.signals?.on(signal, handler);
    autopilot.states$.subscribe((state) => {
      if (values.service && state.state === 'stopped' && state.stopReason === 'gaveUp') {
        // S10: the service ends, naming the mailbox and the last error, so the service manager reports it.
        const error = state.lastError;
        logger.error(
          { mailboxId: state.mailboxId, code: error?.code, error: error?.message },
          `mailbox ${state.mailboxId} stopped after the reconnect schedule (SPEC S9): ${error?.code ?? 'UNKNOWN'}: ${error?.message ?? ''}`,
        );
        io.stderr(
          `mail-autopilot: mailbox ${state.mailboxId} stopped (SPEC S9/S10): ${error?.code ?? 'UNKNOWN'}: ${error?.message ?? ''}\n`,
        );
        void finish(EXIT_CODES.MAILBOX_STOPPED, `mailbox ${state.mailboxId} stopped`);
      }
    });
    autopilot
      .start()
      .then(async () => {
        if (finishing) return;
        const clockNow = deps.clock?.now ? () => deps.clock!.now!() : undefined;
        const { startConfiguredHttpServer } = await import('../http/from-config.js');
        http = await startConfiguredHttpServer(autopilot, { logger, now: clockNow });
        // A stop that came while the server was starting has not seen it.
        if (finishing) await http?.stop();
      })
      .catch((error: unknown) => {
        io.stderr(`mail-autopilot: ${(error as Error).message}\n`);
        // Issue 13.3: another process writes this journal; a distinct code so a service manager does not retry blindly.
        void finish(isJournalLocked(error) ? EXIT_CODES.JOURNAL_LOCKED : EXIT_CODES.FAILURE, 'start failed');
      });
  });
}

/**
 * `run --once --dry-run`: the trace of every message a real `--once` would handle, then one summary line; the exit
 * code is `--once`'s for connecting (69), else 0. Nothing is journaled, so there is no dead-letter code.
 */
async function dryRunOnce(autopilot: Autopilot, io: CliIo, json: boolean): Promise<number> {
  const traces: MessageTrace[] = [];
  const results = await autopilot.runOnce({ dryRun: { onTrace: (trace) => traces.push(trace) } });
  printTrace(io, traces, { json });
  const failed = results.filter((result) => !result.connected);
  for (const result of failed) {
    io.stderr(`mailbox ${result.mailboxId}: could not connect: ${result.error?.code}: ${result.error?.message}\n`);
  }
  const matched = traces.filter((trace) => trace.rules.some((step) => step.tried && step.matched)).length;
  io.stderr(
    `mail-autopilot: dry run: ${traces.length} message(s) would be handled, ${matched} matching a rule; nothing was changed\n`,
  );
  return failed.length > 0 ? EXIT_CODES.CONNECT_FAILED : EXIT_CODES.OK;
}

/** A second writer on the journal (`JournalLockedError` from the SQLite store). */
function isJournalLocked(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'JOURNAL_LOCKED';
}
