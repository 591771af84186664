/**
 * Attaches the Stately inspector to mailbox actors: a local inspector server (loopback, never opening a browser) and
 * a WebSocket client that redacts credentials and mail content before anything leaves the actor. Neither keeps the
 * process alive: when the mailboxes stop, the process can exit.
 *
 * @module
 */

import type { StatelyInspectionEvent } from '@statelyai/inspect';
import { createInspector } from '@statelyai/inspect';
import { WebSocket } from 'ws';
import type { AnyEventObject, InspectionEvent, MachineContext, Observer } from 'xstate';
import { type InspectorServer, startInspectorServer } from './inspect-server.js';

/**
 * Options of {@link attachInspector}.
 *
 * @example
 * ```ts
 * const options: InspectorOptions = { port: 8090 };
 * ```
 */
export interface InspectorOptions {
  /** Port of the local inspector server. Default 0 (a free port; read it from `url`). */
  readonly port?: number;
  /** Interface the server listens on. Default 127.0.0.1: inspection data never leaves the machine by default. */
  readonly host?: string;
  /** Connect to an inspector server someone else runs (a `ws://` URL) instead of starting one. */
  readonly serverUrl?: string;
}

/**
 * A running inspector. Pass `inspect` to `createActor(..., { inspect })`.
 *
 * @example
 * ```ts
 * const inspector = await attachInspector();
 * const actor = createActor(machine, { input: { mailboxId: 'support' }, inspect: inspector.inspect }).start();
 * console.log(`inspect at ${inspector.url}`);
 * ```
 */
export interface InspectorHandle {
  readonly inspect: Observer<InspectionEvent>;
  /** The page a person opens to see the mailboxes (printed, never opened automatically); '' with `serverUrl`. */
  readonly url: string;
  /** Closes the client and the server. Optional: neither keeps the process alive. */
  stop(): void;
}

/** Context and event keys whose values never reach the inspector: credentials, live objects, mail content. */
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
  'output',
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
 * A copy of a value with credential-like and mail-content keys replaced by `[redacted]`, to any depth.
 *
 * @example
 * ```ts
 * redactForInspection({ mailboxId: 'a', password: 'x' }); // { mailboxId: 'a', password: '[redacted]' }
 * ```
 */
export function redactForInspection<T>(value: T, depth = 0): T {
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return REDACTED as T;
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

/** Largest number of events held while the socket is not open (then the oldest are dropped). */
const MAX_DEFERRED = 500;
const RECONNECT_MS = 2_000;

/**
 * A WebSocket adapter for `createInspector` that, unlike the package's own, stops reconnecting once stopped and
 * unrefs its socket and timers.
 */
class LocalWebSocketAdapter {
  private socket: WebSocket | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly deferred: string[] = [];

  constructor(private readonly url: string) {}

  start(): void {
    if (this.stopped || this.socket) return;
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.on('upgrade', (response) => response.socket.unref());
    socket.on('open', () => {
      for (const message of this.deferred.splice(0)) socket.send(message);
    });
    const retry = () => {
      this.socket = undefined;
      if (this.stopped || this.reconnect) return;
      this.reconnect = setTimeout(() => {
        this.reconnect = undefined;
        this.start();
      }, RECONNECT_MS);
      this.reconnect.unref();
    };
    socket.on('error', retry);
    socket.on('close', retry);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.reconnect);
    this.socket?.terminate();
    this.socket = undefined;
  }

  send(event: StatelyInspectionEvent): void {
    // The whole inspection event, not only machine contexts: child actors' snapshots carry their output (a promise
    // actor's `connect` output is the live session with its credentials).
    const message = JSON.stringify(redactForInspection(event));
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(message);
    } else {
      this.deferred.push(message);
      if (this.deferred.length > MAX_DEFERRED) this.deferred.shift();
    }
  }
}

/**
 * Starts a local inspector server (unless `serverUrl` is given) and returns an inspector whose events are redacted.
 * The server never opens a browser; print `url` for a person to open.
 *
 * @example
 * ```ts
 * const inspector = await attachInspector({ port: 8090 });
 * createActor(machine, { input: { mailboxId: 'support' }, inspect: inspector.inspect }).start();
 * ```
 */
export async function attachInspector(options: InspectorOptions = {}): Promise<InspectorHandle> {
  let server: InspectorServer | undefined;
  let wsUrl = options.serverUrl;
  if (!wsUrl) {
    server = await startInspectorServer({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
    wsUrl = `ws://${server.host}:${server.port}`;
  }
  const adapter = new LocalWebSocketAdapter(wsUrl);
  const inspector = createInspector(adapter, {
    sanitizeContext: (context: MachineContext) => redactForInspection(context),
    sanitizeEvent: (event: AnyEventObject) => redactForInspection(event),
  });
  inspector.start();
  return {
    inspect: inspector.inspect,
    url: server ? `http://${server.host}:${server.port}` : '',
    stop() {
      inspector.stop();
      adapter.stop();
      server?.stop();
    },
  };
}
