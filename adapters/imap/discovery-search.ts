/**
 * The SEARCH step of a discovery pass: which UIDs to fetch and deliver, plain or asking the server first with the
 * rules' filter (issue 12 point 3). Takes the search as a function, so the command sequence is testable without a
 * server.
 *
 * @module
 */
import type { SearchFilter } from '../contract.js';
import { type SimpleFilter, simplifyFilter, withFilter } from './search-filter.js';

// What makes a candidate besides its UID: unread (S5) and `startAt: <date>` (imapflow sends YOUNGER, exact to the
// second per RFC 5032, where the server has WITHIN as Dovecot does; else SINCE, which is date-granular).
function candidateCriteria(unreadOnly: boolean, since: Date | null): Record<string, unknown> {
  return { ...(unreadOnly ? { seen: false } : {}), ...(since ? { since } : {}) };
}

/**
 * The search of a discovery pass: every candidate (UNSEEN with `unreadOnly`, else ALL) on a full pass, only
 * UIDs above the highest one seen in this session otherwise.
 *
 * @example
 * ```ts
 * discoverySearch(true, 41); // { seen: false, uid: '42:*' }
 * discoverySearch(false, null, new Date('2026-11-01')); // { since: 2026-11-01T00:00:00.000Z }
 * ```
 */
export function discoverySearch(
  unreadOnly: boolean,
  aboveUid: number | null,
  since: Date | null = null,
): Record<string, unknown> {
  const unread = candidateCriteria(unreadOnly, since);
  if (aboveUid === null) return Object.keys(unread).length > 0 ? unread : { all: true };
  return { ...unread, uid: `${aboveUid + 1}:*` };
}

/**
 * A filter worth sending: `null` when it selects everything (the plain path is cheaper).
 *
 * @example
 * ```ts
 * effectiveFilter({ op: 'all' }); // null
 * ```
 */
export function effectiveFilter(filter: SearchFilter | undefined): SimpleFilter | null {
  if (filter === undefined) return null;
  const simple = simplifyFilter(filter);
  return simple.op === 'all' ? null : simple;
}

/** UID SEARCH: the UIDs found, or false when the server refused the search (NO/BAD). */
export type UidSearch = (query: Record<string, unknown>) => Promise<number[] | false>;

/**
 * What a pass delivers: `uids` in ascending order; with a filter also the examined range (`candidates` UIDs in
 * `fromUid..throughUid`, of which `uids` are the hits); `refused` when the server refused the filtered search.
 *
 * @example
 * ```ts
 * const plan: DiscoveryPlan = { uids: [7], examined: { fromUid: 1, throughUid: 9, candidates: 9, hits: 1 } };
 * ```
 */
export interface DiscoveryPlan {
  readonly uids: number[];
  readonly examined?: { fromUid: number; throughUid: number; candidates: number; hits: number };
  /** With a filter: every candidate UID of the range (to split the examined range where the sink wants). */
  readonly candidateUids?: readonly number[];
  readonly refused?: true;
}

function above(found: readonly number[], aboveUid: number | null): number[] {
  // `UID n:*` always matches the highest UID, even below n (RFC 3501 §6.4.8): keep only the new ones.
  return [...new Set(found)].filter((uid) => aboveUid === null || uid > aboveUid).sort((a, b) => a - b);
}

/**
 * Plans one pass. Without a filter: one SEARCH of the candidates. With one: the candidates' SEARCH (UIDs only),
 * then the candidates AND the filter within `fromUid..throughUid` of what the first found, so a message arriving
 * between the two searches is left to the next pass instead of counting as a hit outside the range.
 *
 * @example
 * ```ts
 * const plan = await planDiscovery((q) => client.search(q, { uid: true }), { unreadOnly: false, aboveUid: null,
 *   filter: { op: 'header', field: 'subject', contains: 'invoice' } });
 * ```
 */
export async function planDiscovery(
  search: UidSearch,
  pass: {
    readonly unreadOnly: boolean;
    readonly aboveUid: number | null;
    readonly filter: SimpleFilter | null;
    readonly since?: Date | null;
  },
): Promise<DiscoveryPlan | false> {
  const candidatesQuery = discoverySearch(pass.unreadOnly, pass.aboveUid, pass.since ?? null);
  const found = await search(candidatesQuery);
  if (!Array.isArray(found)) return false;
  const candidates = above(found, pass.aboveUid);
  const filter = pass.filter;
  if (filter === null || candidates.length === 0) return { uids: candidates };
  const fromUid = (pass.aboveUid ?? 0) + 1;
  const throughUid = candidates.at(-1)!;
  const range = { fromUid, throughUid, candidates: candidates.length };
  if (filter.op === 'none') return { uids: [], examined: { ...range, hits: 0 }, candidateUids: candidates };
  const unread = candidateCriteria(pass.unreadOnly, pass.since ?? null);
  const hitsFound = await search(withFilter({ ...unread, uid: `${fromUid}:${throughUid}` }, filter));
  if (!Array.isArray(hitsFound)) return { uids: candidates, refused: true };
  const hits = above(hitsFound, pass.aboveUid).filter((uid) => uid <= throughUid);
  return { uids: hits, examined: { ...range, hits: hits.length }, candidateUids: candidates };
}

/**
 * The examined range of a plan as the sink wants it: split at `through` (what earlier sessions reported), so a
 * full pass after a reconnect reports what was examined before and what is new as two ranges.
 *
 * @example
 * ```ts
 * splitExamined(plan, 9_000); // [{ fromUid: 1, throughUid: 9000, … }, { fromUid: 9001, throughUid: 10000, … }]
 * ```
 */
export function splitExamined(
  plan: DiscoveryPlan,
  through: number,
): { fromUid: number; throughUid: number; candidates: number; hits: number }[] {
  const examined = plan.examined;
  if (!examined) return [];
  if (through < examined.fromUid || through >= examined.throughUid || !plan.candidateUids) return [examined];
  const part = (from: number, to: number) => ({
    fromUid: from,
    throughUid: to,
    candidates: plan.candidateUids!.filter((uid) => uid >= from && uid <= to).length,
    hits: plan.uids.filter((uid) => uid >= from && uid <= to).length,
  });
  return [part(examined.fromUid, through), part(through + 1, examined.throughUid)];
}
