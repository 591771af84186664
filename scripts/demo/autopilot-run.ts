/**
 * Runs `mail-autopilot run --config FILE` in this process through the CLI's own entry point (`runCli`), so the demo
 * behaves exactly as the command does, and stops it the way a service manager does: with SIGTERM (delivered to the
 * CLI's signal source, not to this process).
 *
 * @module
 */
import { EventEmitter, once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { runCli } from '../../runtime/cli/main.js';
import { createLogger } from '../../runtime/logger.js';

/**
 * A running `mail-autopilot run`.
 *
 * @example
 * ```ts
 * const run = startAutopilot({ configFile, logFile, env: { ...process.env, SUPPORT_PASSWORD: 'secret' } });
 * const code = await run.stop(); // 0
 * ```
 */
export interface AutopilotRun {
  /** The command's exit code once it ended (by `stop()` or on its own). */
  readonly exited: Promise<number>;
  /** Whether it ended already. */
  readonly ended: boolean;
  /** What the command wrote to stdout/stderr (it writes only on failure while running). */
  readonly output: readonly string[];
  /** Sends SIGTERM to the command and resolves its exit code. */
  stop(): Promise<number>;
}

/**
 * Starts `run --config configFile` with its JSON log lines going to `logFile`.
 *
 * @example
 * ```ts
 * const run = startAutopilot({ configFile: '/tmp/x/demo.yaml', logFile: '/tmp/x/autopilot.log', env: process.env });
 * ```
 */
export function startAutopilot(options: {
  readonly configFile: string;
  readonly logFile: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}): AutopilotRun {
  const signals = new EventEmitter();
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const logger = createLogger({ destination: log, level: 'info' });
  const output: string[] = [];
  let ended = false;
  const exited = runCli(
    ['run', '--config', options.configFile],
    { stdout: (text) => output.push(text), stderr: (text) => output.push(text) },
    { env: options.env, signals: signals as unknown as Pick<NodeJS.Process, 'on' | 'off'>, logger },
  )
    .catch((error: unknown) => {
      output.push(`${(error as Error).stack ?? String(error)}\n`);
      return 1;
    })
    .then(async (code) => {
      ended = true;
      log.end();
      await once(log, 'close').catch(() => undefined);
      return code;
    });
  return {
    exited,
    get ended() {
      return ended;
    },
    output,
    stop() {
      if (!ended) signals.emit('SIGTERM');
      return exited;
    },
  };
}
