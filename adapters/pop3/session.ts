/**
 * The POP3 {@link MailSession}: discovery in cycles, one POP3 session per cycle, and the DELE/QUIT discipline that
 * makes forward-and-delete safe (SPEC S6, issue 5).
 *
 * Over 400 lines on purpose: the cycle's DELE/RSET/QUIT bookkeeping below is one invariant (nothing removed whose
 * handling was not recorded) over one session's state; split across files it could no longer be read in one place.
 * The protocol itself is elsewhere: transport.ts (framing, TLS, timeouts) and one file per command in commands/.
 *
 * POP3 locks the maildrop for a session's duration and shows a snapshot of it, and the server removes messages
 * marked with DELE only when the session ends with QUIT (RFC 1939 §6). So:
 *
 * - A cycle opens a session, lists the maildrop (UIDL), skips what the journal reports as handled, reads the
 *   headers of the rest (TOP n 0) and hands each to the sink, awaiting it (back-pressure): the sink's `next`
 *   resolves when the runtime has finished with that message (handled and journaled).
 * - Actions during the cycle run on its session: `delete` only marks (DELE), `fetchSource` reads (RETR).
 * - The QUIT that commits comes after every emitted message's `next` has resolved. If the cycle ends early (stop,
 *   sink failure) while a message is still in the runtime's hands, its mark is undone first (RSET, then DELE again
 *   of the settled ones), so no message is removed whose handling was not recorded.
 * - A crash or lost connection before QUIT commits nothing: the messages stay, the journal says which were handled,
 *   and the next cycle skips those. Nothing is lost and nothing is handled twice; a message handled-and-deleted
 *   whose QUIT never happened stays in the maildrop (docs/pop3.md).
 *
 * @module
 */
import { Readable } from 'node:stream';
import type {
  DiscoveredMessage,
  DiscoverySink,
  HandledLookup,
  ListedMessage,
  MailSession,
  MessageBody,
  MessageIdentity,
  ServerListing,
} from '../contract.js';
import { isMailServiceError, MailServiceError } from '../errors.js';
import { envelopeOf, parseBody, parseHeaderBlock } from '../mail-format/index.js';
import { capa, dele, list, quit, retr, rset, top, topMany, uidl, uidlOf } from './commands/index.js';
import type { Pop3Settings } from './config.js';
import { Pop3CommandError } from './errors.js';
import { type FallbackParts, fallbackKeys, uidlKey } from './identity.js';
import type { Pop3Transport } from './transport.js';

/**
 * Where the adapter logs (pino's call shape: an object, then a message).
 *
 * @example
 * ```ts
 * const logger: Pop3Logger = pino();
 * ```
 */
export interface Pop3Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * What a session needs from its service.
 *
 * @example
 * ```ts
 * const init: Pop3SessionInit = { settings, handled: journal, where: 'POP3 127.0.0.1:995', open };
 * ```
 */
export interface Pop3SessionInit {
  readonly settings: Pop3Settings;
  readonly handled: HandledLookup;
  readonly logger?: Pop3Logger;
  /** `POP3 host:port`, for messages. */
  readonly where: string;
  /** Opens and authenticates a POP3 session under the connect deadline. */
  readonly open: (signal: AbortSignal) => Promise<Pop3Transport>;
}

/** One message of the maildrop listing: its number in this session, key, and (without UIDL) its header block. */
interface Listed {
  readonly number: number;
  readonly key: string;
  readonly head?: Buffer;
  readonly messageId?: string | null;
}

/** The state of one cycle's POP3 session. */
class Cycle {
  #listed: readonly Listed[] = [];
  #byNumber: Map<number, string> | undefined;
  #byKey: Map<string, number> | undefined;
  /** Emitted to the sink whose `next` has not resolved: their DELE marks must not be committed yet. */
  readonly unsettled = new Set<number>();
  /** Marked with DELE in this session. */
  readonly deleted = new Set<number>();
  hasUidl = true;
  hasTop = true;
  /** Whether the server announced PIPELINING (CAPA), once asked. */
  pipelining: boolean | undefined;
  /** LIST of this session, when it was needed already. */
  sizes: Map<number, number> | undefined;
  /** Set once the cycle started its QUIT: actions then go to a session of their own. */
  ending = false;

