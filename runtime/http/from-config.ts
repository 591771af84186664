/**
 * Starts the HTTP endpoint the way the configuration asks (`http.enabled`), for `mail-autopilot run` and hosts that
 * want the same behaviour: nothing when it is off, and under scale-out (a `postgres://` journal) the owners of the
 * mailboxes in `/metrics` and on the page.
 *
 * @module
 */

import type { Logger } from '../../adapters/contract.js';
import { readClusterStatus } from '../cluster/status.js';
import { isPostgresUrl } from '../journal/postgres/location.js';
import { type HttpAutopilot, type HttpConfig, type HttpServer, startHttpServer } from './server.js';

/**
 * Starts the server when `autopilot.config.http.enabled` is true; resolves to `undefined` otherwise.
 *
 * @example
 * ```ts
 * await autopilot.start();
 * const http = await startConfiguredHttpServer(autopilot, { logger });
 * // on shutdown: await http?.stop();
 * ```
 */
export async function startConfiguredHttpServer(
  autopilot: HttpAutopilot & { readonly config: { readonly http: HttpConfig; readonly journal: string } },
  options: { logger?: Logger; now?: () => number } = {},
): Promise<HttpServer | undefined> {
  const { http, journal } = autopilot.config;
  if (!http.enabled) return undefined;
  const server = await startHttpServer(autopilot, http, {
    now: options.now,
    logger: options.logger,
    clusterStatus: isPostgresUrl(journal) ? () => readClusterStatus(journal) : undefined,
  });
  options.logger?.info(
    { url: server.url },
    `status page at ${server.url} (also ${server.url}healthz and ${server.url}metrics)`,
  );
  return server;
}
