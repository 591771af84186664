/**
 * One live IMAP connection of a mailbox: discovery (initial search, IDLE/EXISTS, polling, safety checks) and the
 * actions on discovered messages, serialized on one imapflow client.
 *
 * Over 400 lines on purpose: one class owns one connection's state (lock, lost/closing, UIDVALIDITY, highest UID),
 * which discovery, downloads and actions all share. The pure parts live beside it (actions.ts, discovery-search.ts,
 * search-filter.ts, sent-folder.ts).
 *
 * @module
 */
import { PassThrough, Readable } from 'node:stream';
import type { ImapFlow, MailboxObject } from 'imapflow';
import type {
  DiscoveredMessage,
  DiscoverySink,
  ExaminedRange,
  HandledLookup,
  MailSession,
  MessageBody,
  ServerListing,
  StartBound,
} from '../contract.js';
import { MailServiceError } from '../errors.js';
import { cutUtf8, parseBody, textPartOf } from '../mail-format/index.js';
import { ImapActions } from './actions.js';
import type { ImapSettings } from './config.js';
import { effectiveFilter, planDiscovery, splitExamined } from './discovery-search.js';
import { toImapError } from './errors.js';
import { listingOf } from './listing.js';
import {
  DISCOVERY_QUERY,
  DISCOVERY_QUERY_WITH_STRUCTURE,
  parseImapMessageKey,
  toDiscoveredMessage,
  toSequenceSet,
} from './message.js';
import type { SimpleFilter } from './search-filter.js';
import { sentFolderPath, sentHolds } from './sent-folder.js';
import { SourcePrefetch } from './source-prefetch.js';
import { Wake } from './wake.js';

/**
 * Logger shape of the adapter's deps (pino-compatible: object first, message second). The adapter never passes it
 * a password or token.
 *
 * @example
 * ```ts
 * const logger: ImapLogger = pino();
 * ```
 */
export interface ImapLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Messages fetched per FETCH during discovery: bounds memory on a first pass over a large folder. */
const DISCOVERY_BATCH = 500;
/**
 * How much of a message each FETCH of a download asks for: imapflow's default. 256 KiB was measured here to keep
 * 5–12 MB of Buffers alive while a 30 MB message streamed through fetchBody, 64 KiB under 1 MB.
 */
const DOWNLOAD_CHUNK_BYTES = 64 * 1024;
/** How long a polite LOGOUT may take before the socket is just closed. */
const LOGOUT_TIMEOUT_MS = 5_000;

/**
 * How often the session checks the server on its own: the poll interval when the server has no IDLE, else
 * the slow safety poll that notices a dead IDLE.
 *
 * @example
 * ```ts
 * checkIntervalMs({ pollIntervalMs: 30_000, safetyPollMs: 300_000 }, false); // 30000
 * ```
 */
export function checkIntervalMs(settings: Pick<ImapSettings, 'pollIntervalMs' | 'safetyPollMs'>, idle: boolean) {
  return idle ? settings.safetyPollMs : settings.pollIntervalMs;
}

/**
 * What the service hands a new session.
 *
 * @example
 * ```ts
 * const init: ImapSessionInit = { client, settings, handled, where: 'IMAP 127.0.0.1:993',
 *   previousUidValidity: undefined, onUidValidity: (v) => { last = v; } };
 * ```
 */
export interface ImapSessionInit {
  readonly client: ImapFlow;
  readonly settings: ImapSettings;
  readonly handled: HandledLookup;
  readonly logger?: ImapLogger;
  /** `IMAP host:port`, for messages. */
  readonly where: string;
  /** The UIDVALIDITY this service saw on its previous session of the folder, if any. */
  readonly previousUidValidity: bigint | undefined;
  /** Called whenever the session learns the folder's UIDVALIDITY, so the next session can compare. */
  readonly onUidValidity: (value: bigint) => void;
  /**
   * Opens a second, short-lived connection with the same options (logged in, nothing selected) for work that must
   * select another folder (`findSent`), so this session's selection and UIDVALIDITY tracking stay untouched.
   */
  readonly openAside?: () => Promise<ImapFlow>;
}

