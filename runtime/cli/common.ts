/**
 * What the CLI commands share: parsing `--config` and friends, loading the config with the right exit code. Only
 * `node:util` is loaded up front; the config layer (yaml, zod) is imported when a config is loaded, so a command's
 * `--help` and usage errors load nothing heavy (issue 12 point 5).
 *
 * @module
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { AutopilotConfig } from '../config/load.js';
import { EXIT_CODES } from './exit-codes.js';
import type { CliDeps, CliIo } from './types.js';

/**
 * The outcome of parsing a command's arguments: the values, or the exit code to return at once (help, usage error).
 *
 * @example
 * ```ts
 * const parsed = parseCommand(args, io, HELP, { json: { type: 'boolean' } });
 * if ('exit' in parsed) return parsed.exit;
 * ```
 */
export type Parsed<T> = { readonly values: T; readonly positionals: string[] } | { readonly exit: number };

/**
 * Parses a command's arguments strictly; `--help` prints `help`; an unknown option is a usage error (exit 64).
 *
 * @example
 * ```ts
 * const parsed = parseCommand(args, io, STATUS_HELP, { json: { type: 'boolean' } });
 * ```
 */
export function parseCommand<T extends Record<string, unknown>>(
  args: readonly string[],
  io: CliIo,
  help: string,
  options: ParseArgsConfig['options'],
  allowPositionals = false,
): Parsed<T & { config?: string; help?: boolean }> {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' }, ...options },
      strict: true,
      allowPositionals,
    });
    if (values.help) {
      io.stdout(help);
      return { exit: EXIT_CODES.OK };
    }
    return { values: values as T & { config?: string; help?: boolean }, positionals };
  } catch (error) {
    io.stderr(`mail-autopilot: ${(error as Error).message}\n\n${help}`);
    return { exit: EXIT_CODES.USAGE };
  }
}

/**
 * Loads `--config` or returns the exit code (64 when missing, 78 when invalid), printing the errors.
 *
 * @example
 * ```ts
 * const config = await loadForCli(values.config, io, deps, HELP);
 * if (typeof config === 'number') return config;
 * ```
 */
export async function loadForCli(
  file: string | undefined,
  io: CliIo,
  deps: CliDeps,
  help: string,
  mode: 'app' | 'service' = 'app',
): Promise<AutopilotConfig | number> {
  if (!file) {
    io.stderr(`mail-autopilot: --config FILE is required\n\n${help}`);
    return EXIT_CODES.USAGE;
  }
  const [{ ConfigError }, { loadConfig }] = await Promise.all([
    import('../config/errors.js'),
    import('../config/load.js'),
  ]);
  try {
    return loadConfig(file, { env: deps.env, mode });
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`${error.message}\n`);
      return EXIT_CODES.CONFIG;
    }
    throw error;
  }
}
