/**
 * What every CLI command is given: where it writes and what the process hands it. Types only, so the commands
 * share them without importing `main.ts` (issue 14 point 3: no import circle through the dispatcher).
 *
 * @module
 */
import type { InspectionEvent, Observer } from 'xstate';
import type { MailboxInput } from '../../machines/mailbox.types.js';
import type { RuntimeClock, RuntimeLogger } from '../mailbox-runner.js';
import type { ServiceFactory } from '../services.js';

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

/**
 * What the process gives the CLI; tests pass their own (a SimulatedClock, an in-memory signal source), the `bin`
 * passes the real process. None of it is a user-facing option.
 *
 * @example
 * ```ts
 * const deps: CliDeps = { env: process.env, signals: process };
 * ```
 */
export interface CliDeps {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly signals?: Pick<NodeJS.Process, 'on' | 'off'>;
  readonly clock?: RuntimeClock;
  readonly logger?: RuntimeLogger;
  readonly services?: ServiceFactory;
  readonly machineInput?: Partial<MailboxInput>;
  /** An xstate inspection observer for the mailbox actors (`inspect` sets it). */
  readonly inspect?: Observer<InspectionEvent>;
}

/**
 * One command: its arguments (after the command name) in, its exit code out.
 *
 * @example
 * ```ts
 * const command: CliCommand = async (args, io) => { io.stdout('hello\n'); return 0; };
 * ```
 */
export type CliCommand = (args: readonly string[], io: CliIo, deps: CliDeps) => Promise<number>;
