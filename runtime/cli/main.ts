/**
 * The CLI's commands, as a function of the arguments and output streams (no `process.exit`), so the e2e tests and
 * the `bin` share one entry point. This module is the dispatcher only: it imports each command's module on demand.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT_CODES } from './exit-codes.js';
import type { CliCommand, CliDeps, CliIo } from './types.js';

// Moved to types.ts, so no command imports this module (issue 14 point 3); re-exported for callers of `runCli`.
export type { CliDeps, CliIo } from './types.js';

/**
 * Each command's module, imported when that command runs (issue 12 point 5): `--help` loads none of them, and a
 * command loads only what it needs (the config layer for `validate`, the journal reader for `status`, the whole
 * runtime only for `run`).
 */
const COMMANDS: Readonly<Record<string, () => Promise<CliCommand>>> = {
  run: async () => (await import('./run.js')).runRunCommand,
  login: async () => (await import('./login.js')).runLoginCommand,
  validate: async () => (await import('./validate.js')).runValidateCommand,
  status: async () => (await import('./status.js')).runStatusCommand,
  events: async () => (await import('./events.js')).runEventsCommand,
  'dead-letters': async () => (await import('./dead-letters.js')).runDeadLettersCommand,
  inspect: async () => (await import('./inspect.js')).runInspectCommand,
  test: async () => (await import('./test.js')).runTestCommand,
};

const HELP = `mail-autopilot: watches mailboxes and runs rules on every new message

Usage: mail-autopilot <command> [options]

Commands:
  run               run the autopilot on a configuration (--once, --dry-run, --service)
  validate          check a configuration without connecting
  test              try a mailbox's rules on message files (.eml), changing nothing
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
  const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (load) return (await load())(rest, io, deps);
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
