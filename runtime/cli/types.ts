/**
 * What every CLI command is given: where it writes and what the process hands it. Types only, so the commands
 * share them without importing `main.ts` (issue 14 point 3: no import circle through the dispatcher).
 *
 * @module
 */
import type { InspectionEvent, Observer } from 'xstate';
import type { Clock, Logger } from '../../adapters/contract.js';
import type { OAuth2BrokerOptions } from '../../adapters/oauth2/broker.js';
import type { MailboxInput } from '../../machines/mailbox.types.js';
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
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly services?: ServiceFactory;
  readonly machineInput?: Partial<MailboxInput>;
  /** An xstate inspection observer for the mailbox actors (`inspect` sets it). */
  readonly inspect?: Observer<InspectionEvent>;
  /**
   * OAuth2 broker options of `run` and `login` beyond the configuration: tests pass msal's network client that
   * reaches the local identity provider (scripts/harness/identity-provider.ts). TLS and token checks stay as they are.
   */
  readonly oauth2?: Omit<OAuth2BrokerOptions, 'tokenCache'>;
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
