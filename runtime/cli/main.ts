/**
 * The CLI's commands, as a function of the arguments and output streams (no `process.exit`), so the e2e tests and
 * the `bin` share one entry point.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT_CODES } from './exit-codes.js';

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

const HELP = `mail-autopilot: watches mailboxes and runs rules on every new message

Usage: mail-autopilot <command> [options]

Commands:
  help              show this help
  version           print the version

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
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const [command = 'help', ...rest] = args;
  if (command === 'help' || command === '--help' || command === '-h') {
    io.stdout(HELP);
    return EXIT_CODES.OK;
  }
  if (command === 'version' || command === '--version' || command === '-v') {
    io.stdout(`${packageVersion()}\n`);
    return EXIT_CODES.OK;
  }
  io.stderr(`mail-autopilot: unknown command ${JSON.stringify(command)}${rest.length ? '' : ''}\n\n${HELP}`);
  return EXIT_CODES.USAGE;
}