/**
 * A {@link MailSession} on an imapflow client whose folder is already selected. Every command sequence of
 * discovery and of the actions holds imapflow's mailbox lock, so they never interleave inside a sequence and IDLE
 * is not started between the commands of one; a FETCH is always collected whole before anything else runs
 * (imapflow cannot run a command while a fetch iterator is being consumed). Downloads (`fetchSource`, `fetchBody`,
 * `fetchText`) take no lock: each of their chunks is one FETCH, so they interleave with the rest command by command. A reader
 * must consume or destroy a source stream: an open download keeps imapflow out of IDLE.
 *
 * @example
 * ```ts
 * const session = new ImapSession({ client, settings, handled, where: 'IMAP 127.0.0.1:993',
 *   previousUidValidity: undefined, onUidValidity: () => {} });
 * await session.watch(sink, signal);
 * ```
 */
export class ImapSession implements MailSession {
  readonly #client: ImapFlow;
  readonly #settings: ImapSettings;
  readonly #init: ImapSessionInit;
  #uidValidity: bigint;
  /** Highest UID examined in this session; `null` until the first full pass. */
  #highestUid: number | null = null;
  #needFullPass = false;
  #uidValidityNotice: { from: bigint; to: bigint } | null = null;
  #lostCause: unknown;
  #lost = false;
  #closing: Promise<void> | null = null;
  #watching = false;
  readonly #lostWake = new Set<() => void>();
  readonly #prefetch = new SourcePrefetch();
  readonly #actions: ImapActions;
  /** The rules' server-side filter; `null` without one, or after the server refused it in this session. */
  #filter: SimpleFilter | null;
  #sentPath: string | undefined;
  /** What `startAt` leaves out (asked of the sink before each full pass); nothing until then. */
  #bound: StartBound = { aboveUid: 0, since: null };
  /** UIDs the completeness check asked the watch to discover at once (issue 15 point 4). */
  readonly #requested = new Set<number>();
  #wake: Wake | null = null;

