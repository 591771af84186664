/**
 * Runs a rule's command handler (issue 4): no shell, the raw message on stdin, metadata in the environment, a
 * timeout that ends the whole process group, and an outcome that is always a value (never a rejection).
 *
 * Environment (issue 13.5): a handler processes mail from strangers, so it gets only {@link HANDLER_BASE_ENV} of the
 * service's environment, the rule's `env` and the `MAIL_AUTOPILOT_*` metadata — never the variables the config
 * takes secrets from (`password: ${SUPPORT_PASSWORD}`). `passEnv` names more variables to hand on.
 *
 * Exit code 0 means handled. Everything else is a failure with a code, a reason for people and whether a retry
 * can help: a non-zero exit, a signal, a timeout, a stop (abort), or a message source that broke while being fed
 * are retryable; a program that does not exist or may not be executed, or a missing working directory, are not.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { envValue, type HandlerMetadata, handlerEnv } from './metadata.js';
import { OutputTail } from './output-tail.js';

/**
 * Options of {@link runCommandHandler}.
 *
 * @example
 * ```ts
 * const options: RunCommandOptions = {
 *   command: ['node', 'handlers/bounce.js'], cwd: '/etc/mail-autopilot', rawSource: await session.fetchSource(m),
 *   metadata: handlerMetadata(m, { rule: 'bounces', attempt: 1 }), timeoutMs: 120_000,
 * };
 * ```
 */
export interface RunCommandOptions {
  /** Program and arguments; the program is looked up in PATH as `execvp` does. */
  readonly command: readonly string[];
  /** Working directory (absolute, or relative to the process's cwd). Default: the process's cwd. */
  readonly cwd?: string;
  /** The raw RFC 5322 message for stdin. A stream is destroyed when the run ends, read to the end or not. */
  readonly rawSource: Readable | Buffer | Uint8Array | string;
  /**
   * The message's metadata, given to the command as `MAIL_AUTOPILOT_*` variables ({@link handlerEnv}). A caller
   * that builds the variables itself leaves this out and passes them in `env`.
   */
  readonly metadata?: HandlerMetadata;
  readonly timeoutMs: number;
  /** Extra variables (the rule's `env`). The metadata variables win over these. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Variables of this process's environment to hand on beyond {@link HANDLER_BASE_ENV} (the rule's `passEnv`).
   * Names this process does not have are left out.
   */
  readonly passEnv?: readonly string[];
  /** Time between SIGTERM and SIGKILL when the run must end. Default 5 s. */
  readonly killGraceMs?: number;
  /** Bytes kept from the end of stdout and of stderr each. Default 16 KiB. */
  readonly maxOutputBytes?: number;
  /** Aborting ends the run like a timeout (SIGTERM, then SIGKILL), reported as `HANDLER_ABORTED`. */
  readonly signal?: AbortSignal;
}

/**
 * Failure codes of a command run.
 *
 * @example
 * ```ts
 * const code: CommandFailureCode = 'HANDLER_TIMEOUT';
 * ```
 */
export type CommandFailureCode =
  | 'HANDLER_EXIT'
  | 'HANDLER_SIGNAL'
  | 'HANDLER_TIMEOUT'
  | 'HANDLER_ABORTED'
  | 'HANDLER_INPUT_FAILED'
  | 'HANDLER_NOT_FOUND'
  | 'HANDLER_NOT_EXECUTABLE'
  | 'HANDLER_CWD_NOT_FOUND'
  | 'HANDLER_SPAWN_FAILED';

interface Output {
  /** The end of stdout (at most `maxOutputBytes`). */
  readonly stdout: string;
  /** The end of stderr (at most `maxOutputBytes`). */
  readonly stderr: string;
  /** Wall time of the run, for logs and metrics. */
  readonly durationMs: number;
}

/**
 * The outcome of a command run. Map a failure to `handler.failed` with `code`, `reason` and `retryable`.
 *
 * @example
 * ```ts
 * const result = await runCommandHandler(options);
 * if (result.ok) journal.append([{ type: 'handler.succeeded', ... }]);
 * else journal.append([{ type: 'handler.failed', code: result.code, reason: result.reason, retryable: result.retryable, ... }]);
 * ```
 */
export type CommandResult =
  | (Output & { readonly ok: true; readonly exitCode: 0 })
  | (Output & {
      readonly ok: false;
      readonly code: CommandFailureCode;
      readonly reason: string;
      readonly retryable: boolean;
      readonly exitCode: number | null;
      readonly signal: NodeJS.Signals | null;
    });

