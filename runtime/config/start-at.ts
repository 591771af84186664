/**
 * `startAt` (issue 15 point 3, safe first runs): which of the messages already in a mailbox its first pass handles.
 * `all` is SPEC S5's behaviour (every candidate); `new` only what arrives after the mailbox was first started (a
 * baseline journaled once, see runtime/first-start.ts); a date, what arrived since it.
 *
 * @module
 */

/**
 * A resolved `startAt`: `since` is milliseconds since the epoch (a plain date is UTC midnight of that day).
 *
 * @example
 * ```ts
 * const startAt: StartAt = { kind: 'since', since: Date.UTC(2026, 10, 1), text: '2026-11-01' };
 * ```
 */
export type StartAt =
  | { readonly kind: 'all' }
  | { readonly kind: 'new' }
  | { readonly kind: 'since'; readonly since: number; readonly text: string };

// A date, or a date-time with seconds optional and a zone required (a zone-less time would depend on the host).
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** What a bad `startAt` is told (the config error names the mailbox and the field). */
export const START_AT_EXPECTED =
  'expected all, new, an ISO date (2026-11-01) or an ISO date-time with a zone (2026-11-01T08:00:00Z)';

/**
 * Parses a `startAt` value; `undefined` when it is none of `all`, `new`, an ISO date or date-time (with a zone).
 *
 * @example
 * ```ts
 * parseStartAt('new'); // { kind: 'new' }
 * parseStartAt('2026-11-01'); // { kind: 'since', since: 1793491200000, text: '2026-11-01' }
 * parseStartAt('yesterday'); // undefined
 * ```
 */
export function parseStartAt(value: unknown): StartAt | undefined {
  if (value === 'all') return { kind: 'all' };
  if (value === 'new') return { kind: 'new' };
  if (typeof value !== 'string') return undefined;
  const isDate = ISO_DATE.test(value);
  if (!isDate && !ISO_DATE_TIME.test(value)) return undefined;
  const since = Date.parse(isDate ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(since)) return undefined;
  // Date.parse rolls 2026-02-30 over to March: a date that does not round-trip does not exist.
  if (isDate && new Date(since).toISOString().slice(0, 10) !== value) return undefined;
  return { kind: 'since', since, text: value };
}

/**
 * How a `startAt` is written back for people (logs, validate).
 *
 * @example
 * ```ts
 * describeStartAt({ kind: 'new' }); // 'new'
 * ```
 */
export function describeStartAt(startAt: StartAt): string {
  return startAt.kind === 'since' ? startAt.text : startAt.kind;
}
