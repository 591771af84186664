/**
 * LISTEN on one PostgreSQL channel on a dedicated connection that does not keep the process alive, re-opened a
 * second after it drops. Shared by the journal store (appends of other hosts) and mailbox ownership (joins,
 * leaves, releases). Notifications can be coalesced or, across a reconnect, lost: they are hints, not data.
 *
 * @module
 */
import pg from 'pg';

/**
 * Options of {@link listenChannel}.
 *
 * @example
 * ```ts
 * const options: ListenOptions = { connectionString: url, channel: 'ma_cluster_mail_autopilot',
 *   applicationName: 'mail-autopilot cluster listener', onNotification: console.log, onLost: console.warn };
 * ```
 */
export interface ListenOptions {
  readonly connectionString: string;
  /** A channel name from `channels()` (a plain identifier; quoted here). */
  readonly channel: string;
  readonly applicationName: string;
  readonly onNotification: (payload: string | undefined) => void;
  /** The connection dropped or could not be opened; it is re-opened after `retryMs`. */
  readonly onLost: (error: Error) => void;
  /** Awaited before connecting (the schema's migration). */
  readonly ready?: Promise<unknown>;
  /** Default 1 s. */
  readonly retryMs?: number;
}

/**
 * A running listener.
 *
 * @example
 * ```ts
 * const listener = listenChannel(options);
 * await listener.close();
 * ```
 */
export interface ChannelListener {
  /** Stops listening and ends the connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts listening (asynchronously: the first notifications may come a moment later).
 *
 * @example
 * ```ts
 * const listener = listenChannel({ connectionString, channel, applicationName: 'journal listener',
 *   onNotification: (head) => void journal.refresh(), onLost: (error) => log.warn(error.message) });
 * ```
 */
export function listenChannel(options: ListenOptions): ChannelListener {
  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;

  const open = async (): Promise<void> => {
    retry = undefined;
    if (closed) return;
    const current = new pg.Client({
      connectionString: options.connectionString,
      application_name: options.applicationName,
    });
    client = current;
    const lost = (error: Error) => {
      if (client !== current) return;
      client = undefined;
      current.end().catch(() => undefined);
      if (closed) return;
      options.onLost(error);
      retry = setTimeout(() => void open(), options.retryMs ?? 1_000);
      retry.unref();
    };
    current.on('error', lost);
    current.on('notification', (message) => options.onNotification(message.payload));
    try {
      await options.ready;
      await current.connect();
      await current.query(`LISTEN "${options.channel}"`);
      // The connection must not keep the process alive on its own.
      (current as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
      if (closed) await current.end();
    } catch (error) {
      lost(error as Error);
    }
  };
  void open();
  return {
    close: async () => {
      if (closed) return;
      closed = true;
      clearTimeout(retry);
      const current = client;
      client = undefined;
      await current?.end().catch(() => undefined);
    },
  };
}
