/**
 * The HTTP endpoint of issue 6 (item 5) on `node:http`: `/healthz`, `/metrics`, the status page (`/`), its live
 * stream (`/events`, Server-Sent Events) and its data (`/api/status`). Off by default and on loopback by default
 * (config `http:`); every endpoint is read-only, so nothing on it can change what the autopilot does. Documented in
 * docs/status-page.md.
 *
 * @module
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Observable, Subscription } from 'rxjs';
import type { Logger } from '../../adapters/contract.js';
import type { ClusterStatus } from '../cluster/status.js';
import { clusterStatusMetrics } from '../cluster/status.js';
import type { StoredEvent } from '../journal/events.js';
import type { MailboxStateView } from '../mailbox-runner.js';
import { HandlerDurations } from './handler-durations.js';
import { hostMatcher } from './host-check.js';
import { renderMetrics } from './metrics.js';
import { PAGE_CSP, statusPageHtml } from './page.js';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus.js';
import { RecentEvents } from './recent-events.js';
import { type AutopilotView, buildStatus, type StatusSnapshot } from './status.js';

/**
 * What the server needs of an autopilot (`Autopilot` fits).
 *
 * @example
 * ```ts
 * const source: HttpAutopilot = createAutopilot('autopilot.yaml');
 * ```
 */
export interface HttpAutopilot extends AutopilotView {
  readonly states$: Observable<MailboxStateView>;
  readonly events$: Observable<StoredEvent>;
  readonly journal:
    | (AutopilotView['journal'] & {
        readonly position: number;
        readonly store: { read(query: { fromPosition?: number }): Promise<readonly StoredEvent[]> };
      })
    | undefined;
}

/**
 * The `http:` block of the configuration (runtime/config/schema.ts), durations in ms.
 *
 * @example
 * ```ts
 * const httpConfig: HttpConfig = { enabled: true, host: '127.0.0.1', port: 8025, staleAfter: 900_000 };
 * ```
 */
export interface HttpConfig {
  readonly enabled?: boolean;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** `/healthz` fails for a mailbox in `polling` without a successful check for this long (ms). */
  readonly staleAfter: number;
  /**
   * `Host` names answered besides `host` and the loopback names (issue 13.8: DNS rebinding); anything else gets
   * 421. `name` matches any port, `name:port` that port only.
   */
  readonly allowedHosts?: readonly string[];
}

/**
 * Options of {@link startHttpServer}.
 *
 * @example
 * ```ts
 * await startHttpServer(autopilot, config.http, { now: () => clock.now() });
 * ```
 */
export interface HttpServerOptions {
  /** The clock of the health rules and countdowns: the autopilot's (its `lastCheckAt` and `nextAttemptAt` follow it). */
  readonly now?: () => number;
  /** Under scale-out: who owns which mailbox (e.g. `() => readClusterStatus(config.journal)`); read at most every 5 s. */
  readonly clusterStatus?: () => Promise<ClusterStatus>;
  /** Journal events kept per mailbox for the page. Default 20. */
  readonly recentEvents?: number;
  readonly logger?: Logger;
}

/**
 * A running HTTP server.
 *
 * @example
 * ```ts
 * const server = await startHttpServer(autopilot, { host: '127.0.0.1', port: 0, staleAfter: 900_000 });
 * console.log(`status page: ${server.url}`);
 * await server.stop();
 * ```
 */
export interface HttpServer {
  /** `http://host:port/` (the status page). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Ends the live streams, closes every connection and stops listening. Idempotent. */
  stop(): Promise<void>;
}

/** How often the server looks for health changes no event announces (a mailbox going stale), and pings streams. */
const TICK_MS = 5_000;
/** Live streams at once; more get 503 (each holds a socket open). */
const MAX_STREAMS = 32;
/** Bytes a live stream may have waiting to be sent before it is dropped. */
const MAX_STREAM_BUFFER = 1_000_000;
/** How long a cluster status read is reused. */
const CLUSTER_STATUS_TTL_MS = 5_000;
/** How far back in the journal the page's "recent events" start when the server starts. */
const SEED_EVENTS = 2_000;

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

