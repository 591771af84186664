/**
 * The completeness check as a decision (issue 15 point 4): given what the server holds and what the journal has
 * examined, which messages were missed. Pure: the runtime lists the server, reads the journal and carries the
 * verdict out (examines the missed ones at once, counts them, degrades health).
 *
 * A message counts as examined when the journal knows its key (any status: discovered, handled, unmatched, dead
 * letter), when it is in flight in this process, or — IMAP — when its UID is at or below the folder's
 * `examinedThrough` under the same UIDVALIDITY (the server ruled it out with the rules' SEARCH filter) and the
 * listing is not itself filtered (a filtered listing holds only hits, which the journal must know). Anything else
 * is unexamined; it is *missed* once it has stayed unexamined for `missedAfterMs` since a check first saw it, which
 * leaves room for a message that discovery is just about to hand on.
 *
 * @module
 */

/**
 * A message as a server listing gives it (the contract's `ListedMessage` fits).
 *
 * @example
 * ```ts
 * const listed: CheckedMessage = { key: 'imap:INBOX:7:42', folder: 'INBOX', uidValidity: '7', uid: 42 };
 * ```
 */
export interface CheckedMessage {
  readonly key: string;
  readonly folder?: string;
  readonly uidValidity?: string;
  readonly uid?: number;
}

/**
 * What the check compares.
 *
 * @example
 * ```ts
 * const input: CompletenessInput<CheckedMessage> = {
 *   listed: [{ key: 'pop3:a' }], known: () => false, inFlight: new Set(), examinedThrough: () => 0,
 *   firstSeen: new Map(), now: 10_000, missedAfterMs: 120_000,
 * };
 * ```
 */
export interface CompletenessInput<M extends CheckedMessage> {
  readonly listed: readonly M[];
  /** Whether the journal has a record of this key. */
  readonly known: (key: string) => boolean;
  /** Keys being processed in this process right now. */
  readonly inFlight: ReadonlySet<string>;
  /** Keys `startAt` leaves out (issue 15 point 3): never examined, and not missed either. */
  readonly leftOut?: (key: string) => boolean;
  /** IMAP: the highest UID of the folder under this UIDVALIDITY that the server ruled out for the rules (0: none). */
  readonly examinedThrough: (folder: string, uidValidity: string) => number;
  /**
   * The listing holds only the hits of the rules' SEARCH filter: each must be in the journal, whatever the examined
   * ranges say (a range covers the hits it delivered too).
   */
  readonly filtered?: boolean;
  /** When an earlier check first saw each key unexamined (the previous verdict's `firstSeen`). */
  readonly firstSeen: ReadonlyMap<string, number>;
  readonly now: number;
  /** How long a message may stay unexamined before it counts as missed. */
  readonly missedAfterMs: number;
}

/**
 * The verdict of one check.
 *
 * @example
 * ```ts
 * const verdict = compareListing(input);
 * if (verdict.missed.length > 0) session.examine(verdict.missed.map((m) => m.ref));
 * ```
 */
export interface CompletenessVerdict<M extends CheckedMessage> {
  /** Unexamined for longer than the bound: to be examined at once, counted and logged. */
  readonly missed: readonly M[];
  /** Unexamined, but within the bound (discovery may be about to hand them on). */
  readonly waiting: readonly M[];
  /** The state for the next check: when each still unexamined key was first seen. */
  readonly firstSeen: ReadonlyMap<string, number>;
  /** When the next check should run at the latest to judge the waiting ones (`null`: none waiting). */
  readonly recheckAt: number | null;
}

/**
 * Whether the journal or this process has examined a listed message.
 *
 * @example
 * ```ts
 * isExamined({ key: 'imap:INBOX:7:3', folder: 'INBOX', uidValidity: '7', uid: 3 }, input); // true when examinedThrough is ≥ 3
 * ```
 */
export function isExamined(
  message: CheckedMessage,
  input: Pick<CompletenessInput<CheckedMessage>, 'known' | 'inFlight' | 'examinedThrough' | 'filtered' | 'leftOut'>,
): boolean {
  if (input.inFlight.has(message.key) || input.known(message.key)) return true;
  if (input.leftOut?.(message.key)) return true;
  if (input.filtered) return false;
  const { folder, uidValidity, uid } = message;
  if (folder === undefined || uidValidity === undefined || uid === undefined) return false;
  return uid <= input.examinedThrough(folder, uidValidity);
}

/**
 * Compares a server listing with what was examined: which messages are missed, which wait within the bound.
 *
 * @example
 * ```ts
 * const first = compareListing({ ...input, now: 0 });        // waiting: [pop3:a], missed: []
 * const later = compareListing({ ...input, now: 120_000, firstSeen: first.firstSeen }); // missed: [pop3:a]
 * ```
 */
export function compareListing<M extends CheckedMessage>(input: CompletenessInput<M>): CompletenessVerdict<M> {
  const missed: M[] = [];
  const waiting: M[] = [];
  const firstSeen = new Map<string, number>();
  let recheckAt: number | null = null;
  for (const message of input.listed) {
    if (isExamined(message, input)) continue;
    const since = input.firstSeen.get(message.key) ?? input.now;
    firstSeen.set(message.key, since);
    const due = since + input.missedAfterMs;
    if (input.now >= due) {
      missed.push(message);
    } else {
      waiting.push(message);
      recheckAt = recheckAt === null ? due : Math.min(recheckAt, due);
    }
  }
  return { missed, waiting, firstSeen, recheckAt };
}