interface Failure {
  readonly code: CommandFailureCode;
  readonly reason: string;
  readonly retryable: boolean;
}

/**
 * What a handler gets of the service's environment without asking: enough to find programs, a home, a locale, a
 * time zone and a temp dir. On Windows also what a process needs to start at all (SystemRoot & co.).
 *
 * @example
 * ```ts
 * HANDLER_BASE_ENV.includes('PATH'); // true
 * ```
 */
export const HANDLER_BASE_ENV: readonly string[] = [
  'PATH',
  'HOME',
  'LANG',
  'TZ',
  'TMPDIR',
  ...(process.platform === 'win32' ? ['SYSTEMROOT', 'WINDIR', 'COMSPEC', 'PATHEXT', 'TEMP', 'TMP', 'USERPROFILE'] : []),
];

/** How long to wait for stdout/stderr to close after the process exited (a background grandchild may hold them). */
const STDIO_CLOSE_GRACE_MS = 1_000;

function spawnFailure(error: NodeJS.ErrnoException, program: string): Failure {
  if (error.code === 'ENOENT') {
    return { code: 'HANDLER_NOT_FOUND', reason: `program not found: ${program}`, retryable: false };
  }
  if (error.code === 'EACCES' || error.code === 'EPERM') {
    return { code: 'HANDLER_NOT_EXECUTABLE', reason: `program may not be executed: ${program}`, retryable: false };
  }
  // EAGAIN, EMFILE, ENOMEM: the system is short of something right now.
  return {
    code: 'HANDLER_SPAWN_FAILED',
    reason: `could not start ${program}: ${error.code ?? error.message}`,
    retryable: true,
  };
}

function lastLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  const line = lines[lines.length - 1]?.trim() ?? '';
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/**
 * The child's environment: the base variables and `passEnv` of this process, the rule's variables, then the
 * metadata. Every value
 * loses NUL characters and `MAIL_AUTOPILOT_*` values are cut to size, whoever built them: malformed mail must not
 * make the spawn itself fail (ERR_INVALID_ARG_VALUE, E2BIG).
 */
function childEnv(options: RunCommandOptions): Record<string, string> {
  const env: Record<string, string> = {};
  const add = (vars: Readonly<Record<string, string | undefined>> | undefined) => {
    for (const [name, value] of Object.entries(vars ?? {})) {
      if (value === undefined || name.includes('\0') || name.includes('=')) continue;
      env[name] = name.startsWith('MAIL_AUTOPILOT_') ? envValue(value) : value.replaceAll('\0', '');
    }
  };
  const passed: Record<string, string | undefined> = {};
  // process.env looks names up case-insensitively on Windows (Path), exactly elsewhere.
  for (const name of [...HANDLER_BASE_ENV, ...(options.passEnv ?? [])]) passed[name] = process.env[name];
  add(passed);
  add(options.env);
  if (options.metadata) add(handlerEnv(options.metadata));
  return env;
}

function isReadable(source: RunCommandOptions['rawSource']): source is Readable {
  return typeof source === 'object' && source !== null && typeof (source as Readable).pipe === 'function';
}

/**
 * Runs a command handler and resolves with its outcome (it never rejects). The child gets its own process group
 * (POSIX), so a timeout or abort ends whatever it started too: SIGTERM first, SIGKILL after `killGraceMs`.
 * A child that exits without reading stdin is fine (EPIPE is expected, not a failure).
 *
 * @example
 * ```ts
 * const result = await runCommandHandler({
 *   command: ['node', 'handlers/bounce.js'],
 *   rawSource: Buffer.from(raw),
 *   metadata: handlerMetadata(message, { rule: 'bounces', attempt: 1 }),
 *   timeoutMs: 30_000,
 * });
 * if (!result.ok) console.error(result.code, result.reason, result.stderr);
 * ```
 */
