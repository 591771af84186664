/**
 * One MAPI session: a bridge child logged on to the profile, polled for candidates, and the actions on discovered
 * messages. Shared by Extended and Simple MAPI; what each can do is its declared capabilities.
 *
 * @module
 */
import type { Readable } from 'node:stream';
import type {
  DiscoveredMessage,
  DiscoverySink,
  HandledLookup,
  MailServiceCapabilities,
  MailSession,
  MessageBody,
} from '../contract.js';
import { isMailServiceError, MailServiceError } from '../errors.js';
import type { BridgeProcess } from './bridge-client.js';
import type { MapiSettings } from './config.js';
import { capabilityMissing } from './errors.js';
import { headersAndEnvelope } from './headers.js';
import { type RebuiltBy, rebuildMime, rebuiltSource } from './mime.js';
import type { MapiEnvelope, MapiListEntry, MapiMessageParts, MapiOp, MapiOps } from './types.js';

/** Logger shape of the adapters' deps (pino-compatible). */
export interface MapiLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What differs between the two MAPI services. */
export interface MapiFlavourSpec {
  /** `Outlook` or `Simple MAPI`, for messages. */
  readonly label: string;
  readonly capabilities: MailServiceCapabilities;
  readonly rebuiltBy: RebuiltBy;
  /** Why an undeclared action is missing, per action. */
  readonly missing: Readonly<Record<'markRead' | 'flag' | 'moveTo' | 'delete', string>>;
}

/** What the service hands a new session. */
export interface MapiSessionInit {
  readonly bridge: BridgeProcess;
  readonly settings: MapiSettings;
  readonly spec: MapiFlavourSpec;
  readonly handled: HandledLookup;
  readonly logger?: MapiLogger;
  readonly where: string;
  /** Called once when the session ends (closed or lost), so the service forgets it. */
  readonly onEnd: () => void;
}

/** How long the polite logoff at close may take before the bridge is stopped anyway. */
const LOGOFF_TIMEOUT_MS = 10_000;

/**
 * A {@link MailSession} over a bridge child. `watch` lists the folder every `pollIntervalMs` (MAPI has no push the
 * bridge relays): candidates not yet handled and not yet announced in this session are announced in order, one
 * envelope call each, awaiting the sink (back-pressure). A dead or killed bridge ends `watch` with its typed error
 * (BRIDGE_TIMEOUT, BRIDGE_CRASHED: retryable), and the machine reconnects with a new bridge.
 *
 * @example
 * ```ts
 * const session = await createMapiSimpleService(config, { handled }).connect(signal);
 * await session.watch(sink, signal);
 * ```
 */
export class MapiSession implements MailSession {
  readonly #init: MapiSessionInit;
  readonly #settings: MapiSettings;
  /** Keys announced in this session (each message is announced once per session). */
  readonly #announced = new Set<string>();
  /** Current handles by key: a move gives the message a new EntryID. */
  readonly #refs = new Map<string, string>();
  readonly #closing = new AbortController();
  #closed: Promise<void> | null = null;
  #watching = false;

