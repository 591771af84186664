/**
 * Types of the mailbox actor: its input, context and events. Pure type declarations; no runtime code.
 *
 * @module
 */

/**
 * What an observer sees of a failure: a stable code, a message without secrets, whether a retry can help, and
 * when it happened (by the actor's clock).
 *
 * @example
 * ```ts
 * const error: MailboxErrorInfo = {
 *   code: 'AUTH_FAILED', message: 'LOGIN rejected for support@example.test', retryable: false, at: 0,
 * };
 * ```
 */
export interface MailboxErrorInfo {
  /** UPPER_SNAKE code, e.g. `CONNECTION_REFUSED`, `TLS_CERT_INVALID`, `AUTH_FAILED`, `CONNECTION_LOST`. */
  readonly code: string;
  /** Human-readable, never containing credentials. */
  readonly message: string;
  /** Whether the adapter thinks a later attempt can succeed. The schedule of S8–S11 applies either way. */
  readonly retryable: boolean;
  /** When it was recorded, in ms since the epoch by the actor's clock. */
  readonly at: number;
}

/**
 * Input of {@link mailboxMachine}. Only `mailboxId` is required.
 *
 * @example
 * ```ts
 * createActor(mailboxMachine, { input: { mailboxId: 'support' } });
 * ```
 */
export interface MailboxInput {
  /** The configured id of the mailbox; appears in every error and event. */
  readonly mailboxId: string;
  /** Waits of S8 in ms. Defaults to {@link RECONNECT_SCHEDULE_MS}; only tests and simulations change it. */
  readonly schedule?: readonly number[];
  /** The wait of S11 in ms. Defaults to {@link UNLIMITED_RETRY_INTERVAL_MS}. */
  readonly unlimitedRetryMs?: number;
  /**
   * Reads the time for the context's timestamps (`nextAttemptAt`, `lastError.at`, …); pass the same clock's `now`
   * as `createActor`'s `clock`. Default: that clock's `now()` where it has one, else `Date.now`.
   */
  readonly now?: () => number;
}

/**
 * Why a mailbox is in `stopped`: S9 gave up, or the host asked.
 *
 * @example
 * ```ts
 * const reason: StopReason = 'gaveUp';
 * ```
 */
export type StopReason = 'gaveUp' | 'requested';

/**
 * The mailbox actor's context: everything a person watching the mailbox wants to see.
 *
 * @example
 * ```ts
 * const { attempt, lastError, nextAttemptAt, everConnected } = actor.getSnapshot().context;
 * ```
 */
export interface MailboxContext {
  readonly mailboxId: string;
  readonly schedule: readonly number[];
  readonly unlimitedRetryMs: number;
  /** The input's `now`, or `null` (then the actor system's clock or `Date.now`). */
  readonly now: (() => number) | null;
  /** Number of the current (or last) connection attempt in this run of attempts; 0 before the first. */
  readonly attempt: number;
  /** Connection attempts since the actor started. */
  readonly totalAttempts: number;
  /** Consecutive failures in the current outage (a lost connection counts as the first); indexes S8's waits. */
  readonly failures: number;
  /** Whether the mailbox connected at least once since it was started (S9 vs S11). */
  readonly everConnected: boolean;
  readonly lastError: MailboxErrorInfo | null;
  /** When the next attempt is due (ms since the epoch, actor clock), or `null` when none is scheduled. */
  readonly nextAttemptAt: number | null;
  /** When the current connection was established, or `null` when not connected. */
  readonly connectedAt: number | null;
  /** When `watch` last reported a successful check of the server (`CHECKED`), or `null`. */
  readonly lastCheckAt: number | null;
  /** What `connect` resolved; handed to `watch`. Opaque to the machine. */
  readonly connection: unknown;
  readonly stopReason: StopReason | null;
}

/**
 * Events the host and the invoked actors may send to a mailbox actor.
 *
 * - `STOP`: the host stops the mailbox (any state → `stopped`); with `error`, the reason becomes `lastError`.
 * - `RETRY`: try to connect now (from `stopped`, `backoff` or `unlimitedRetry`).
 * - `CONNECTED` / `CONNECT_FAILED`: a callback-style `connect` reports its outcome (a promise just resolves or rejects).
 * - `CHECKED`: `watch` reports a successful check of the server (IDLE answer, NOOP, poll).
 * - `CONNECTION_LOST`: a callback-style `watch` reports the loss (a promise just rejects or resolves).
 *
 * @example
 * ```ts
 * actor.send({ type: 'RETRY' });
 * ```
 */
export type MailboxEvent =
  | { type: 'STOP'; error?: unknown }
  | { type: 'RETRY' }
  | { type: 'CONNECTED'; connection?: unknown }
  | { type: 'CONNECT_FAILED'; error: unknown }
  | { type: 'CHECKED' }
  | { type: 'CONNECTION_LOST'; error?: unknown };

/**
 * Input given to the `connect` actor.
 *
 * @example
 * ```ts
 * const connect = fromPromise<unknown, ConnectInput>(async ({ input, signal }) => open(input.mailboxId, signal));
 * ```
 */
export interface ConnectInput {
  readonly mailboxId: string;
  /** The number of this attempt in the current run of attempts (1 = first). */
  readonly attempt: number;
}

/**
 * Input given to the `watch` actor.
 *
 * @example
 * ```ts
 * const watch = fromPromise<void, WatchInput>(async ({ input }) => idleUntilClosed(input.connection));
 * ```
 */
export interface WatchInput {
  readonly mailboxId: string;
  /** Whatever `connect` resolved. */
  readonly connection: unknown;
}
