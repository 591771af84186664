/**
 * How tests start the `mail-autopilot` CLI as a separate process: the TypeScript entry point through tsx's loader,
 * given by absolute URL so the child can run in any working directory (a temp dir with the config next to it).
 */
import { spawn } from 'node:child_process';
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

/**
 * What a spawned CLI run left: its exit status and both streams.
 *
 * @example
 * ```ts
 * const { status, stdout } = await spawnCli(['test', '--config', 'a.yaml', 'a.eml'], { cwd: dir });
 * ```
 */
export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `mail-autopilot <args>` as a separate process without blocking this one (a test's SMTP relay lives in the
 * test process), killed after two minutes.
 *
 * @example
 * ```ts
 * const result = await spawnCli(['run', '--config', 'desk.yaml', '--once'], { cwd: dir, env: { DESK_PASSWORD } });
 * ```
 */
export function spawnCli(
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: Record<string, string> },
): Promise<CliRun> {
  const [program, argv] = cliCommand(args);
  const child = spawn(program, argv, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve) =>
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}
