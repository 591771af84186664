/**
 * The options of `PostgresMailboxOwnership` with their defaults, and the connections and timers its driver uses
 * (split from `postgres-ownership.ts` in issue 14, item 4).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { type PostgresLocation, parsePostgresLocation } from '../journal/postgres/location.js';
import type { RuntimeLogger } from '../mailbox-runner.js';

/**
 * Options of {@link PostgresMailboxOwnership}.
 *
 * @example
 * ```ts
 * const options: PostgresOwnershipOptions = { url: 'postgres://db/mail?schema=mail_autopilot', leaseMs: 15_000 };
 * ```
 */
export interface PostgresOwnershipOptions {
  /** The journal's `postgres://` URL (its `?schema=` is honoured). */
  readonly url: string;
  /** Wins over the URL's schema. */
  readonly schema?: string;
  /** Unique per process. Default `<hostname>-<pid>-<random>`. */
  readonly hostId?: string;
  /**
   * How long a host owns its mailboxes without renewing: a dead host's mailboxes are taken over this long after
   * its last heartbeat. Default 30 s.
   */
  readonly leaseMs?: number;
  /** Heartbeat period. Default a third of the lease. */
  readonly heartbeatMs?: number;
  /**
   * How long a starting host waits before acquiring anything, so hosts started together see each other first and
   * do not grab everything and hand it back; another host joining meanwhile restarts the wait (up to four times
   * this in all). Default one heartbeat period, at most 2 s.
   */
  readonly joinDelayMs?: number;
  /** How long a mailbox moving to another host may finish its messages in flight. Default 10 s. */
  readonly handoverDeadlineMs?: number;
  readonly logger?: RuntimeLogger;
  /** Monotonic milliseconds (default `performance.now`). */
  readonly now?: () => number;
}

/**
 * The options with every default applied and checked.
 *
 * @example
 * ```ts
 * const { leaseMs, heartbeatMs } = resolveOwnershipOptions({ url: 'postgres://db/mail' }); // 30000, 10000
 * ```
 */
export function resolveOwnershipOptions(options: PostgresOwnershipOptions): {
  location: PostgresLocation;
  hostId: string;
  leaseMs: number;
  heartbeatMs: number;
  joinDelayMs: number;
  handoverDeadlineMs: number;
  logger: RuntimeLogger;
  now: () => number;
} {
  const leaseMs = options.leaseMs ?? 30_000;
  const heartbeatMs = options.heartbeatMs ?? Math.round(leaseMs / 3);
  if (!(heartbeatMs > 0 && heartbeatMs < leaseMs)) {
    throw new RangeError(`heartbeatMs (${heartbeatMs}) must be > 0 and below leaseMs (${leaseMs})`);
  }
  return {
    location: parsePostgresLocation(options.url, options.schema),
    hostId: options.hostId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    leaseMs,
    heartbeatMs,
    joinDelayMs: options.joinDelayMs ?? Math.min(heartbeatMs, 2_000),
    handoverDeadlineMs: options.handoverDeadlineMs ?? 10_000,
    logger: options.logger ?? { info: () => undefined, warn: () => undefined, error: () => undefined },
    now: options.now ?? (() => performance.now()),
  };
}

/**
 * A pool of the driver: waits bounded by `timeoutMs` (a heartbeat stuck on a dead connection would never schedule
 * the next one), keep-alive on, and idle connections that do not keep the process alive.
 *
 * @example
 * ```ts
 * const pool = ownershipPool(location, { max: 1, name: 'heartbeat', timeoutMs: 10_000 }, (e) => log.warn(e.message));
 * ```
 */
export function ownershipPool(
  location: PostgresLocation,
  settings: { max: number; name: string; timeoutMs: number },
  onLost: (error: Error) => void,
): pg.Pool {
  const pool = new pg.Pool({
    connectionString: location.connectionString,
    max: settings.max,
    idleTimeoutMillis: 0,
    allowExitOnIdle: true,
    connectionTimeoutMillis: settings.timeoutMs,
    query_timeout: settings.timeoutMs,
    keepAlive: true,
    application_name: `mail-autopilot ${settings.name}`,
  });
  pool.on('error', onLost);
  return pool;
}

/**
 * A timer that does not keep the process alive (negative delays run at once).
 *
 * @example
 * ```ts
 * const timer = unrefTimer(() => void heartbeat(), 10_000);
 * clearTimeout(timer);
 * ```
 */
export function unrefTimer(fn: () => void, ms: number): NodeJS.Timeout {
  const timer = setTimeout(fn, Math.max(0, ms));
  timer.unref();
  return timer;
}