  constructor(init: MapiSessionInit) {
    this.#init = init;
    this.#settings = init.settings;
    init.bridge.onExit(() => {
      if (this.#closed === null) init.onEnd();
    });
  }

  /** The bridge process (tests look at its pid). */
  get bridge(): BridgeProcess {
    return this.#init.bridge;
  }

  async watch(sink: DiscoverySink, signal: AbortSignal): Promise<void> {
    if (this.#watching) throw this.#error('WATCH_ACTIVE', 'watch() is already running on this session', false);
    this.#watching = true;
    const stop = AbortSignal.any([signal, this.#closing.signal]);
    let caughtUp = false;
    try {
      while (!stop.aborted) {
        await this.#pass(sink, stop);
        if (stop.aborted) break;
        if (!caughtUp) {
          caughtUp = true;
          sink.caughtUp?.();
        }
        sink.checked?.();
        await this.#pause(this.#settings.pollIntervalMs, stop);
      }
    } catch (error) {
      if (!stop.aborted) {
        const typed = this.#typed(error);
        this.#init.logger?.warn(
          { mailboxId: this.#settings.id, code: typed.code },
          `MAPI watch ended: ${typed.message}`,
        );
        await this.close();
        throw typed;
      }
    } finally {
      this.#watching = false;
    }
    await this.close();
  }

  async fetchSource(message: DiscoveredMessage): Promise<Readable> {
    const parts = await this.#read(message);
    const mime = await rebuildMime(parts, this.#init.spec.rebuiltBy);
    return rebuiltSource(mime, this.#init.spec.rebuiltBy);
  }

  async fetchBody(message: DiscoveredMessage): Promise<MessageBody> {
    const parts = await this.#read(message);
    return {
      text: parts.text,
      html: parts.html,
      attachments: parts.attachments.map((attachment) => ({
        filename: attachment.filename,
        contentType: attachment.contentType,
        size: attachment.size,
        content: attachment.contentBase64 === null ? null : Buffer.from(attachment.contentBase64, 'base64'),
      })),
      truncated: parts.truncated,
    };
  }

  async markRead(message: DiscoveredMessage): Promise<void> {
    this.#require('markRead', 'markRead');
    await this.#call('markRead', { ref: this.#refOf(message) });
  }

  async flag(message: DiscoveredMessage, _flag: string): Promise<void> {
    this.#require('flag', 'flag');
    throw this.#error('FLAG_FAILED', `cannot flag ${message.identity.key}`, false);
  }

  async moveTo(message: DiscoveredMessage, folder: string): Promise<void> {
    this.#require('move', 'moveTo');
    const { ref } = await this.#call('move', { ref: this.#refOf(message), folder });
    this.#refs.set(message.identity.key, ref);
  }

  async delete(message: DiscoveredMessage): Promise<void> {
    this.#require('delete', 'delete');
    await this.#call('delete', { ref: this.#refOf(message) });
    this.#refs.delete(message.identity.key);
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#closing.abort();
      const bridge = this.#init.bridge;
      if (bridge.alive) {
        await bridge
          .call('logoff', {}, Math.min(this.#settings.callTimeoutMs, LOGOFF_TIMEOUT_MS))
          .catch(() => undefined);
      }
      await bridge.stop();
      this.#init.onEnd();
    })().catch(() => undefined);
    return this.#closed;
  }

  /** Sends through this session's bridge (used by the service while a session is open). */
  sendVia<T>(work: (bridge: BridgeProcess) => Promise<T>): Promise<T> {
    return work(this.#init.bridge);
  }

  /** Whether the session can still make calls. */
  get usable(): boolean {
    return this.#closed === null && this.#init.bridge.alive;
  }

  /** One listing: candidates in the store's order, announced one by one. */
  async #pass(sink: DiscoverySink, stop: AbortSignal): Promise<void> {
    const entries = await this.#call('list', { unreadOnly: this.#settings.unreadOnly });
    const candidates: MapiListEntry[] = [];
    for (const entry of entries) {
      if (this.#announced.has(entry.key)) continue;
      this.#refs.set(entry.key, entry.ref);
      if (await this.#isHandled(entry)) continue;
      candidates.push(entry);
    }
    let done = 0;
    for (const entry of candidates) {
      if (stop.aborted) return;
      let envelope: MapiEnvelope;
      try {
        envelope = await this.#call('envelope', { ref: entry.ref });
      } catch (error) {
        // Gone between the listing and now (read, moved or deleted in Outlook): nothing to announce.
        if (isMailServiceError(error) && error.code === 'MESSAGE_NOT_FOUND') continue;
        throw error;
      }
      const message = this.#discovered({ ...envelope, key: entry.key, ref: entry.ref });
      this.#announced.add(entry.key);
      await this.#untilLostOrStopped(sink.next(message), stop);
      done += 1;
      sink.progress?.(done, candidates.length);
    }
  }

  #discovered(envelope: MapiEnvelope): DiscoveredMessage {
    const { headers, envelope: parsed } = headersAndEnvelope(envelope);
    return {
      identity: { mailboxId: this.#settings.id, key: envelope.key, messageId: parsed.messageId },
      ref: envelope.ref,
      flags: envelope.unread ? [] : ['\\Seen'],
      size: envelope.size,
      envelope: parsed,
      headers,
    };
  }

  async #isHandled(entry: MapiListEntry): Promise<boolean> {
    try {
      return await this.#init.handled.isHandled({
        mailboxId: this.#settings.id,
        key: entry.key,
        messageId: entry.messageId,
      });
    } catch (error) {
      throw new MailServiceError({
        code: 'HANDLED_LOOKUP_FAILED',
        message: `${this.#init.where}: asking whether ${entry.key} was handled failed`,
        retryable: true,
        mailboxId: this.#settings.id,
        cause: error,
      });
    }
  }

  async #read(message: DiscoveredMessage): Promise<MapiMessageParts> {
    const parts = await this.#call('read', { ref: this.#refOf(message), maxBytes: this.#settings.maxBodyBytes });
    return { ...parts, key: message.identity.key };
  }

  #refOf(message: DiscoveredMessage): string {
    return this.#refs.get(message.identity.key) ?? message.ref;
  }

  #call<K extends MapiOp>(op: K, args: MapiOps[K]['args']): Promise<MapiOps[K]['result']> {
    if (this.#closed !== null) {
      return Promise.reject(this.#error('SESSION_CLOSED', `${op}: the session is closed`, true));
    }
    return this.#init.bridge.call(op, args, this.#settings.callTimeoutMs);
  }

  #require(capability: keyof MailServiceCapabilities, action: 'markRead' | 'flag' | 'moveTo' | 'delete'): void {
    if (!this.#init.spec.capabilities[capability]) {
      throw capabilityMissing(this.#settings.id, this.#init.spec.label, action, this.#init.spec.missing[action]);
    }
  }

  /** Waits for the sink unless the bridge dies (rejects) or the watch stops (returns). */
  async #untilLostOrStopped(work: void | Promise<void>, stop: AbortSignal): Promise<void> {
    if (!(work instanceof Promise)) return;
    let unsubscribe: (() => void) | undefined;
    let onStop: (() => void) | undefined;
    try {
      await Promise.race([
        work,
        new Promise<void>((resolve, reject) => {
          unsubscribe = this.#init.bridge.onExit((error) => {
            if (error) reject(error);
          });
          onStop = () => resolve();
          if (stop.aborted) resolve();
          else stop.addEventListener('abort', onStop, { once: true });
        }),
      ]);
    } finally {
      unsubscribe?.();
      if (onStop) stop.removeEventListener('abort', onStop);
    }
  }

