/**
 * The CLI's commands, as a function of the arguments and output streams (no `process.exit`), so the e2e tests and
 * the `bin` share one entry point.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { InspectionEvent, Observer } from 'xstate';
import type { OAuth2BrokerOptions } from '../../adapters/oauth2/index.js';
import type { MailboxInput } from '../../machines/mailbox.types.js';
import type { RuntimeClock, RuntimeLogger } from '../mailbox-runner.js';
import type { ServiceFactory } from '../services.js';
import { runDeadLettersCommand } from './dead-letters.js';
import { runEventsCommand } from './events.js';
import { EXIT_CODES } from './exit-codes.js';
import { runInspectCommand } from './inspect.js';
import { runLoginCommand } from './login.js';
import { runRunCommand } from './run.js';
import { runStatusCommand } from './status.js';
import { runValidateCommand } from './validate.js';

/**
 * Where the CLI writes.
 *
 * @example
 * ```ts
 * const io: CliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
 * ```
 */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/**
 * What the process gives the CLI; tests pass their own (a SimulatedClock, an in-memory signal source), the `bin`
 * passes the real process. None of it is a user-facing option.
 *
 * @example
 * ```ts
 * const deps: CliDeps = { env: process.env, signals: process };
 * ```
 */
export interface CliDeps {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly signals?: Pick<NodeJS.Process, 'on' | 'off'>;
  readonly clock?: RuntimeClock;
  readonly logger?: RuntimeLogger;
  readonly services?: ServiceFactory;
  readonly machineInput?: Partial<MailboxInput>;
  /** An xstate inspection observer for the mailbox actors (`inspect` sets it). */
  readonly inspect?: Observer<InspectionEvent>;
  /**
   * OAuth2 broker options of `run` and `login` beyond the configuration: tests pass msal's network client that
   * reaches the local identity provider (test/harness/identity-provider.ts). TLS and token checks stay as they are.
   */
  readonly oauth2?: Omit<OAuth2BrokerOptions, 'tokenCache'>;
}

const HELP = `mail-autopilot: watches mailboxes and runs rules on every new message

Usage: mail-autopilot <command> [options]

Commands:
  run               run the autopilot on a configuration (--once, --service)
  validate          check a configuration without connecting
  status            every mailbox: state, attempt, last error, next attempt, counts
  events            the journal, filterable by mailbox, message and type (--json)
  dead-letters      list, show and retry messages whose handling gave up
  inspect           run with the Stately inspector attached (a local page)
  login             sign in to Exchange Online (OAuth2) for the protocols without a token
  help              show this help
  version           print the version

Run \`mail-autopilot <command> --help\` for a command's options.

Options:
  -h, --help        show help
  -v, --version     print the version

Exit codes: see docs/cli.md.
`;

function packageVersion(): string {
  for (const candidate of ['../../package.json', '../../../package.json']) {
    try {
      const path = fileURLToPath(new URL(candidate, import.meta.url));
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
      if (parsed.name === 'mail-autopilot' && parsed.version) return parsed.version;
    } catch {
      // try the next location: the source tree and dist/ sit at different depths
    }
  }
  return 'unknown';
}

/**
 * Runs one CLI invocation and resolves to its exit code.
 *
 * @example
 * ```ts
 * const code = await runCli(['--version'], io); // prints "0.1.0", resolves 0
 * ```
 */
export async function runCli(args: readonly string[], io: CliIo, deps: CliDeps = {}): Promise<number> {
  const [command = 'help', ...rest] = args;
  if (command === 'run') return runRunCommand(rest, io, deps);
  if (command === 'login') return runLoginCommand(rest, io, deps);
  if (command === 'validate') return runValidateCommand(rest, io, deps);
  if (command === 'status') return runStatusCommand(rest, io, deps);
  if (command === 'events') return runEventsCommand(rest, io, deps);
  if (command === 'dead-letters') return runDeadLettersCommand(rest, io, deps);
  if (command === 'inspect') return runInspectCommand(rest, io, deps);
  if (command === 'help' || command === '--help' || command === '-h') {
    io.stdout(HELP);
    return EXIT_CODES.OK;
  }
  if (command === 'version' || command === '--version' || command === '-v') {
    io.stdout(`${packageVersion()}\n`);
    return EXIT_CODES.OK;
  }
  io.stderr(`mail-autopilot: unknown command ${JSON.stringify(command)}\n\n${HELP}`);
  return EXIT_CODES.USAGE;
}
