/**
 * Reads the journal the running autopilot writes, through a second connection to its SQLite file (the store
 * allows several; ARCHITECTURE.md: the journal is the truth), and waits for conditions on it with a deadline.
 *
 * @module
 */
import type { StoredEvent } from '../../runtime/journal/events.js';
import { SqliteJournalStore } from '../../runtime/journal/sqlite-store.js';

/** How often the journal is read while waiting. */
const POLL_MS = 100;

/**
 * Options of {@link JournalWatch.until}.
 *
 * @example
 * ```ts
 * const options: UntilOptions = { timeoutMs: 30_000, giveUp: () => (cliExited ? 'the autopilot ended' : undefined) };
 * ```
 */
export interface UntilOptions {
  readonly timeoutMs: number;
  /** Checked on every round: a reason to stop waiting at once (the autopilot ended, the user pressed Ctrl-C). */
  readonly giveUp?: () => string | undefined;
}

/**
 * The events of the journal, read so far, in position order.
 *
 * @example
 * ```ts
 * const watch = new JournalWatch('/tmp/mail-autopilot-demo-x/demo.db');
 * await watch.until('connected', (events) => events.find((e) => e.type === 'mailbox.connected'), { timeoutMs: 30_000 });
 * watch.close();
 * ```
 */
export class JournalWatch {
  readonly #store: SqliteJournalStore;
  readonly #events: StoredEvent[] = [];

  constructor(file: string) {
    this.#store = new SqliteJournalStore(file, { synchronous: 'NORMAL', lock: false });
  }

  /** Everything read so far. */
  get events(): readonly StoredEvent[] {
    return this.#events;
  }

  /** Reads the events appended since the last read. */
  async refresh(): Promise<readonly StoredEvent[]> {
    const last = this.#events.at(-1)?.position ?? 0;
    const fresh = await this.#store.read({ fromPosition: last + 1 });
    this.#events.push(...fresh);
    return this.#events;
  }

  /**
   * Re-reads the journal until `test` returns something other than `undefined`, and returns that. Rejects naming
   * `what` when the deadline passes or `giveUp` gives a reason.
   */
  async until<T>(
    what: string,
    test: (events: readonly StoredEvent[]) => T | undefined,
    options: UntilOptions,
  ): Promise<T> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const found = test(await this.refresh());
      if (found !== undefined) return found;
      const reason = options.giveUp?.();
      if (reason) throw new Error(`stopped waiting for ${what}: ${reason}`);
      if (Date.now() > deadline) throw new Error(`${what} did not happen within ${options.timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}