/**
 * Starts the HTTP server on `httpConfig.host` (default 127.0.0.1) and `httpConfig.port` (0: a free port). Call it
 * after `autopilot.start()` (the journal is open then; its latest events seed the page).
 *
 * @example
 * ```ts
 * await autopilot.start();
 * const server = config.http.enabled ? await startHttpServer(autopilot, config.http) : undefined;
 * process.on('SIGTERM', async () => { await server?.stop(); await autopilot.stop(); });
 * ```
 */
export async function startHttpServer(
  autopilot: HttpAutopilot,
  httpConfig: HttpConfig,
  options: HttpServerOptions = {},
): Promise<HttpServer> {
  const now = options.now ?? Date.now;
  const staleAfterMs = httpConfig.staleAfter;
  const recent = new RecentEvents(options.recentEvents ?? 20);
  const durations = new HandlerDurations();
  const streams = new Set<ServerResponse>();
  const dirty = new Set<string>();
  const sentLevels = new Map<string, string>();
  const subscriptions: Subscription[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  let ticks = 0;
  let cluster: { at: number; owners: Map<string, string | null>; status: ClusterStatus } | undefined;

  // Subscribe before reading the journal's tail: an event appended in between arrives twice, and RecentEvents keeps
  // it once (by position).
  subscriptions.push(
    autopilot.events$.subscribe((event) => {
      durations.observe(event);
      if (recent.add(event)) markDirty(event.mailboxId);
    }),
    autopilot.states$.subscribe((state) => markDirty(state.mailboxId)),
  );
  const journal = autopilot.journal;
  if (journal) {
    const tail = await journal.store
      .read({ fromPosition: Math.max(1, journal.position - SEED_EVENTS + 1) })
      .catch(() => []);
    for (const event of tail) recent.add(event);
  }

  async function refreshCluster(): Promise<void> {
    if (!options.clusterStatus || (cluster && now() - cluster.at < CLUSTER_STATUS_TTL_MS)) return;
    try {
      const status = await options.clusterStatus();
      cluster = { at: now(), status, owners: new Map(status.mailboxes.map((m) => [m.mailboxId, m.owner])) };
    } catch (error) {
      options.logger?.warn({ err: String(error) }, 'http: could not read the cluster status');
    }
  }

  function snapshot(): StatusSnapshot {
    return buildStatus(autopilot, { now: now(), staleAfterMs, recent, owners: cluster?.owners });
  }

  function send(response: ServerResponse, event: string, data: unknown): void {
    // A client that stopped reading would make its buffer grow without bound: drop it (EventSource reconnects).
    if (response.writableLength > MAX_STREAM_BUFFER) {
      streams.delete(response);
      response.destroy();
      return;
    }
    response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  function broadcast(status: StatusSnapshot, ids: Iterable<string>): void {
    const wanted = new Set(ids);
    for (const entry of status.mailboxes) {
      if (!wanted.has(entry.mailboxId)) continue;
      sentLevels.set(entry.mailboxId, entry.health.level);
      const data = { now: status.now, health: status.health, mailbox: entry };
      for (const response of streams) send(response, 'mailbox', data);
    }
  }

  function markDirty(mailboxId: string): void {
    if (streams.size === 0) return;
    dirty.add(mailboxId);
    // Coalesce bursts (a first pass over a big folder) into one message per mailbox every 50 ms.
    if (!flushTimer) {
      flushTimer = setTimeout(() => {
        flushTimer = undefined;
        const ids = [...dirty];
        dirty.clear();
        broadcast(snapshot(), ids);
      }, 50);
      flushTimer.unref();
    }
  }

  const ticker = setInterval(() => {
    if (streams.size === 0) return;
    // Staleness happens without any event: compare the health levels with what the streams were last told.
    const status = snapshot();
    const changed = status.mailboxes.filter((m) => sentLevels.get(m.mailboxId) !== m.health.level);
    broadcast(
      status,
      changed.map((m) => m.mailboxId),
    );
    if (++ticks % 3 === 0) for (const response of streams) response.write(': keep-alive\n\n');
  }, TICK_MS);
  ticker.unref();

  function reply(
    request: IncomingMessage,
    response: ServerResponse,
    status: number,
    type: string,
    body: string,
    extra: Record<string, string> = {},
  ): void {
    response.writeHead(status, {
      ...COMMON_HEADERS,
      'content-type': type,
      'content-length': String(Buffer.byteLength(body)),
      ...extra,
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  }

  function json(request: IncomingMessage, response: ServerResponse, status: number, data: unknown): void {
    reply(request, response, status, 'application/json; charset=utf-8', `${JSON.stringify(data, null, 2)}\n`);
  }

  function openStream(request: IncomingMessage, response: ServerResponse): void {
    if (streams.size >= MAX_STREAMS) {
      json(request, response, 503, { error: 'too many live streams' });
      return;
    }
    if (request.method === 'HEAD') {
      response.writeHead(200, { ...COMMON_HEADERS, 'content-type': 'text/event-stream; charset=utf-8' }).end();
      return;
    }
    response.writeHead(200, {
      ...COMMON_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
    });
    response.write('retry: 2000\n\n');
    send(response, 'status', snapshot());
    streams.add(response);
    request.socket.setKeepAlive(true);
    const forget = () => streams.delete(response);
    response.on('close', forget);
    response.on('error', forget);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Before anything else: a page that rebinds its own name to this address must not read a byte (issue 13.8).
    if (!hostAllowed(request.headers.host)) {
      reply(
        request,
        response,
        421,
        'text/plain; charset=utf-8',
        'misdirected request: this Host is not served here (http.allowedHosts)\n',
        {
          connection: 'close',
        },
      );
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      reply(request, response, 405, 'text/plain; charset=utf-8', 'only GET and HEAD\n', { allow: 'GET, HEAD' });
      return;
    }
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    switch (path) {
      case '/healthz': {
        const status = snapshot();
        json(request, response, status.health.status === 'failing' ? 503 : 200, {
          status: status.health.status,
          checkedAt: new Date(status.now).toISOString(),
          staleAfterSeconds: staleAfterMs / 1000,
          reasons: status.health.reasons,
          mailboxes: status.mailboxes.map((m) => ({
            mailbox: m.mailboxId,
            state: m.state,
            health: m.health.level,
            ...(m.health.reason ? { reason: m.health.reason } : {}),
          })),
        });
        return;
      }
      case '/metrics': {
        await refreshCluster();
        const extra = cluster ? clusterStatusMetrics(cluster.status, { perMailbox: false }) : undefined;
        reply(request, response, 200, PROMETHEUS_CONTENT_TYPE, renderMetrics(snapshot(), durations.series(), extra));
        return;
      }
      case '/api/status':
        await refreshCluster();
        json(request, response, 200, snapshot());
        return;
      case '/events':
        await refreshCluster();
        openStream(request, response);
        return;
      case '/':
      case '/index.html':
        reply(request, response, 200, 'text/html; charset=utf-8', statusPageHtml(), {
          'content-security-policy': PAGE_CSP,
        });
        return;
      case '/favicon.ico':
        response.writeHead(204, COMMON_HEADERS).end();
        return;
      default:
        reply(request, response, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
  }

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.logger?.error({ err: String(error), url: request.url }, 'http: request failed');
      if (!response.headersSent) reply(request, response, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else response.end();
    });
  });
  const host = httpConfig.host ?? '127.0.0.1';
  const hostAllowed = hostMatcher(host, httpConfig.allowedHosts);
  const release = () => {
    for (const subscription of subscriptions) subscription.unsubscribe();
    clearInterval(ticker);
    if (flushTimer) clearTimeout(flushTimer);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(httpConfig.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    release(); // e.g. EADDRINUSE: nothing of this server may stay behind
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let stopping: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}/`,
    host,
    port,
    stop() {
      stopping ??= (async () => {
        release();
        for (const response of streams) response.end();
        streams.clear();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
      })();
      return stopping;
    },
  };
}
