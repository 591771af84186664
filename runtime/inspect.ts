/**
 * Attaches the Stately inspector to mailbox actors: a local WebSocket inspector server (never opening a browser)
 * and a WebSocket inspector client that redacts credentials and mail content before anything leaves the process.
 *
 * @module
 */
import { createWebSocketInspector } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import type { AnyEventObject, InspectionEvent, MachineContext, Observer } from 'xstate';

/**
 * Options of {@link attachInspector}.
 *
 * @example
 * ```ts
 * const options: InspectorOptions = { port: 8090, host: '127.0.0.1' };
 * ```
 */
export interface InspectorOptions {
  /** Port of the local inspector server (WebSocket and the page that embeds Stately's inspector). Default 8090. */
  readonly port?: number;
  /** Start the local server. Default true; false connects to a server someone else runs at `url`. */
  readonly startServer?: boolean;
  /** WebSocket URL of the inspector server. Default `ws://localhost:<port>`. */
  readonly url?: string;
}

/**
 * A running inspector. Pass `inspect` to `createActor(..., { inspect })`; call `stop()` when the mailboxes stop so
 * neither the socket nor the server keeps the process alive.
 *
 * @example
 * ```ts
 * const inspector = attachInspector();
 * const actor = createActor(machine, { input: { mailboxId: 'support' }, inspect: inspector.inspect }).start();
 * // ...
 * actor.stop();
 * inspector.stop();
 * ```
 */
export interface InspectorHandle {
  readonly inspect: Observer<InspectionEvent>;
  /** The URL a person opens to see the mailboxes (printed, never opened automatically). */
  readonly url: string;
  stop(): void;
}

/** Context keys that may hold credentials or live objects; their values never reach the inspector. */
const REDACTED_KEYS = new Set([
  'password',
  'pass',
  'accessToken',
  'refreshToken',
  'token',
  'secret',
  'clientSecret',
  'auth',
  'connection',
  'session',
  'source',
  'raw',
  'body',
  'text',
  'html',
  'attachments',
  'headers',
]);

const REDACTED = '[redacted]';

/**
 * Returns a copy of a value with credential-like and mail-content keys replaced by `[redacted]`, to any depth.
 *
 * @example
 * ```ts
 * redactForInspection({ mailboxId: 'a', password: 'x' }); // { mailboxId: 'a', password: '[redacted]' }
 * ```
 */
export function redactForInspection<T>(value: T, depth = 0): T {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactForInspection(item, depth + 1)) as T;
  if (value instanceof Date) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    copy[key] =
      REDACTED_KEYS.has(key) && inner !== undefined && inner !== null
        ? REDACTED
        : redactForInspection(inner, depth + 1);
  }
  return copy as T;
}

/**
 * Starts a local Stately inspector server (unless `startServer: false`) and a WebSocket inspector that sends
 * redacted snapshots and events to it. The server never opens a browser; `stop()` closes both so the process can
 * exit once its mailboxes are stopped.
 *
 * @example
 * ```ts
 * const inspector = attachInspector({ port: 8090 });
 * console.log(`open ${inspector.url}`);
 * ```
 */
export function attachInspector(options: InspectorOptions = {}): InspectorHandle {
  const port = options.port ?? 8090;
  const url = options.url ?? `ws://localhost:${port}`;
  const server = options.startServer === false ? undefined : createInspectorServer({ port, autoOpen: false });
  const inspector = createWebSocketInspector({
    url,
    sanitizeContext: (context: MachineContext) => redactForInspection(context),
    sanitizeEvent: (event: AnyEventObject) => redactForInspection(event),
  });
  let stopped = false;
  return {
    inspect: inspector.inspect,
    url: `http://localhost:${port}`,
    stop() {
      if (stopped) return;
      stopped = true;
      inspector.stop();
      server?.stop();
    },
  };
}
