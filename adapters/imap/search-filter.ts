/**
 * The rules' server-side pre-selection ({@link SearchFilter}, issue 12 point 3) as an imapflow search query (pure).
 * `subject`, `from`, `to` and `cc` become the SEARCH keys of that name, any other field `HEADER name value`, an
 * empty value `HEADER name ""` (the field exists, RFC 3501 §6.4.4). imapflow sends non-ASCII values as literals
 * with `CHARSET UTF-8`.
 *
 * @module
 */
import type { SearchFilter } from '../contract.js';

/** A filter after {@link simplifyFilter}: `all` and `none` only at the top, never inside. */
export type SimpleFilter = SearchFilter | { readonly op: 'none' };

/** RFC 5322 field names: printable ASCII except the colon. */
const FIELD_NAME = /^[!-9;-~]+$/;
/** Fields with a SEARCH key of their own (Dovecot matches FROM/TO/CC against the normalised address list). */
const KEYED_FIELDS = new Set(['subject', 'from', 'to', 'cc']);

/**
 * Simplifies a filter: `and`/`or` of one part is that part, `all` inside an `and` and `none` inside an `or` drop
 * out, `or` with `all` is `all`, an empty `or` is `none` (nothing can match). Throws a TypeError for a field that is
 * no header name.
 *
 * @example
 * ```ts
 * simplifyFilter({ op: 'or', of: [{ op: 'all' }, { op: 'header', field: 'subject', contains: 'x' }] }); // { op: 'all' }
 * simplifyFilter({ op: 'or', of: [] }); // { op: 'none' }
 * ```
 */
export function simplifyFilter(filter: SearchFilter): SimpleFilter {
  switch (filter.op) {
    case 'all':
    case 'size':
      return filter;
    case 'header':
      if (!FIELD_NAME.test(filter.field))
        throw new TypeError(`search filter: ${JSON.stringify(filter.field)} is no header name`);
      return filter;
    case 'not': {
      const inner = simplifyFilter(filter.of);
      if (inner.op === 'all') return { op: 'none' };
      if (inner.op === 'none') return { op: 'all' };
      return { op: 'not', of: inner };
    }
    case 'and': {
      const parts: SearchFilter[] = [];
      for (const part of filter.of.map(simplifyFilter)) {
        if (part.op === 'none') return part;
        if (part.op !== 'all') parts.push(part);
      }
      if (parts.length === 0) return { op: 'all' };
      return parts.length === 1 ? parts[0]! : { op: 'and', of: parts };
    }
    case 'or': {
      const parts: SearchFilter[] = [];
      for (const part of filter.of.map(simplifyFilter)) {
        if (part.op === 'all') return part;
        if (part.op !== 'none') parts.push(part);
      }
      if (parts.length === 0) return { op: 'none' };
      return parts.length === 1 ? parts[0]! : { op: 'or', of: parts };
    }
  }
}

type Query = Record<string, unknown>;

/** Whether two imapflow query objects can be one object (distinct keys; distinct names inside `header`). */
function mergeable(a: Query, b: Query): boolean {
  for (const key of Object.keys(b)) {
    if (!(key in a)) continue;
    if (key !== 'header') return false;
    const names = Object.keys(a.header as Query);
    if (Object.keys(b.header as Query).some((name) => names.includes(name))) return false;
  }
  return true;
}

function merge(a: Query, b: Query): Query {
  const out: Query = { ...a, ...b };
  if (a.header && b.header) out.header = { ...(a.header as Query), ...(b.header as Query) };
  return out;
}

/**
 * The imapflow search query of a simplified filter other than `all`/`none`. An `and` whose parts use different
 * keys is one object (IMAP ANDs the keys of one search); parts that repeat a key (two SUBJECTs) are written as
 * `NOT (OR (NOT a) (NOT b))`, the same set, because an object cannot hold a key twice.
 *
 * @example
 * ```ts
 * toImapSearchQuery({ op: 'or', of: [{ op: 'header', field: 'subject', contains: 'a' },
 *   { op: 'header', field: 'list-id', contains: '' }] });
 * // { or: [{ subject: 'a' }, { header: { 'list-id': '' } }] }
 * ```
 */
export function toImapSearchQuery(filter: SearchFilter): Query {
  switch (filter.op) {
    case 'all':
      return { all: true };
    case 'header': {
      const field = filter.field.toLowerCase();
      if (filter.contains !== '' && KEYED_FIELDS.has(field)) return { [field]: filter.contains };
      return { header: { [field]: filter.contains } };
    }
    case 'size':
      return {
        ...(filter.larger !== undefined ? { larger: filter.larger } : {}),
        ...(filter.smaller !== undefined ? { smaller: filter.smaller } : {}),
      };
    case 'not':
      return { not: toImapSearchQuery(filter.of) };
    case 'or':
      return { or: filter.of.map(toImapSearchQuery) };
    case 'and': {
      const parts = filter.of.map(toImapSearchQuery);
      let merged: Query = {};
      for (const part of parts) {
        if (!mergeable(merged, part)) return { not: { or: parts.map((p) => ({ not: p })) } };
        merged = merge(merged, part);
      }
      return merged;
    }
  }
}

/**
 * The candidate search of a discovery pass AND the filter, as one imapflow query.
 *
 * @example
 * ```ts
 * withFilter({ seen: false, uid: '42:*' }, { op: 'header', field: 'subject', contains: 'invoice' });
 * // { seen: false, uid: '42:*', subject: 'invoice' }
 * ```
 */
export function withFilter(candidates: Query, filter: SearchFilter): Query {
  const { all: _all, ...rest } = candidates;
  const query = toImapSearchQuery(filter);
  return mergeable(rest, query) ? merge(rest, query) : { ...rest, or: [query] };
}
