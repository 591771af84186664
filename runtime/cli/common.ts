/**
 * What the CLI commands share: parsing `--config` and friends, loading the config with the right exit code. Only
 * `node:util` is loaded up front; the config layer (yaml, zod) is imported when a config is loaded, so a command's
 * `--help` and usage errors load nothing heavy (issue 12 point 5).
 *
 * @module
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ConfigError } from '../config/errors.js';
import { type AutopilotConfig, type ConfigInspection, inspectConfigFile } from '../config/load.js';
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
 * How a command loads its config: service mode (S2), and whether it needs the secrets. Only `run` and `login`
 * connect, so only they need every `${VAR}` and `passwordFile`; `status`, `events`, `dead-letters` and `validate`
 * read the journal or the file and load without them (issue 13 point 6).
 *
 * @example
 * ```ts
 * const how: CliLoadOptions = { secrets: 'optional' };
 * ```
 */
export interface CliLoadOptions {
  readonly mode?: 'app' | 'service';
  readonly secrets?: 'required' | 'optional';
}

/**
 * Inspects `--config` or returns the exit code (64 when missing, 78 when invalid), printing every problem.
 *
 * @example
 * ```ts
 * const inspection = inspectForCli(values.config, io, deps, HELP, { secrets: 'optional' });
 * if (typeof inspection === 'number') return inspection;
 * ```
 */
export function inspectForCli(
  file: string | undefined,
  io: CliIo,
  deps: CliDeps,
  help: string,
  options: CliLoadOptions = {},
): (ConfigInspection & { readonly config: AutopilotConfig }) | number {
  if (!file) {
    io.stderr(`mail-autopilot: --config FILE is required\n\n${help}`);
    return EXIT_CODES.USAGE;
  }
  const inspection = inspectConfigFile(file, { env: deps.env, mode: options.mode ?? 'app', secrets: options.secrets });
  if (!inspection.config) {
    io.stderr(`${new ConfigError(inspection.issues, file).message}\n`);
    return EXIT_CODES.CONFIG;
  }
  return inspection as ConfigInspection & { readonly config: AutopilotConfig };
}

/**
 * Loads `--config` or returns the exit code (64 when missing, 78 when invalid), printing the errors.
 *
 * @example
 * ```ts
 * const config = loadForCli(values.config, io, deps, HELP, { secrets: 'optional' });
 * if (typeof config === 'number') return config;
 * ```
 */
export function loadForCli(
  file: string | undefined,
  io: CliIo,
  deps: CliDeps,
  help: string,
  options: CliLoadOptions = {},
): AutopilotConfig | number {
  const inspection = inspectForCli(file, io, deps, help, options);
  return typeof inspection === 'number' ? inspection : inspection.config;
}
