/**
 * How tests start the `mail-autopilot` CLI as a separate process: the TypeScript entry point through tsx's loader,
 * given by absolute URL so the child can run in any working directory (a temp dir with the config next to it).
 */
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The repository root. */
export const REPO_ROOT = root;

/**
 * The program and arguments that run `mail-autopilot <args>`.
 *
 * @example
 * ```ts
 * const [program, argv] = cliCommand(['run', '--config', 'autopilot.yaml']);
 * spawn(program, argv, { cwd: dir });
 * ```
 */
export function cliCommand(args: readonly string[]): [string, string[]] {
  const loader = pathToFileURL(`${root}node_modules/tsx/dist/loader.mjs`).href;
  return [process.execPath, ['--import', loader, `${root}runtime/cli/bin.ts`, ...args]];
}
