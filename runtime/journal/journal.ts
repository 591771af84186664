/**
 * The journal: a {@link JournalStore} plus the projections derived from it. The store is the truth; the projections
 * are rebuilt from it on `open()` and updated after every append the store accepted.
 *
 * Checkpoints (issue 16): `open()` starts from the store's latest snapshot when it can (decoded by `snapshot.ts`,
 * the projections restored, only the events after its position folded); an unknown or damaged snapshot is logged
 * through `onSnapshotIgnored`, the one before it is tried, and else the whole journal is folded. `writeSnapshot()`
 * saves the projections as they are; `checkpointer.ts` decides when.
 *
 * (Over 400 lines: opening, restoring, catching up and appending share the position, the stream versions and the
 * projections, which must change together; the format, the schedule and retention live in their own files.)
 *
 * @module
 */
import type { HandledLookup, MessageIdentity } from '../../machines/message/identity.js';
import type { JournalEvent, StoredEvent } from './events.js';
import { MailboxProjection } from './mailbox-projection.js';
import { MessageProjection, type MessageRecord, RECENT_FINISHED } from './message-projection.js';
import type { Projection, SnapshotCapable } from './projection.js';
import { decodeSnapshot, encodeSnapshot, type SnapshotProjections } from './snapshot.js';
import { type AppendOptions, isJournalConflictError, type JournalSnapshot, type JournalStore } from './store.js';

/**
 * Events a person writes from another process (the CLI) into a mailbox's stream while the service runs. They never
 * compete with the service's own processing, so an append that conflicts only with them is retried.
 */
const OPERATOR_EVENTS: ReadonlySet<string> = new Set(['message.retryRequested']);

/**
 * Options of {@link Journal}.
 *
 * @example
 * ```ts
 * const limiter = new AutoReplyLimiter({ max: 5, windowMs: 86_400_000 });
 * const journal = await Journal.open(store, { projections: [limiter] });
 * ```
 */
export interface JournalOptions {
  /** More projections to keep up to date (rebuilt on open, fed every append), e.g. the auto-reply limiter. */
  readonly projections?: readonly Projection[];
  /** Events per read while rebuilding. Default 10,000. */
  readonly pageSize?: number;
  /**
   * Pass the known version of every stream an append touches as its expected version (default `true`), so a second
   * process writing the same mailbox's stream makes one of the two fail with `JournalConflictError` instead of both
   * handling the mailbox's messages.
   */
  readonly guardStreams?: boolean;
  /** Called when a subscriber throws. Default: rethrown asynchronously (an uncaught exception, like an emitter's). */
  readonly onListenerError?: (error: unknown) => void;
  /**
   * Finished messages per mailbox kept as full records (default `RECENT_FINISHED` of message-projection.ts); tests
   * make it small to see compaction. A snapshot taken with another window is not used.
   */
  readonly recentFinished?: number;
  /** Called when `open()` does not use a stored snapshot (unknown version, damaged): a log line. Default: nothing. */
  readonly onSnapshotIgnored?: (info: { readonly position: number; readonly reason: string }) => void;
}

/** An append waiting in the group-commit queue. */
interface QueuedAppend {
  readonly events: readonly JournalEvent[];
  readonly options: AppendOptions;
  readonly resolve: (stored: readonly StoredEvent[]) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Receives stored events after the projections took them in, in position order.
 *
 * @example
 * ```ts
 * const listener: JournalListener = (events) => events.forEach((e) => events$.next(e));
 * ```
 */
export type JournalListener = (events: readonly StoredEvent[]) => void;

/**
 * The event journal of mail-autopilot. Appends are serialised (in call order), so projections and listeners see
 * events in position order; appends made while a write is under way are combined into the next write (group commit).
 *
 * @example
 * ```ts
 * const journal = await Journal.open(new SqliteJournalStore('./autopilot.db'));
 * if (!journal.isHandled(message.identity)) {
 *   await journal.append([{ type: 'message.discovered', mailboxId: 'support', at: Date.now(),
 *     key: message.identity.key, messageId: message.identity.messageId }]);
 * }
 * journal.messages.deadLetters();          // the dead-letter list
 * journal.mailboxes.get('support')?.state; // last journaled state
 * await journal.close();
 * ```
 */
export class Journal implements HandledLookup {
  #messages: MessageProjection;
  #mailboxes = new MailboxProjection();
  readonly store: JournalStore;
  readonly #onSnapshotIgnored: (info: { readonly position: number; readonly reason: string }) => void;
  readonly #recentFinished: number;
  /** The position of the snapshot `open()` started from (0: folded from the start). */
  #restoredFrom = 0;
  readonly #extra: readonly Projection[];
  readonly #pageSize: number;
  readonly #guardStreams: boolean;
  readonly #onListenerError: (error: unknown) => void;
  readonly #listeners = new Set<JournalListener>();
  /** Stream versions as far as applied events tell. */
  readonly #versions = new Map<string, number>();
  #position = 0;
  #opened = false;
  #tail: Promise<unknown> = Promise.resolve();
  /** Appends waiting for the next store write (group commit). */
  readonly #queue: QueuedAppend[] = [];

