/**
 * Retention policy (issue 16, part 3), pure: which journal positions a retention pass may remove, and the bounds of
 * a pass. The stores apply the same rule in their own query language (SQL in `sqlite-store.ts` and
 * `postgres-store.ts`); {@link prunablePositions} is the rule written once over a list of events, used by the memory
 * store and as the reference the contract test holds every store to.
 *
 * The rule, and why it is safe:
 * - Only positions a checkpoint covers go: a start reads the snapshot and folds only what follows it, so it never
 *   needs them. The bound is the older of the two snapshots a store keeps ({@link retentionBound}): if the newest
 *   one is damaged, a start falls back to the older one, and everything after that one is still there.
 * - Only events older than `retain`.
 * - Of messages, only finished ones (newest event `message.handled` or `message.unmatched`), and all of their events
 *   at once: never a message in flight or dead-lettered, whose steps a start or `dead-letters retry` still needs.
 * - Lifecycle events (`mailbox.*`) in range go too.
 * - Never the newest event of a stream: positions and stream versions are "highest stored", so they keep counting.
 *
 * @module
 */
import type { StoredEvent } from './events.js';
import { FINISHED_MESSAGE_TYPES, type JournalSnapshot, type PruneRequest } from './store.js';

/**
 * Most events one delete statement removes: an appender waits at most for one such batch (a few ms in SQLite).
 *
 * @example
 * ```ts
 * await store.pruneEvents({ ...bounds, batchSize: PRUNE_BATCH });
 * ```
 */
export const PRUNE_BATCH = 5_000;

/**
 * The positions `request` lets go of in `events` (in position order; `undefined` entries are already removed).
 *
 * @example
 * ```ts
 * prunablePositions(await store.read(), { throughPosition: 10, before: Date.now(), at: Date.now(), batchSize: 1 });
 * ```
 */
export function prunablePositions(
  events: readonly (StoredEvent | undefined)[],
  request: Pick<PruneRequest, 'throughPosition' | 'before'>,
): number[] {
  const newestOfStream = new Map<string, number>();
  const newestOfMessage = new Map<string, StoredEvent>();
  for (const event of events) {
    if (event === undefined) continue;
    newestOfStream.set(event.mailboxId, event.position);
    const key = (event as { key?: string }).key;
    if (key !== undefined) newestOfMessage.set(`${event.mailboxId}\u0000${key}`, event);
  }
  const inRange = (event: StoredEvent) => event.position <= request.throughPosition && event.at < request.before;
  const out: number[] = [];
  for (const event of events) {
    if (event === undefined || !inRange(event) || newestOfStream.get(event.mailboxId) === event.position) continue;
    const key = (event as { key?: string }).key;
    if (key === undefined) {
      if (event.type.startsWith('mailbox.')) out.push(event.position);
      continue;
    }
    const newest = newestOfMessage.get(`${event.mailboxId}\u0000${key}`)!;
    if (FINISHED_MESSAGE_TYPES.includes(newest.type) && inRange(newest)) out.push(event.position);
  }
  return out;
}

/**
 * The bounds of a retention pass at `now`, or `undefined` when nothing may go yet (retention off, or fewer than two
 * snapshots: the older of the two kept is the highest position a pass may reach, see the module doc).
 *
 * @example
 * ```ts
 * const newest = await store.latestSnapshot();
 * const older = newest && (await store.latestSnapshot(newest.position));
 * const request = retentionBound({ older, now: Date.now(), retainMs: 90 * 86_400_000 });
 * if (request) await store.pruneEvents(request);
 * ```
 */
export function retentionBound(input: {
  readonly older: Pick<JournalSnapshot, 'position'> | undefined;
  readonly now: number;
  readonly retainMs: number | undefined;
}): PruneRequest | undefined {
  if (input.retainMs === undefined || input.older === undefined || input.older.position < 1) return undefined;
  return {
    throughPosition: input.older.position,
    before: input.now - input.retainMs,
    at: input.now,
    batchSize: PRUNE_BATCH,
  };
}