export async function runCommandHandler(options: RunCommandOptions): Promise<CommandResult> {
  const started = performance.now();
  const maxOutput = options.maxOutputBytes ?? 16_384;
  const stdout = new OutputTail(maxOutput);
  const stderr = new OutputTail(maxOutput);
  const source = options.rawSource;
  const program = options.command[0];

  const finishEarly = (failure: Failure): CommandResult => {
    if (isReadable(source)) source.destroy();
    return {
      ok: false,
      ...failure,
      exitCode: null,
      signal: null,
      stdout: '',
      stderr: '',
      durationMs: performance.now() - started,
    };
  };

  if (program === undefined || program === '') {
    return finishEarly({ code: 'HANDLER_SPAWN_FAILED', reason: 'empty command', retryable: false });
  }
  if (options.cwd !== undefined) {
    const isDirectory = await stat(options.cwd).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDirectory) {
      return finishEarly({
        code: 'HANDLER_CWD_NOT_FOUND',
        reason: `working directory not found: ${options.cwd}`,
        retryable: false,
      });
    }
  }
  if (options.signal?.aborted) {
    return finishEarly({ code: 'HANDLER_ABORTED', reason: 'stopped before the handler started', retryable: true });
  }

  const env = childEnv(options);
  const posix = process.platform !== 'win32';
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(program, options.command.slice(1), {
      cwd: options.cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group, so the whole tree can be signalled (kill(-pid)).
      detached: posix,
      shell: false,
      windowsHide: true,
    });
  } catch (error) {
    // Synchronous refusals: invalid arguments (e.g. NUL bytes), or the platform refusing outright.
    return finishEarly(spawnFailure(error as NodeJS.ErrnoException, program));
  }

  return new Promise<CommandResult>((resolve) => {
    let settled = false;
    let failure: Failure | null = null;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let killTimer: NodeJS.Timeout | undefined;
    let closeTimer: NodeJS.Timeout | undefined;

    const signalGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        // The group outlives its leader while members remain, so this also reaches what the handler started.
        if (posix) process.kill(-child.pid, signal);
        else if (exit === null) child.kill(signal);
      } catch {
        // ESRCH: the whole group is gone already.
      }
    };
    const end = (why: Failure) => {
      if (settled || failure !== null || exit !== null) return;
      failure = why;
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), options.killGraceMs ?? 5_000);
    };
    const timeout = setTimeout(
      () =>
        end({
          code: 'HANDLER_TIMEOUT',
          reason: `no exit within ${options.timeoutMs} ms: the process group was terminated`,
          retryable: true,
        }),
      options.timeoutMs,
    );
    const onAbort = () => end({ code: 'HANDLER_ABORTED', reason: 'stopped while the handler ran', retryable: true });
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (result: CommandResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      clearTimeout(killTimer);
      clearTimeout(closeTimer);
      options.signal?.removeEventListener('abort', onAbort);
      // We were ending the run: leave nothing of its process group behind, even what ignored SIGTERM.
      if (failure !== null) signalGroup('SIGKILL');
      if (isReadable(source)) source.destroy();
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve(result);
    };
    const output = () => ({ stdout: stdout.text(), stderr: stderr.text(), durationMs: performance.now() - started });
    const complete = () => {
      const code = exit?.code ?? null;
      const signal = exit?.signal ?? null;
      if (failure === null && code === 0) {
        finish({ ok: true, exitCode: 0, ...output() });
        return;
      }
      const out = output();
      const detail = lastLine(out.stderr);
      const why: Failure =
        failure ??
        (code !== null
          ? { code: 'HANDLER_EXIT', reason: `exit code ${code}${detail ? `: ${detail}` : ''}`, retryable: true }
          : { code: 'HANDLER_SIGNAL', reason: `killed by ${signal ?? 'a signal'}`, retryable: true });
      finish({ ok: false, ...why, exitCode: code, signal, ...out });
    };

    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    // EPIPE / ERR_STREAM_DESTROYED: the child exited or closed stdin without reading everything. Its exit code
    // decides; nothing to report here.
    child.stdin?.on('error', () => {});
    child.on('error', (error: NodeJS.ErrnoException) => {
      // Before a pid exists this is a spawn failure; afterwards only a failed kill, which the timers cover.
      if (child.pid === undefined) {
        const why = spawnFailure(error, program);
        finish({ ok: false, ...why, exitCode: null, signal: null, ...output() });
      }
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // 'close' follows once stdout/stderr are drained; a detached grandchild holding them must not hold us.
      closeTimer = setTimeout(complete, STDIO_CLOSE_GRACE_MS);
    });
    child.on('close', () => {
      if (exit !== null) complete();
    });

    if (isReadable(source)) {
      // `on`, not `once`: an error emitted after the run ended must not become an uncaught exception.
      source.on('error', (error) =>
        end({
          code: 'HANDLER_INPUT_FAILED',
          reason: `reading the message failed while feeding the handler: ${error.message}`,
          retryable: true,
        }),
      );
      if (child.stdin) source.pipe(child.stdin);
    } else {
      child.stdin?.end(typeof source === 'string' ? Buffer.from(source) : source);
    }
  });
}