  constructor(store: JournalStore, options: JournalOptions = {}) {
    this.store = store;
    this.#extra = options.projections ?? [];
    this.#pageSize = options.pageSize ?? 10_000;
    this.#guardStreams = options.guardStreams ?? true;
    this.#onSnapshotIgnored = options.onSnapshotIgnored ?? (() => undefined);
    this.#messages = new MessageProjection({ recentFinished: options.recentFinished ?? RECENT_FINISHED });
    this.#recentFinished = options.recentFinished ?? RECENT_FINISHED;
    this.#onListenerError =
      options.onListenerError ??
      ((error) =>
        queueMicrotask(() => {
          throw error;
        }));
  }

  /**
   * Creates a journal on the store and rebuilds its projections.
   *
   * @example
   * ```ts
   * const journal = await Journal.open(new MemoryJournalStore());
   * ```
   */
  static async open(store: JournalStore, options?: JournalOptions): Promise<Journal> {
    return new Journal(store, options).open();
  }

  /** Per-message status, handled set, settled actions, dead letters, in-flight steps. */
  get messages(): MessageProjection {
    return this.#messages;
  }

  /** Per-mailbox state and counters. */
  get mailboxes(): MailboxProjection {
    return this.#mailboxes;
  }

  /** The position of the last event the projections have seen (0 before any). */
  get position(): number {
    return this.#position;
  }

  /** The position of the snapshot `open()` started from; 0 when it folded the whole journal. */
  get restoredFrom(): number {
    return this.#restoredFrom;
  }

  /**
   * Whether snapshots can hold every projection of this journal: each extra projection must be
   * {@link SnapshotCapable}; one that is not makes the journal fold from the start and write no snapshot.
   *
   * @example
   * ```ts
   * if (journal.canSnapshot) new Checkpointer(journal, settings).start();
   * ```
   */
  get canSnapshot(): boolean {
    return this.#extra.every(isSnapshotCapable);
  }

