/**
 * The compact handled set (issue 16, part 2): which finished messages a mailbox had, without a record per message.
 * IMAP keys (`imap:<folder>:<uidvalidity>:<uid>`) go into sorted UID ranges per folder and UIDVALIDITY ("everything
 * in 1:9000 is done"), so a mailbox whose messages finish in UID order holds one range however long its history;
 * any other key (POP3 UIDLs, MAPI entry ids) is kept as it is, and a POP3 key can be forgotten once the server no
 * longer lists it. The message projection moves a record here once it is finished and has left the recent window;
 * the exceptions (in flight, failed, dead-lettered, retried) stay full records there.
 *
 * @module
 */

/**
 * A folder and UIDVALIDITY plus a UID, read from an IMAP key; `undefined` for keys of other services.
 *
 * @example
 * ```ts
 * parseImapKey('imap:Lists:Work:7:42'); // { epoch: 'Lists:Work\u00007', uid: 42 }
 * parseImapKey('pop3:abc');             // undefined
 * ```
 */
export function parseImapKey(key: string): { readonly epoch: string; readonly uid: number } | undefined {
  if (!key.startsWith('imap:')) return undefined;
  // The folder may contain ':', UIDVALIDITY and UID never do: split from the right.
  const last = key.lastIndexOf(':');
  const middle = key.lastIndexOf(':', last - 1);
  if (middle <= 4) return undefined;
  const uid = Number(key.slice(last + 1));
  const uidValidity = key.slice(middle + 1, last);
  if (!Number.isSafeInteger(uid) || uid < 1 || !/^\d+$/.test(uidValidity)) return undefined;
  return { epoch: `${key.slice(5, middle)}\0${uidValidity}`, uid };
}

/**
 * Disjoint, sorted, closed UID ranges in one flat array (`[from1, through1, from2, through2, …]`): adding the next
 * UID of a run extends the last range in place, so memory follows the number of gaps, not of UIDs.
 *
 * @example
 * ```ts
 * const r = new UidRanges();
 * r.add(1); r.add(2); r.add(4);
 * r.has(2); r.toJSON(); // true, [1, 2, 4, 4]
 * ```
 */
export class UidRanges {
  #r: number[];

  constructor(flat: readonly number[] = []) {
    this.#r = [...flat];
  }

  /** How many ranges (the memory this set takes, in pairs of numbers). */
  get ranges(): number {
    return this.#r.length / 2;
  }

  has(uid: number): boolean {
    const i = this.#find(uid);
    return i >= 0 && uid <= this.#r[i + 1]!;
  }

  add(uid: number): void {
    const r = this.#r;
    const i = this.#find(uid); // the range starting at or before uid, or -2
    if (i >= 0 && uid <= r[i + 1]!) return;
    const joinsLeft = i >= 0 && r[i + 1] === uid - 1;
    const next = i + 2;
    const joinsRight = next < r.length && r[next] === uid + 1;
    if (joinsLeft && joinsRight) {
      r[i + 1] = r[next + 1]!;
      r.splice(next, 2);
    } else if (joinsLeft) r[i + 1] = uid;
    else if (joinsRight) r[next] = uid;
    else r.splice(next, 0, uid, uid);
  }

  /** The flat array, for snapshots. */
  toJSON(): number[] {
    return [...this.#r];
  }

  /** Index of the range whose start is the greatest one <= uid (a multiple of 2), or -2 when none. */
  #find(uid: number): number {
    const r = this.#r;
    // The common case, UIDs finishing in order: the last range.
    if (r.length > 0 && r[r.length - 2]! <= uid) return r.length - 2;
    let lo = 0;
    let hi = r.length / 2 - 1;
    let found = -2;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (r[mid * 2]! <= uid) {
        found = mid * 2;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }
}

/**
 * The snapshot form of a {@link CompactHandledSet}.
 *
 * @example
 * ```ts
 * const state: CompactHandledState = { ranges: [['INBOX\u00007', [1, 9000]]], keys: ['pop3:abc'] };
 * ```
 */
export interface CompactHandledState {
  readonly ranges: readonly (readonly [string, readonly number[]])[];
  readonly keys: readonly string[];
}

/**
 * Keys of finished messages, compact: UID ranges per folder and UIDVALIDITY for IMAP, the key itself for others.
 *
 * @example
 * ```ts
 * const done = new CompactHandledSet();
 * done.add('imap:INBOX:7:1'); done.add('imap:INBOX:7:2'); done.add('pop3:abc');
 * done.has('imap:INBOX:7:2'); // true
 * done.size;                  // { ranges: 1, keys: 1 }
 * ```
 */
export class CompactHandledSet {
  readonly #ranges = new Map<string, UidRanges>();
  readonly #keys = new Set<string>();

  /** What the set holds: UID ranges and plain keys (both independent of how many messages the ranges cover). */
  get size(): { readonly ranges: number; readonly keys: number } {
    let ranges = 0;
    for (const r of this.#ranges.values()) ranges += r.ranges;
    return { ranges, keys: this.#keys.size };
  }

  add(key: string): void {
    const imap = parseImapKey(key);
    if (imap === undefined) {
      this.#keys.add(key);
      return;
    }
    let ranges = this.#ranges.get(imap.epoch);
    if (ranges === undefined) {
      ranges = new UidRanges();
      this.#ranges.set(imap.epoch, ranges);
    }
    ranges.add(imap.uid);
  }

  has(key: string): boolean {
    const imap = parseImapKey(key);
    if (imap === undefined) return this.#keys.has(key);
    return this.#ranges.get(imap.epoch)?.has(imap.uid) ?? false;
  }

  /**
   * The plain keys (POP3 UIDLs, MAPI ids) not in `present`: handled messages the server no longer lists.
   *
   * @example
   * ```ts
   * done.absent(new Set(['pop3:still-there'])); // ['pop3:deleted-since']
   * ```
   */
  absent(present: ReadonlySet<string>): string[] {
    return [...this.#keys].filter((key) => !present.has(key));
  }

  /**
   * Drops keys (a `mailbox.forgotten` event: gone from the server, they never come back). Returns how many it held.
   *
   * @example
   * ```ts
   * done.forget(['pop3:deleted-since']); // 1
   * ```
   */
  forget(keys: readonly string[]): number {
    let forgotten = 0;
    for (const key of keys) if (this.#keys.delete(key)) forgotten++;
    return forgotten;
  }

  toJSON(): CompactHandledState {
    return { ranges: [...this.#ranges].map(([epoch, r]) => [epoch, r.toJSON()] as const), keys: [...this.#keys] };
  }

  /**
   * A set from its snapshot form.
   *
   * @example
   * ```ts
   * const copy = CompactHandledSet.from(done.toJSON());
   * ```
   */
  static from(state: CompactHandledState): CompactHandledSet {
    const set = new CompactHandledSet();
    for (const [epoch, flat] of state.ranges) set.#ranges.set(epoch, new UidRanges(flat));
    for (const key of state.keys) set.#keys.add(key);
    return set;
  }
}