  /** Waits between polls; ends early when stopped, rejects when the bridge dies meanwhile. */
  #pause(ms: number, stop: AbortSignal): Promise<void> {
    if (stop.aborted) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        stop.removeEventListener('abort', done);
        unsubscribe();
        resolve();
      };
      // Not unref'd: between polls this timer is what the mailbox is waiting on.
      const timer = setTimeout(done, ms);
      stop.addEventListener('abort', done, { once: true });
      const unsubscribe = this.#init.bridge.onExit((error) => {
        if (!error) return;
        clearTimeout(timer);
        stop.removeEventListener('abort', done);
        reject(error);
      });
    });
  }

  #typed(error: unknown): MailServiceError {
    if (error instanceof MailServiceError) return error;
    if (isMailServiceError(error)) return error as MailServiceError;
    return new MailServiceError({
      code: 'SINK_FAILED',
      message: `${this.#init.where}: the message sink failed: ${error instanceof Error ? error.message : String(error)}`,
      retryable: true,
      mailboxId: this.#settings.id,
      cause: error,
    });
  }

  #error(code: string, message: string, retryable: boolean): MailServiceError {
    return new MailServiceError({
      code,
      message: `${this.#init.where}: ${message}`,
      retryable,
      mailboxId: this.#settings.id,
    });
  }
}