  constructor(init: ImapSessionInit) {
    this.#init = init;
    this.#client = init.client;
    this.#settings = init.settings;
    const mailbox = init.client.mailbox as MailboxObject;
    this.#uidValidity = mailbox.uidValidity;
    if (init.previousUidValidity !== undefined && init.previousUidValidity !== this.#uidValidity) {
      this.#uidValidityNotice = { from: init.previousUidValidity, to: this.#uidValidity };
    }
    init.onUidValidity(this.#uidValidity);
    this.#filter = effectiveFilter(init.settings.discoveryFilter);
    this.#actions = new ImapActions({
      client: init.client,
      mailboxId: init.settings.id,
      logger: init.logger,
      locked: (work) => this.#locked(work),
      uidOf: (message) => this.#uidOf(message),
      error: (code, text, retryable, cause) => this.#error(code, text, retryable, cause),
      failed: (what) => {
        if (!this.usable) throw this.#lostError();
        throw this.#error('ACTION_FAILED', `${what} was refused by the server`, true);
      },
    });
    init.client.on('error', (error) => {
      this.#lostCause ??= error;
    });
    init.client.on('close', () => {
      if (this.#closing === null) this.#lost = true;
      for (const wake of this.#lostWake) wake();
    });
    init.client.on('mailboxOpen', (opened) => {
      // The session only ever selects its one folder. imapflow re-selects it when it learns of a new
      // UIDVALIDITY: every key of this session is stale then.
      if (opened.uidValidity === this.#uidValidity) return;
      this.#uidValidityNotice = { from: this.#uidValidity, to: opened.uidValidity };
      this.#uidValidity = opened.uidValidity;
      this.#init.onUidValidity(opened.uidValidity);
      this.#needFullPass = true;
    });
  }

  get #mailboxId(): string {
    return this.#settings.id;
  }

  /** Whether the session can still talk to the server. */
  get usable(): boolean {
    return !this.#lost && this.#closing === null && this.#client.usable;
  }

  async watch(sink: DiscoverySink, signal: AbortSignal): Promise<void> {
    if (this.#watching) throw new TypeError('ImapSession.watch: already watching');
    this.#watching = true;
    const wake = new Wake();
    this.#wake = wake;
    let newMail = false;
    let checkDue = false;
    let caughtUp = false;
    const hasIdle = this.#client.capabilities.has('IDLE');
    const onExists = (event: { count: number; prevCount: number }) => {
      if (event.count > event.prevCount) {
        newMail = true;
        wake.notify();
      }
    };
    const onAbort = () => wake.notify();
    const onLost = () => wake.notify();
    const onOpen = () => wake.notify();
    this.#client.on('exists', onExists);
    this.#client.on('mailboxOpen', onOpen);
    this.#lostWake.add(onLost);
    signal.addEventListener('abort', onAbort);
    const timer = setInterval(
      () => {
        checkDue = true;
        wake.notify();
      },
      checkIntervalMs(this.#settings, hasIdle),
    );
    timer.unref();
    const log = this.#init.logger;
    try {
      if (this.#lost) throw this.#lostError();
      this.#needFullPass = true;
      // Closed by close() (the host's choice) ends the watch like an abort.
      while (!signal.aborted && this.#closing === null) {
        if (this.#lost) throw this.#lostError();
        this.#announceUidValidityChange(sink);
        if (checkDue) {
          checkDue = false;
          await this.#safetyCheck();
          newMail = true;
        }
        if (this.#requested.size > 0 && !this.#needFullPass) {
          const uids = [...this.#requested];
          this.#requested.clear();
          await this.#deliver(uids, this.#uidValidity, sink, signal, false);
          continue;
        }
        if (this.#needFullPass || newMail) {
          const full = this.#needFullPass;
          this.#needFullPass = false;
          newMail = false;
          await this.#discover(full, sink, signal);
          if (!signal.aborted && !this.#lost) {
            sink.checked?.();
            // The contract's first-pass signal (run --once stops here; the runtime settles pre-crash moves).
            if (full && !caughtUp) {
              caughtUp = true;
              sink.caughtUp?.();
            }
          }
          continue;
        }
        await wake.wait();
      }
    } catch (error) {
      const typed = this.#sessionError(error);
      log?.warn({ mailboxId: this.#mailboxId, code: typed.code }, `IMAP watch ended: ${typed.message}`);
      throw typed;
    } finally {
      clearInterval(timer);
      this.#wake = null;
      this.#client.off('exists', onExists);
      this.#client.off('mailboxOpen', onOpen);
      this.#lostWake.delete(onLost);
      signal.removeEventListener('abort', onAbort);
      this.#watching = false;
    }
    await this.close();
  }

  async fetchSource(message: DiscoveredMessage): Promise<Readable> {
    const uid = this.#uidOf(message);
    const ahead = this.#prefetch.take(uid) ?? (await this.#readAhead(uid, message.size));
    if (ahead) return Readable.from([ahead]);
    let download: Awaited<ReturnType<ImapFlow['download']>>;
    try {
      download = await this.#client.download(String(uid), undefined, { uid: true, chunkSize: DOWNLOAD_CHUNK_BYTES });
    } catch (error) {
      throw this.#sessionError(error);
    }
    const content = 'content' in download ? download.content : undefined;
    if (!content) {
      if (!this.usable) throw this.#lostError();
      throw this.#error('MESSAGE_NOT_FOUND', `message ${message.identity.key} is no longer in the folder`, false);
    }
    // A PassThrough of our own, so a failure mid-stream reaches the reader as a typed error, and a reader that
    // gives up early ends the download (an open download keeps imapflow from returning to IDLE).
    const out = new PassThrough({ highWaterMark: DOWNLOAD_CHUNK_BYTES });
    content.on('error', (error) => out.destroy(this.#sessionError(error)));
    out.on('close', () => {
      if (!content.readableEnded) content.destroy();
    });
    content.pipe(out);
    return out;
  }

  async fetchBody(message: DiscoveredMessage): Promise<MessageBody> {
    const source = await this.fetchSource(message);
    try {
      return await parseBody(source, this.#settings.maxBodyBytes);
    } catch (error) {
      source.destroy();
      throw error instanceof MailServiceError
        ? error
        : this.#error('BODY_PARSE_FAILED', `could not parse ${message.identity.key}: ${String(error)}`, false, error);
    }
  }

  async fetchText(message: DiscoveredMessage, maxBytes: number): Promise<string | undefined> {
    const uid = this.#uidOf(message);
    try {
      // BODYSTRUCTURE says which part is the text; then only that part's first bytes cross the wire (partial
      // BODY.PEEK fetches, decoded to UTF-8 by imapflow), however large the message and its attachments.
      // No lock, as the downloads: one FETCH collected whole (this runs while discovery's pass is delivering).
      const row = await this.#client.fetchOne(String(uid), { bodyStructure: true }, { uid: true });
      if (!row)
        throw this.#error('MESSAGE_NOT_FOUND', `message ${message.identity.key} is no longer in the folder`, false);
      const part = row.bodyStructure ? textPartOf(row.bodyStructure) : undefined;
      if (part === undefined) return undefined;
      const download = await this.#client.download(String(uid), part, {
        uid: true,
        maxBytes,
        chunkSize: Math.min(maxBytes, DOWNLOAD_CHUNK_BYTES),
      });
      if (!('content' in download) || !download.content) return '';
      const chunks: Buffer[] = [];
      for await (const chunk of download.content) chunks.push(chunk as Buffer);
      return cutUtf8(Buffer.concat(chunks).toString('utf8'), maxBytes);
    } catch (error) {
      throw error instanceof MailServiceError ? error : this.#sessionError(error);
    }
  }

  markRead(message: DiscoveredMessage): Promise<void> {
    return this.#actions.markRead([message]);
  }

  flag(message: DiscoveredMessage, flag: string): Promise<void> {
    return this.#actions.flag([message], flag);
  }

  moveTo(message: DiscoveredMessage, folder: string): Promise<void> {
    return this.#actions.moveTo([message], folder);
  }

  delete(message: DiscoveredMessage): Promise<void> {
    return this.#actions.delete([message]);
  }

  /** One `UID STORE set +FLAGS (\Seen)` (issue 12 point 2). */
  async markReadMany(messages: readonly DiscoveredMessage[]): Promise<void> {
    if (messages.length > 0) await this.#actions.markRead(messages);
  }

  /** One `UID STORE set +FLAGS (flag)`. */
  async flagMany(messages: readonly DiscoveredMessage[], flag: string): Promise<void> {
    if (messages.length > 0) await this.#actions.flag(messages, flag);
  }

  /** One `UID MOVE set folder` (COPY + STORE \Deleted + UID EXPUNGE set without MOVE). */
  async moveToMany(messages: readonly DiscoveredMessage[], folder: string): Promise<void> {
    if (messages.length > 0) await this.#actions.moveTo(messages, folder);
  }

  /** One `UID STORE set +FLAGS (\Deleted)` and one `UID EXPUNGE set`. */
  async deleteMany(messages: readonly DiscoveredMessage[]): Promise<void> {
    if (messages.length > 0) await this.#actions.delete(messages);
  }

  /** Batched `UID FETCH set BODY.PEEK[]` within a byte budget, by identity key (never sets \Seen). */
  async fetchSources(messages: readonly DiscoveredMessage[]): Promise<ReadonlyMap<string, Buffer>> {
    if (messages.length === 0) return new Map();
    return this.#actions.fetchSources(messages);
  }

  /**
   * APPENDs `raw` with `\Seen` to the Sent folder (SPECIAL-USE `\Sent`, else "Sent", created when missing) on this
   * connection: LIST and APPEND need no SELECT, so the watched folder stays selected.
   */
  async saveSent(raw: Buffer): Promise<void> {
    await this.#locked(async () => {
      this.#sentPath ??= await sentFolderPath(this.#client, { create: true });
      await this.#client.append(this.#sentPath!, raw, ['\\Seen']);
    });
  }

  /**
   * Whether the Sent folder holds a message with this Message-ID. Runs on a short second connection (see
   * {@link ImapSessionInit.openAside}): searching Sent needs it selected, and this session's connection must keep
   * its folder selected (IDLE, EXISTS, the UIDVALIDITY check of its `mailboxOpen` handler). False when there is no
   * Sent folder.
   */
  async listPresent(): Promise<ServerListing> {
    const uidValidity = this.#uidValidity;
    // The same SEARCH as a full discovery pass: with the rules' filter, only its hits are listed (what the server
    // rules out needs no journal record), so a hit that never reached the journal shows.
    // `startAt` leaves the same messages out as discovery does (the baseline's UIDs, mail before the date):
    // they are never examined, so they must not be listed as missed.
    const plan = await this.#plan(this.#bound.aboveUid > 0 ? this.#bound.aboveUid : null);
    const selected = this.#client.mailbox;
    const uidNext = selected ? selected.uidNext : undefined;
    const where = { folder: this.#settings.folder, uidValidity, uidNext, filtered: plan.examined !== undefined };
    return listingOf(plan.uids, where);
  }

  examine(refs: readonly string[]): void {
    for (const ref of refs) {
      const uid = Number(ref);
      if (Number.isSafeInteger(uid) && uid > 0) this.#requested.add(uid);
    }
    this.#wake?.notify();
  }

  async findSent(messageId: string): Promise<boolean> {
    const openAside = this.#init.openAside;
    if (!openAside) throw this.#error('CAPABILITY_MISSING', 'findSent needs a second connection', false);
    if (!this.usable) throw this.#lostError();
    let aside: ImapFlow | undefined;
    try {
      aside = await openAside();
      const path = this.#sentPath ?? (await sentFolderPath(aside, { create: false }));
      if (path === undefined) return false;
      this.#sentPath = path;
      return await sentHolds(aside, path, messageId);
    } catch (error) {
      if (error instanceof MailServiceError) throw error;
      throw toImapError(error, { ...this.#context(), phase: 'session' });
    } finally {
      if (aside) await aside.logout().catch(() => aside?.close());
    }
  }

  close(): Promise<void> {
    this.#prefetch.clear();
    this.#closing ??= (async () => {
      const client = this.#client;
      if (client.usable) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          client.logout().catch(() => undefined),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, LOGOUT_TIMEOUT_MS);
            timer.unref();
          }),
        ]);
        clearTimeout(timer);
      }
      client.close();
    })().catch(() => undefined);
    return this.#closing;
  }

  /** Emits the UIDVALIDITY notice once, and logs it: keys change, the journal re-identifies by Message-ID. */
  #announceUidValidityChange(sink: DiscoverySink): void {
    const change = this.#uidValidityNotice;
    if (!change) return;
    this.#uidValidityNotice = null;
    const text =
      `UIDVALIDITY of folder ${JSON.stringify(this.#settings.folder)} changed from ${change.from} to ${change.to}: ` +
      'the server renumbered its messages, so every message has a new key; they are re-identified by Message-ID ' +
      '(handled ones are not handled again, none is skipped)';
    this.#init.logger?.warn(
      { mailboxId: this.#mailboxId, folder: this.#settings.folder, from: String(change.from), to: String(change.to) },
      text,
    );
    sink.notice?.('UIDVALIDITY_CHANGED', text);
  }

  /** NOOP within the connect deadline: a dead connection (or a dead IDLE) shows as no answer. */
  async #safetyCheck(): Promise<void> {
    const ms = this.#settings.connectTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#lostCause ??= this.#error('TIMEOUT', `no answer to NOOP within ${ms} ms`, true);
        this.#client.close();
        reject(this.#lostError());
      }, ms);
    });
    try {
      await Promise.race([this.#locked(() => this.#client.noop()), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * One discovery pass: search (asking the server first with the rules' filter, where there is one), then fetch
   * headers in batches, ask the handled lookup, and hand the rest on in UID order, awaiting the sink
   * (back-pressure): a whole batch to `nextBatch` where the sink has it, else message by message to `next`. The
   * lock is released before the sink is called, so handlers may act.
   */
  async #discover(full: boolean, sink: DiscoverySink, signal: AbortSignal): Promise<void> {
    const uidValidity = this.#uidValidity;
    if (full) {
      this.#highestUid = null;
      // Sources read ahead are keyed by UID: a full pass (reconnect, new UIDVALIDITY) must not reuse them.
      this.#prefetch.clear();
    }
    if (full) this.#bound = await this.#startBound(sink, uidValidity);
    // UIDs at or below the baseline (`startAt: new`) are never searched, fetched or counted.
    const floor = this.#bound.aboveUid;
    const above = this.#highestUid ?? (floor > 0 ? floor : null);
    const plan = await this.#plan(above);
    const uids = plan.uids;
    if (full) this.#highestUid = floor;
    const examined = plan.examined;
    if (examined) {
      const folder = this.#settings.folder;
      const before = sink.examinedThrough?.(folder, String(uidValidity)) ?? 0;
      for (const part of splitExamined(plan, before)) {
        const range: ExaminedRange = { folder, uidValidity: String(uidValidity), ...part };
        if (sink.examined) {
          await this.#awaitSink(
            () => sink.examined!(range),
            `the examined range ${range.fromUid}:${range.throughUid}`,
            signal,
          );
        }
      }
      if (signal.aborted || this.#uidValidity !== uidValidity) return;
    }
    const total = examined?.candidates ?? uids.length;
    const skipped = total - uids.length;
    const progress = full ? (delivered: number) => sink.progress?.(skipped + delivered, total) : undefined;
    if (!(await this.#deliver(uids, uidValidity, sink, signal, true, progress))) return;
    if (full && uids.length === 0 && total > 0) sink.progress?.(total, total);
    // Seen UIDs that the FETCH did not return (expunged meanwhile) still count as examined.
    const last = examined?.throughUid ?? uids.at(-1);
    if (last !== undefined) this.#highestUid = Math.max(this.#highestUid ?? 0, last);
  }

  /**
   * Fetches the headers of `uids` in batches, asks the handled lookup, and hands the rest on in UID order, awaiting
   * the sink (back-pressure). `advance` moves the session's highest examined UID along (a discovery pass); the
   * completeness check's requests leave it alone, so a requested UID never hides the ones below it. False when the
   * pass ended early (abort, new UIDVALIDITY).
   */
  async #deliver(
    uids: readonly number[],
    uidValidity: bigint,
    sink: DiscoverySink,
    signal: AbortSignal,
    advance: boolean,
    progress?: (delivered: number) => void,
  ): Promise<boolean> {
    const seen = (uid: number) => {
      if (advance) this.#highestUid = Math.max(this.#highestUid ?? 0, uid);
    };
    const fetchBatch = (start: number) => {
      const batch = uids.slice(start, start + DISCOVERY_BATCH);
      const query = this.#settings.discoverAttachments ? DISCOVERY_QUERY_WITH_STRUCTURE : DISCOVERY_QUERY;
      const rows = this.#locked(() => this.#client.fetchAll(toSequenceSet(batch), query, { uid: true }));
      // Abandoned when the pass ends early (abort, loss); its failure then has nobody to tell.
      rows.catch(() => undefined);
      return rows;
    };
    let pending = uids.length > 0 ? fetchBatch(0) : undefined;
    for (let start = 0; pending !== undefined; start += DISCOVERY_BATCH) {
      const rows = await pending;
      // The next batch is fetched while this one goes to the sink: one FETCH is one command, collected whole,
      // so a handler's action simply queues behind it.
      pending = start + DISCOVERY_BATCH < uids.length ? fetchBatch(start + DISCOVERY_BATCH) : undefined;
      rows.sort((a, b) => a.uid - b.uid);
      const candidates: DiscoveredMessage[] = [];
      for (const row of rows) {
        const message = toDiscoveredMessage(row, {
          mailboxId: this.#mailboxId,
          folder: this.#settings.folder,
          uidValidity,
        });
        if (!(await this.#isHandled(message))) candidates.push(message);
      }
      // What the runtime will ask for next, in order: a body request can bring the following sources along.
      this.#prefetch.upcoming(candidates.map((message) => ({ uid: Number(message.ref), size: message.size })));
      // A new UIDVALIDITY mid-pass: these keys are stale; the full pass that follows covers everything.
      if (signal.aborted || this.#uidValidity !== uidValidity) return false;
      if (this.#lost) throw this.#lostError();
      if (sink.nextBatch && candidates.length > 0) {
        const batch = candidates;
        await this.#awaitSink(() => sink.nextBatch!(batch), `a batch of ${batch.length} messages`, signal);
        if (signal.aborted) return false;
        seen(Number(batch.at(-1)!.ref));
      } else {
        for (const message of candidates) {
          if (signal.aborted || this.#uidValidity !== uidValidity) return false;
          if (this.#lost) throw this.#lostError();
          seen(Number(message.ref));
          await this.#awaitSink(() => sink.next(message), message.identity.key, signal);
        }
      }
      const lastRow = rows.at(-1);
      if (lastRow) seen(lastRow.uid);
      progress?.(Math.min(start + DISCOVERY_BATCH, uids.length));
    }
    return true;
  }

  /**
   * The UIDs of this pass. A filtered SEARCH the server refuses (BADCHARSET, BAD, a query imapflow cannot send)
   * turns the filter off for the rest of the session, with a warning: the plain path gives the same outcome.
   */
  async #plan(above: number | null) {
    const search = async (query: Record<string, unknown>) => {
      try {
        return (await this.#locked(() => this.#client.search(query, { uid: true }))) ?? false;
      } catch (error) {
        if (this.#filter === null || !this.usable) throw error;
        this.#init.logger?.warn(
          { mailboxId: this.#mailboxId, error: String((error as Error)?.message ?? error) },
          'IMAP filtered SEARCH failed',
        );
        return false;
      }
    };
    const pass = {
      unreadOnly: this.#settings.unreadOnly,
      aboveUid: above,
      filter: this.#filter,
      since: this.#bound.since,
    };
    const plan = await planDiscovery(search, pass);
    if (plan === false) throw this.#error('SEARCH_FAILED', 'the server refused the discovery SEARCH', true);
    if (!plan.refused) return plan;
    this.#filter = null;
    this.#init.logger?.warn(
      { mailboxId: this.#mailboxId, folder: this.#settings.folder },
      "IMAP server refused the rules' SEARCH filter: matching every message locally for the rest of this session",
    );
    return plan;
  }

  /** The sink's `startAt` bound for this folder as selected now (UIDNEXT, EXISTS of the SELECT). */
  async #startBound(sink: DiscoverySink, uidValidity: bigint): Promise<StartBound> {
    if (!sink.startBound) return { aboveUid: 0, since: null };
    const mailbox = this.#client.mailbox as MailboxObject;
    const watermark = {
      folder: this.#settings.folder,
      uidValidity: String(uidValidity),
      uidNext: Number(mailbox.uidNext ?? 1),
      exists: mailbox.exists ?? 0,
    };
    try {
      return await sink.startBound(watermark);
    } catch (error) {
      throw this.#error('DISCOVERY_SINK_FAILED', `the sink rejected the start bound: ${String(error)}`, true, error);
    }
  }

  async #isHandled(message: DiscoveredMessage): Promise<boolean> {
    try {
      return await this.#init.handled.isHandled(message.identity);
    } catch (error) {
      throw this.#error(
        'HANDLED_LOOKUP_FAILED',
        `asking whether ${message.identity.key} was handled failed`,
        true,
        error,
      );
    }
  }

  /**
   * Calls the sink and waits for it (back-pressure), unless the connection is lost meanwhile (rejects: the machine
   * should reconnect now, not after the handler) or the watch is aborted (returns).
   */
  async #awaitSink(call: () => void | Promise<void>, what: string, signal: AbortSignal): Promise<void> {
    const sinkFailed = (error: unknown) =>
      this.#error('DISCOVERY_SINK_FAILED', `the sink rejected ${what}: ${String(error)}`, true, error);
    let work: void | Promise<void>;
    try {
      work = call();
    } catch (error) {
      throw sinkFailed(error);
    }
    if (!(work instanceof Promise)) return;
    let onLost: (() => void) | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await Promise.race([
        work.catch((error: unknown) => {
          throw sinkFailed(error);
        }),
        new Promise<void>((resolve, reject) => {
          onLost = () => reject(this.#lostError());
          onAbort = () => resolve();
          this.#lostWake.add(onLost);
          signal.addEventListener('abort', onAbort);
          if (this.#lost) onLost();
          if (signal.aborted) onAbort();
        }),
      ]);
    } finally {
      if (onLost) this.#lostWake.delete(onLost);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Fetches the source of `uid` together with the sources of the next messages the runtime will handle (one
   * `UID FETCH` instead of one per message); keeps the others for their turn. Undefined when `uid` alone would be
   * fetched (a large message: it streams through `download()`) or the server did not return it.
   */
  async #readAhead(uid: number, size: number): Promise<Buffer | undefined> {
    const uids = this.#prefetch.plan(uid, size);
    if (uids.length < 2) return undefined;
    const rows = await this.#locked(() =>
      this.#client.fetchAll(toSequenceSet(uids), { uid: true, source: true }, { uid: true }),
    );
    let mine: Buffer | undefined;
    for (const row of rows) {
      if (!row.source) continue;
      if (row.uid === uid) mine = row.source;
      else this.#prefetch.store(row.uid, row.source);
    }
    return mine;
  }

  /** Runs a command sequence holding imapflow's mailbox lock; failures become typed errors. */
  async #locked<T>(work: () => Promise<T>): Promise<T> {
    if (!this.usable) throw this.#lostError();
    let lock: { release(): void } | undefined;
    try {
      // imapflow re-opens the folder when the lock's readOnly differs from how it is open: a read-only session
      // must ask for EXAMINE here too, or its first command would SELECT the folder.
      lock = await this.#client.getMailboxLock(this.#settings.folder, { readOnly: this.#settings.readOnly });
      return await work();
    } catch (error) {
      throw this.#sessionError(error);
    } finally {
      lock?.release();
    }
  }

  /** The UID of a message of this session's folder and UIDVALIDITY, or a typed error. */
  #uidOf(message: DiscoveredMessage): number {
    const key = parseImapMessageKey(message.identity.key);
    if (
      !key ||
      message.identity.mailboxId !== this.#mailboxId ||
      key.folder !== this.#settings.folder ||
      key.uidValidity !== String(this.#uidValidity)
    ) {
      throw this.#error(
        'MESSAGE_STALE',
        `message ${message.identity.key} is not from folder ${JSON.stringify(this.#settings.folder)} with ` +
          `UIDVALIDITY ${this.#uidValidity} (rediscover it)`,
        false,
      );
    }
    if (!this.usable) throw this.#lostError();
    return key.uid;
  }

  #error(code: string, message: string, retryable: boolean, cause?: unknown): MailServiceError {
    return new MailServiceError({
      code,
      message: `${this.#init.where}: ${message}`,
      retryable,
      mailboxId: this.#mailboxId,
      cause,
    });
  }

  /** CONNECTION_LOST, saying why where known (the server's BYE, or the socket error). */
  #lostError(): MailServiceError {
    if (this.#closing !== null && !this.#lost) {
      return this.#error('SESSION_CLOSED', 'the session was closed', false);
    }
    const bye = this.#client.byeReason;
    const cause = this.#lostCause;
    const mapped = cause === undefined ? undefined : toImapError(cause, { ...this.#context(), phase: 'session' }).code;
    const reason = bye ? `server said BYE: ${bye}` : mapped && mapped !== 'CONNECTION_LOST' ? mapped : 'socket closed';
    return this.#error('CONNECTION_LOST', `connection lost (${reason})`, true, cause);
  }

  /** A failure on the established session: CONNECTION_LOST when the connection is gone, else mapped. */
  #sessionError(error: unknown): MailServiceError {
    if (error instanceof MailServiceError) return error;
    if (this.#lost || !this.#client.usable) {
      this.#lostCause ??= error;
      return this.#lostError();
    }
    return toImapError(error, { ...this.#context(), phase: 'session' });
  }

  #context() {
    return { mailboxId: this.#mailboxId, where: this.#init.where, user: this.#settings.user };
  }
}
