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
 * Runs `mail-autopilot <args>` in `cwd` without blocking the test process (servers the CLI talks to may live in
 * it), collecting its output; killed after `timeoutMs` (default 120 s) so a hang fails the test instead of the run.
 *
 * @example
 * ```ts
 * const { status, stderr } = await runCli(['run', '--config', 'autopilot.yaml', '--once'], { cwd: dir, env });
 * ```
 */
export function runCli(
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: Record<string, string>; readonly timeoutMs?: number },
): Promise<{ status: number | null; stdout: string; stderr: string }> {
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
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  return new Promise((resolve) =>
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}