  /**
   * The projections as they are now, encoded (`snapshot.ts`), with the position they cover. Synchronous, so the
   * state and the position belong together; the bytes are the caller's to store.
   *
   * @example
   * ```ts
   * const { position, data } = journal.snapshot();
   * ```
   */
  snapshot(): { readonly position: number; readonly data: Uint8Array } {
    if (!this.canSnapshot) throw new Error('journal has a projection that cannot be saved in a snapshot');
    const extra: Record<string, unknown> = {};
    for (const projection of this.#extra as readonly SnapshotCapable[]) {
      extra[projection.snapshotKey] = projection.exportState();
    }
    const projections: SnapshotProjections = {
      messages: this.#messages.exportState(),
      mailboxes: this.#mailboxes.exportState(),
      extra,
    };
    return { position: this.#position, data: encodeSnapshot(this.#position, projections) };
  }

  /**
   * Takes a snapshot and stores it. Resolves with its position.
   *
   * @example
   * ```ts
   * await journal.writeSnapshot(Date.now());
   * ```
   */
  async writeSnapshot(at: number): Promise<number> {
    const { position, data } = this.snapshot();
    await this.store.writeSnapshot({ position, at, data });
    return position;
  }

  /**
   * Rebuilds the projections by reading the whole store. Call once, before the first append.
   *
   * @example
   * ```ts
   * const journal = await new Journal(store).open();
   * ```
   */
  async open(): Promise<this> {
    if (this.#opened) throw new Error('journal is already open');
    this.#opened = true;
    if (this.canSnapshot) await this.#restore();
    await this.#catchUp(Number.POSITIVE_INFINITY, false);
    return this;
  }

  /** Starts the projections from the newest usable snapshot (the newest, else the one before it). */
  async #restore(): Promise<void> {
    let stored: JournalSnapshot | undefined = await this.store.latestSnapshot();
    for (let tries = 0; stored !== undefined && tries < 2; tries++) {
      const reason = this.#tryRestore(stored);
      if (reason === undefined) return;
      this.#onSnapshotIgnored({ position: stored.position, reason });
      stored = await this.store.latestSnapshot(stored.position);
    }
  }

  /** Restores from one snapshot; the reason when it cannot be used (then nothing changed). */
  #tryRestore(stored: JournalSnapshot): string | undefined {
    const decoded = decodeSnapshot(stored.data, stored.position);
    if (!decoded.ok) return decoded.reason;
    const { projections } = decoded.content;
    if (projections.messages?.recentFinished !== this.#recentFinished) {
      return `its recent window (${projections.messages?.recentFinished}) is not this journal's (${this.#recentFinished})`;
    }
    try {
      const messages = MessageProjection.fromState(projections.messages);
      const mailboxes = MailboxProjection.fromState(projections.mailboxes);
      const extra = this.#extra as readonly SnapshotCapable[];
      const missing = extra.find((p) => !Object.hasOwn(projections.extra, p.snapshotKey));
      if (missing) return `it has no state for projection ${JSON.stringify(missing.snapshotKey)}`;
      // Each importState checks before it changes anything, but a later one can still refuse: check all first.
      const restores = extra.map((p) => p.prepareState(projections.extra[p.snapshotKey]));
      for (const restore of restores) restore();
      this.#messages = messages;
      this.#mailboxes = mailboxes;
    } catch (error) {
      return `its projections do not fit (${(error as Error).message})`;
    }
    for (const status of this.#mailboxes.all()) this.#versions.set(status.mailboxId, status.version);
    this.#position = stored.position;
    this.#restoredFrom = stored.position;
    return undefined;
  }

  /**
   * Appends events (atomically) and, once the store accepted them, updates the projections and tells subscribers.
   * Resolves with the stored events. With `guardStreams`, every touched stream is expected at the version this
   * journal knows unless `options.expectedVersion` names it; a `JournalConflictError` then means another process
   * writes this mailbox's stream (stop, or `refresh()` first if that writer was expected). A rejected append changes
   * nothing, and later appends still run.
   *
   * @example
   * ```ts
   * await journal.append([{ type: 'handler.started', mailboxId: 'support', at: Date.now(), key, messageId,
   *   rule: 'bounces', attempt: 1 }]);
   * ```
   */
  append(events: readonly JournalEvent[], options: AppendOptions = {}): Promise<readonly StoredEvent[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ events, options, resolve, reject });
      // One write per group: appends made while a write is under way wait for it and then go out together.
      if (this.#queue.length === 1) this.#tail = this.#tail.then(() => this.#flush());
    });
  }

  /**
   * Writes every queued append: consecutive ones without their own expected versions as one store append (group
   * commit, issue 12: one durable write for the facts of many messages), the others alone. When a group's write is
   * refused, its appends are tried one by one, so one bad append fails alone.
   */
  async #flush(): Promise<void> {
    const queued = this.#queue.splice(0);
    let i = 0;
    while (i < queued.length) {
      const group = [queued[i]!];
      if (queued[i]!.options.expectedVersion === undefined) {
        while (i + group.length < queued.length && queued[i + group.length]!.options.expectedVersion === undefined) {
          group.push(queued[i + group.length]!);
        }
      }
      i += group.length;
      if (group.length === 1) {
        const only = group[0]!;
        await this.#append(only.events, only.options).then(only.resolve, only.reject);
        continue;
      }
      try {
        const stored = await this.#append(
          group.flatMap((entry) => entry.events),
          {},
        );
        let offset = 0;
        for (const entry of group) {
          entry.resolve(stored.slice(offset, offset + entry.events.length));
          offset += entry.events.length;
        }
      } catch {
        for (const entry of group) await this.#append(entry.events, entry.options).then(entry.resolve, entry.reject);
      }
    }
  }

  /**
   * Reads events other writers appended since the last one seen (e.g. a status reader next to a running service).
   * Resolves with how many events were applied.
   *
   * @example
   * ```ts
   * setInterval(() => void journal.refresh(), 5_000).unref();
   * ```
   */
  refresh(): Promise<number> {
    const run = this.#tail.then(async () => {
      const before = this.#position;
      await this.#catchUp(Number.POSITIVE_INFINITY, true);
      return this.#position - before;
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Calls `listener` with every batch of events appended through this journal (or read by `refresh`), after the
   * projections took them in. Returns the unsubscribe function.
   *
   * @example
   * ```ts
   * const events$ = new Observable<StoredEvent>((sub) => journal.subscribe((batch) => batch.forEach((e) => sub.next(e))));
   * ```
   */
  subscribe(listener: JournalListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * {@link HandledLookup} for adapters: whether the message needs no more work (see
   * {@link MessageProjection.isHandled}).
   *
   * @example
   * ```ts
   * const service = createImapService(config, { handled: journal });
   * ```
   */
  isHandled(identity: MessageIdentity): boolean {
    return this.messages.isHandled(identity);
  }

  /**
   * Messages whose handler or action started without an outcome: what a restart must look at first.
   *
   * @example
   * ```ts
   * for (const m of journal.inFlight()) log.warn({ key: m.key, step: m.inFlight }, 'was in flight');
   * ```
   */
  inFlight(mailboxId?: string): readonly MessageRecord[] {
    return this.messages.inFlight(mailboxId);
  }

  /**
   * Waits for appends in progress, then closes the store.
   *
   * @example
   * ```ts
   * await journal.close();
   * ```
   */
  async close(): Promise<void> {
    await this.#tail;
    await this.store.close();
  }

  async #append(events: readonly JournalEvent[], options: AppendOptions): Promise<readonly StoredEvent[]> {
    for (let attempt = 0; ; attempt++) {
      const positionBefore = this.#position;
      try {
        return await this.#appendOnce(events, options);
      } catch (error) {
        // A person's request written by another process (`dead-letters retry`) moves the stream's version but is no
        // competing handler: take it in and append again. Anything else is a real conflict (two hosts, one mailbox).
        if (!isJournalConflictError(error) || options.expectedVersion !== undefined || !this.#guardStreams) throw error;
        if (attempt >= 3) throw error;
        const foreign = await this.#readForeign(positionBefore);
        if (foreign.length === 0 || !foreign.every((event) => OPERATOR_EVENTS.has(event.type))) throw error;
        await this.#catchUp(Number.POSITIVE_INFINITY, true);
      }
    }
  }

  /** Events other writers appended after `position` (what a conflict was about). */
  async #readForeign(position: number): Promise<readonly StoredEvent[]> {
    return this.store.read({ fromPosition: position + 1 });
  }

  async #appendOnce(events: readonly JournalEvent[], options: AppendOptions): Promise<readonly StoredEvent[]> {
    if (!this.#opened) throw new Error('journal is not open: call open() first');
    let expectedVersion = options.expectedVersion;
    if (this.#guardStreams) {
      const guarded: Record<string, number> = {};
      for (const event of events) guarded[event.mailboxId] = this.#versions.get(event.mailboxId) ?? 0;
      expectedVersion = { ...guarded, ...options.expectedVersion };
    }
    const stored = await this.store.append(events, expectedVersion === undefined ? {} : { expectedVersion });
    if (stored.length === 0) return stored;
    const first = stored[0]!.position;
    const last = stored[stored.length - 1]!.position;
    if (first !== this.#position + 1) {
      // Another writer appended (to other streams) since our last event: apply its events and ours in store order,
      // so projections always equal a fold over a prefix of the store.
      await this.#catchUp(last, true);
    }
    const fresh = stored.filter((e) => e.position > this.#position);
    for (const event of fresh) this.#applyOne(event);
    if (fresh.length > 0) this.#notify(fresh);
    return stored;
  }

  /** Applies events from the store after the current position up to `until` (inclusive), page by page. */
  async #catchUp(until: number, notify: boolean): Promise<void> {
    for (;;) {
      const page = await this.store.read({ fromPosition: this.#position + 1, limit: this.#pageSize });
      let applied = 0;
      for (const event of page) {
        if (event.position > until) break;
        this.#applyOne(event);
        applied++;
      }
      if (notify && applied > 0 && this.#listeners.size > 0) this.#notify(page.slice(0, applied));
      if (page.length < this.#pageSize || applied < page.length) return;
    }
  }

  #applyOne(event: StoredEvent): void {
    this.#messages.apply(event);
    this.#mailboxes.apply(event);
    for (const projection of this.#extra) projection.apply(event);
    this.#versions.set(event.mailboxId, event.version);
    this.#position = event.position;
  }

  #notify(events: readonly StoredEvent[]): void {
    for (const listener of this.#listeners) {
      try {
        listener(events);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }
}

function isSnapshotCapable(projection: Projection): projection is SnapshotCapable {
  const p = projection as Partial<SnapshotCapable>;
  return (
    typeof p.snapshotKey === 'string' && typeof p.exportState === 'function' && typeof p.prepareState === 'function'
  );
}
