/**
 * The one place where the shapes `createAutopilot` accepts become one validated config: a file path (loaded), a
 * config from `loadConfig`/`validateConfig` (used as it is), or a plain object as a host program writes it
 * (validated, relative paths from the working directory).
 *
 * @module
 */
import { type AutopilotConfig, type LoadOptions, loadConfig, validateConfig } from '../config/load.js';

/**
 * Whether a value is a config already validated by `loadConfig`/`validateConfig` (it carries its `baseDir`).
 *
 * @example
 * ```ts
 * isResolvedConfig(loadConfig('autopilot.yaml')); // true
 * ```
 */
export function isResolvedConfig(config: unknown): config is AutopilotConfig {
  return typeof (config as { baseDir?: unknown } | null)?.baseDir === 'string';
}

/**
 * The validated config of any accepted shape; throws `ConfigError` naming the mailbox and field.
 *
 * @example
 * ```ts
 * const config = resolveConfigInput({ mailboxes: [{ id: 'support', server: 'imaps://mail.example.test' }] }, {});
 * ```
 */
export function resolveConfigInput(
  config: AutopilotConfig | string | Record<string, unknown>,
  options: LoadOptions,
): AutopilotConfig {
  if (typeof config === 'string') return loadConfig(config, options);
  if (isResolvedConfig(config)) return config;
  return validateConfig(config, { ...options, baseDir: process.cwd() });
}