  constructor(readonly transport: Pop3Transport) {}

  /** The maildrop listing of this session; the lookups are built only when an action needs them. */
  register(entries: readonly Listed[]): void {
    this.#listed = entries;
    this.#byNumber = undefined;
    this.#byKey = undefined;
  }

  keyOf(number: number): string | undefined {
    this.#byNumber ??= new Map(this.#listed.map((e) => [e.number, e.key]));
    return this.#byNumber.get(number);
  }

  numberOf(key: string): number | undefined {
    this.#byKey ??= new Map(this.#listed.map((e) => [e.key, e.number]));
    return this.#byKey.get(key);
  }
}

/** A cycle in progress: `ready` once its session is open, `done` once it has ended (QUIT or close). */
interface CurrentCycle {
  readonly ready: Promise<Cycle>;
  readonly done: Promise<void>;
  cycle: Cycle | null;
}

/**
 * Candidates whose headers are read ahead in one pipelined batch: bounds memory, saves round trips.
 *
 * @example
 * ```ts
 * const batches = Math.ceil(candidates.length / DISCOVERY_BATCH);
 * ```
 */
export const DISCOVERY_BATCH = 50;

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    // Not unref'd: between cycles this timer is what the mailbox is waiting on, like an IMAP socket in IDLE.
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Settles with `'settled'` when `work` resolves, `'aborted'` when `signal` aborts first; rejects when `work` does. */
function settleOrAbort(work: Promise<void>, signal: AbortSignal): Promise<'settled' | 'aborted'> {
  if (signal.aborted) return Promise.resolve('aborted');
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve('settled');
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** The header block of a full source: everything up to and including the first empty line. */
function headerBlockOf(source: Buffer): Buffer {
  const crlf = source.indexOf('\r\n\r\n');
  const lf = source.indexOf('\n\n');
  const ends = [crlf >= 0 ? crlf + 4 : -1, lf >= 0 ? lf + 2 : -1].filter((i) => i >= 0);
  return ends.length === 0 ? source : source.subarray(0, Math.min(...ends));
}

/**
 * A POP3 mailbox session. `connect()` gave it an authenticated POP3 session, which its first cycle uses; later
 * cycles open their own (POP3 shows new mail only to a new session).
 *
 * @example
 * ```ts
 * const session = await createPop3Service(config, { handled: journal }).connect(signal);
 * await session.watch(sink, signal); // cycles until the connection is lost (rejects) or signal aborts (resolves)
 * ```
 */
export class Pop3Session implements MailSession {
  readonly #init: Pop3SessionInit;
  readonly #mailboxId: string;
  /** The session opened by connect(), used by the first cycle. */
  #first: Pop3Transport | null;
  #current: CurrentCycle | null = null;
  /** Sessions opened for an action outside a cycle; a cycle starts only after they ended (maildrop lock). */
  readonly #side = new Set<Promise<unknown>>();
  readonly #closing = new AbortController();
  #watching = false;
  #warnedNoUidl = false;
  /** The maildrop as the latest cycle listed it (the completeness check's view, issue 15 point 4). */
  #lastListed: readonly ListedMessage[] = [];
  /** Set by `examine`: the next cycle starts at once instead of after the poll interval. */
  #examineRequested = false;
  #nudge: (() => void) | null = null;

  constructor(init: Pop3SessionInit, first: Pop3Transport) {
    this.#init = init;
    this.#mailboxId = init.settings.id;
    this.#first = first;
  }

  /**
   * Runs a cycle every `pollIntervalMs` (measured from the end of one cycle to the start of the next) until a
   * cycle fails — rejects with its typed error (`CONNECTION_LOST`, `MAILDROP_LOCKED`, `AUTH_FAILED`, …) — or
   * `signal` aborts (resolves once the cycle in progress has ended). Calls `sink.checked()` after each cycle.
   */
  async watch(sink: DiscoverySink, signal: AbortSignal): Promise<void> {
    if (this.#watching) throw this.#error('WATCH_ACTIVE', 'watch() is already running on this session', false);
    this.#watching = true;
    const stop = AbortSignal.any([signal, this.#closing.signal]);
    try {
      let caughtUp = false;
      while (!stop.aborted) {
        try {
          await this.#runCycle(sink, stop);
        } catch (error) {
          // Stopping: whatever the cycle failed with (an aborted connect, a destroyed socket) is not a loss.
          if (stop.aborted) return;
          throw error;
        }
        if (stop.aborted) return;
        sink.checked?.();
        if (!caughtUp) {
          // The first cycle has examined the whole maildrop and committed its QUIT: the first pass is over.
          caughtUp = true;
          sink.caughtUp?.();
        }
        if (this.#examineRequested) {
          this.#examineRequested = false;
          continue;
        }
        const nudge = new AbortController();
        this.#nudge = () => nudge.abort();
        await pause(this.#init.settings.pollIntervalMs, AbortSignal.any([stop, nudge.signal]));
        this.#nudge = null;
        this.#examineRequested = false;
      }
    } finally {
      this.#watching = false;
    }
  }

  /**
   * The maildrop as the latest cycle's UIDL listed it: POP3 has one session at a time (the maildrop lock), so the
   * check reads the cycle's listing instead of opening another.
   */
  async listPresent(): Promise<ServerListing> {
    return { messages: this.#lastListed };
  }

  /** Starts the next cycle at once: it examines every listed message the journal does not report as handled. */
  examine(_refs: readonly string[]): void {
    this.#examineRequested = true;
    this.#nudge?.();
  }

  /** The raw source (RETR), on the current cycle's session, or on a session of its own between cycles. */
  async fetchSource(message: DiscoveredMessage): Promise<Readable> {
    const source = await this.#retrieve(message);
    return Readable.from([source]);
  }

  /** The parsed body; attachment contents above `maxBodyBytes` in sum are left out and `truncated` is set. */
  async fetchBody(message: DiscoveredMessage): Promise<MessageBody> {
    return parseBody(await this.#retrieve(message), this.#init.settings.maxBodyBytes);
  }

  /** POP3 keeps no read state (S5). */
  async markRead(_message: DiscoveredMessage): Promise<void> {
    throw this.#unsupported('markRead', 'POP3 keeps no read state (SPEC S5)');
  }

  /** POP3 has no flags. */
  async flag(_message: DiscoveredMessage, _flag: string): Promise<void> {
    throw this.#unsupported('flag', 'POP3 has no flags');
  }

  /** POP3 has no folders; forward the message and delete it instead (S6). */
  async moveTo(_message: DiscoveredMessage, _folder: string): Promise<void> {
    throw this.#unsupported('moveTo', 'POP3 has no folders; forward the message and delete it instead (SPEC S6)');
  }

  /**
   * Marks the message with DELE on the session of the cycle in progress (found by its message number, checked by
   * UIDL); that cycle's QUIT commits it once the message's `next` has resolved. Between cycles it uses a session
   * of its own that commits at once. A message no longer in the maildrop counts as deleted (idempotent).
   */
  async delete(message: DiscoveredMessage): Promise<void> {
    await this.#onMessage(message, 'delete', async (cycle, number) => {
      if (number === undefined || cycle.deleted.has(number)) return;
      if (cycle.hasUidl) {
        const uid = await uidlOf(cycle.transport, number);
        if (uidlKey(uid) !== message.identity.key) {
          throw this.#error('MESSAGE_MISMATCH', `message ${number} is no longer ${message.identity.key}`, true);
        }
      }
      await dele(cycle.transport, number);
      cycle.deleted.add(number);
    });
  }

  /**
   * Ends the session: a cycle in progress ends as if stopped (marks of messages still in the runtime's hands are
   * undone, the rest committed by QUIT), an unused first session QUITs. Never throws.
   */
  async close(): Promise<void> {
    this.#closing.abort();
    const first = this.#first;
    this.#first = null;
    if (first) await quit(first).catch(() => first.destroy());
    await this.#current?.done.catch(() => undefined);
    await Promise.allSettled([...this.#side]);
  }

  async #runCycle(sink: DiscoverySink, stop: AbortSignal): Promise<void> {
    let finished!: () => void;
    const done = new Promise<void>((resolve) => {
      finished = resolve;
    });
    const sides = [...this.#side];
    const current: CurrentCycle = {
      ready: (async () => {
        await Promise.allSettled(sides);
        const first = this.#first;
        this.#first = null;
        const transport = first && !first.closed ? first : await this.#init.open(stop);
        return new Cycle(transport);
      })(),
      done,
      cycle: null,
    };
    this.#current = current;
    let cycle: Cycle | undefined;
    try {
      cycle = await current.ready;
      current.cycle = cycle;
      await this.#discover(cycle, sink, stop);
      // With a handler concurrency above 1, `next` resolves on acceptance: wait until every message is finished
      // before the QUIT that commits the DELE marks.
      await sink.drain?.();
      await this.#finish(cycle);
    } catch (error) {
      if (cycle) await this.#finish(cycle).catch(() => cycle!.transport.destroy());
      throw this.#typed(error);
    } finally {
      this.#current = null;
      finished();
    }
  }

  async #discover(cycle: Cycle, sink: DiscoverySink, stop: AbortSignal): Promise<void> {
    const { transport } = cycle;
    // UIDL alone: an empty maildrop lists nothing, so a STAT first would only add a round trip.
    const listed = await this.#list(cycle);
    await sink.listed?.(listed.map((entry) => entry.key));
    this.#lastListed = listed.map((entry) => ({ key: entry.key, ref: entry.key }));
    if (listed.length === 0) return;
    cycle.register(listed);

    const candidates: Listed[] = [];
    for (const entry of listed) {
      const identity = { mailboxId: this.#mailboxId, key: entry.key, messageId: entry.messageId ?? null };
      const answer = this.#isHandled(identity);
      if (!(typeof answer === 'boolean' ? answer : await answer)) candidates.push(entry);
    }
    if (candidates.length === 0) return;

    const sizes = cycle.sizes ?? (await list(transport));
    let emitted = 0;
    for (let start = 0; start < candidates.length; start += DISCOVERY_BATCH) {
      const batch = candidates.slice(start, start + DISCOVERY_BATCH);
      const missing = batch.filter((entry) => entry.head === undefined).map((entry) => entry.number);
      const fetched = await this.#headerBlocks(cycle, missing, candidates.length > 1);
      for (const entry of batch) {
        if (stop.aborted) return;
        const head = entry.head ?? fetched.get(entry.number)!;
        const headers = parseHeaderBlock(head);
        const envelope = envelopeOf(head, headers);
        const message: DiscoveredMessage = {
          identity: { mailboxId: this.#mailboxId, key: entry.key, messageId: envelope.messageId },
          ref: String(entry.number),
          flags: [],
          size: sizes.get(entry.number) ?? 0,
          envelope,
          headers,
        };
        cycle.unsettled.add(entry.number);
        const outcome = await settleOrAbort(
          Promise.resolve().then(() => sink.next(message)),
          stop,
        );
        if (outcome === 'aborted') return;
        cycle.unsettled.delete(entry.number);
        emitted += 1;
        sink.progress?.(emitted, candidates.length);
      }
    }
  }

  /** The maildrop listing: UIDL, or (server without UIDL) fallback keys from every message's headers. */
  async #list(cycle: Cycle): Promise<Listed[]> {
    const { transport } = cycle;
    try {
      return (await uidl(transport)).map(({ number, uid }) => ({ number, key: uidlKey(uid) }));
    } catch (error) {
      if (!(error instanceof Pop3CommandError && error.command === 'UIDL')) throw error;
    }
    cycle.hasUidl = false;
    if (!this.#warnedNoUidl) {
      this.#warnedNoUidl = true;
      this.#init.logger?.warn(
        { mailboxId: this.#mailboxId },
        `${this.#init.where}: the server has no UIDL; messages are identified by a hash of their headers and size`,
      );
    }
    cycle.sizes = await list(transport);
    const sizes = [...cycle.sizes].sort((a, b) => a[0] - b[0]);
    const heads: { number: number; head: Buffer; parts: FallbackParts }[] = [];
    for (let start = 0; start < sizes.length; start += DISCOVERY_BATCH) {
      const batch = sizes.slice(start, start + DISCOVERY_BATCH);
      const fetched = await this.#headerBlocks(
        cycle,
        batch.map(([number]) => number),
        sizes.length > 1,
      );
      for (const [number, size] of batch) {
        const head = fetched.get(number)!;
        const headers = parseHeaderBlock(head);
        const first = (name: string) => headers.get(name)?.[0] ?? null;
        heads.push({
          number,
          head,
          parts: {
            messageId: envelopeOf(head, headers).messageId,
            date: first('date'),
            from: first('from'),
            subject: first('subject'),
            size,
          },
        });
      }
    }
    const keys = fallbackKeys(heads.map((h) => h.parts));
    return heads.map((h, i) => ({ number: h.number, key: keys[i]!, head: h.head, messageId: h.parts.messageId }));
  }

  /**
   * Header blocks of `numbers`: TOP n 0, pipelined where the server announces PIPELINING (asked once per cycle,
   * and only when there is more than one to read), one by one otherwise; RETR and its header part for a server
   * without TOP (TOP is optional in RFC 1939).
   */
  async #headerBlocks(cycle: Cycle, numbers: readonly number[], many: boolean): Promise<Map<number, Buffer>> {
    const heads = new Map<number, Buffer>();
    if (numbers.length === 0) return heads;
    if (many && cycle.pipelining === undefined) cycle.pipelining = (await capa(cycle.transport)).has('PIPELINING');
    if (cycle.hasTop && cycle.pipelining && numbers.length > 1) {
      const results = await topMany(cycle.transport, numbers);
      results.forEach((result, i) => {
        if (Buffer.isBuffer(result)) heads.set(numbers[i]!, result);
        else if (result.command !== 'TOP') throw result;
      });
    }
    for (const number of numbers) {
      if (!heads.has(number)) heads.set(number, await this.#headerBlock(cycle, number));
    }
    return heads;
  }

  /** TOP n 0 of one message; RETR and its header part for a server without TOP. */
  async #headerBlock(cycle: Cycle, number: number): Promise<Buffer> {
    if (cycle.hasTop) {
      try {
        return await top(cycle.transport, number, 0);
      } catch (error) {
        if (!(error instanceof Pop3CommandError && error.command === 'TOP')) throw error;
        cycle.hasTop = false;
      }
    }
    return headerBlockOf(await retr(cycle.transport, number));
  }

  /**
   * Ends a cycle's POP3 session. QUIT commits the DELE marks; when a message still in the runtime's hands was
   * marked, all marks are undone (RSET) and those of settled messages made again, so only they are committed.
   */
  async #finish(cycle: Cycle): Promise<void> {
    cycle.ending = true;
    const { transport } = cycle;
    // A session lost before its QUIT committed nothing: the cycle failed, whatever it had done.
    if (transport.failure) throw transport.failure;
    if (transport.closed) return;
    const uncommittable = [...cycle.deleted].filter((n) => cycle.unsettled.has(n));
    if (uncommittable.length > 0) {
      await rset(transport);
      for (const number of cycle.deleted) {
        if (!cycle.unsettled.has(number)) await dele(transport, number);
      }
      this.#init.logger?.info(
        { mailboxId: this.#mailboxId, messages: uncommittable.map((n) => cycle.keyOf(n)) },
        'POP3 cycle ended before these messages were handled: their DELE was not committed',
      );
    }
    await quit(transport);
  }

  async #retrieve(message: DiscoveredMessage): Promise<Buffer> {
    const source = await this.#onMessage(message, 'fetchSource', async (cycle, number) => {
      if (number === undefined) return undefined;
      return retr(cycle.transport, number);
    });
    if (source === undefined) {
      throw this.#error('MESSAGE_GONE', `${message.identity.key} is no longer in the maildrop`, false);
    }
    return source;
  }

  /**
   * Runs `action` with the message's number on the cycle in progress, or on a session of its own between cycles
   * (which QUITs afterwards: its marks are committed at once). `number` is undefined when the message is gone.
   */
  async #onMessage<T>(
    message: DiscoveredMessage,
    what: string,
    action: (cycle: Cycle, number: number | undefined) => Promise<T>,
  ): Promise<T> {
    if (this.#closing.signal.aborted) throw this.#error('SESSION_CLOSED', `${what}: the session is closed`, true);
    const current = this.#current;
    if (current) {
      const cycle = await current.ready.catch(() => null);
      if (cycle && !cycle.ending && !cycle.transport.closed) return action(cycle, this.#numberOf(cycle, message));
    }
    const run = (async () => {
      await current?.done;
      const transport = await this.#init.open(this.#closing.signal);
      const cycle = new Cycle(transport);
      try {
        cycle.register(await this.#list(cycle));
        const result = await action(cycle, this.#numberOf(cycle, message));
        await quit(transport);
        return result;
      } catch (error) {
        transport.destroy();
        throw error;
      }
    })();
    this.#side.add(run);
    try {
      return await run;
    } catch (error) {
      throw this.#typed(error);
    } finally {
      this.#side.delete(run);
    }
  }

  /** The journal's answer; a synchronous one is used as is (10,000 awaits would be most of a quiet cycle). */
  #isHandled(identity: MessageIdentity): boolean | Promise<boolean> {
    try {
      const answer = this.#init.handled.isHandled(identity);
      return typeof answer === 'boolean'
        ? answer
        : answer.catch((error: unknown) => this.#lookupFailed(identity, error));
    } catch (error) {
      return this.#lookupFailed(identity, error);
    }
  }

  #lookupFailed(identity: MessageIdentity, error: unknown): never {
    throw new MailServiceError({
      code: 'HANDLED_LOOKUP_FAILED',
      message: `${this.#init.where}: could not ask the journal whether ${identity.key} was handled`,
      retryable: true,
      mailboxId: this.#mailboxId,
      cause: error,
    });
  }

  /** The message's number in `cycle`: its ref when that cycle discovered it, else looked up by key. */
  #numberOf(cycle: Cycle, message: DiscoveredMessage): number | undefined {
    const ref = Number(message.ref);
    if (cycle.keyOf(ref) === message.identity.key) return ref;
    return cycle.numberOf(message.identity.key);
  }

  #typed(error: unknown): MailServiceError {
    if (error instanceof MailServiceError) return error;
    if (isMailServiceError(error)) return error as MailServiceError;
    return new MailServiceError({
      code: 'SINK_FAILED',
      message: `${this.#init.where}: the message sink failed: ${error instanceof Error ? error.message : String(error)}`,
      retryable: true,
      mailboxId: this.#mailboxId,
      cause: error,
    });
  }

  #unsupported(what: string, why: string): MailServiceError {
    // The contract's code for an action the service does not declare (adapters/contract.ts capabilities).
    return this.#error('CAPABILITY_MISSING', `${what} is not available: ${why}`, false);
  }

  #error(code: string, message: string, retryable: boolean): MailServiceError {
    return new MailServiceError({
      code,
      message: `${this.#init.where}: ${message}`,
      retryable,
      mailboxId: this.#mailboxId,
    });
  }
}
