/**
 * Compiles a mailbox's rules into the server-side pre-selection of issue 12 point 3 (a {@link SearchFilter}): the
 * IMAP adapter asks the server for candidates AND this filter and fetches only the hits; the rules still run
 * locally on every hit. So the one property that matters is **superset**: every message some rule matches locally
 * must be a hit. Where that cannot be guaranteed the filter is `{ op: 'all' }` (fetch everything, as before).
 *
 * How a string test becomes SEARCH keys. IMAP SEARCH is a case-insensitive substring match on the decoded header;
 * `equals`/`startsWith`/`endsWith`/`contains` all imply "contains the value", and "contains the value" implies
 * "contains each piece of it". The value is cut into pieces at every character whose treatment may differ between
 * the local match and the server, and the test becomes the AND of its pieces:
 *
 * - white space: servers unfold and compress it differently (Dovecot's SUBJECT compresses runs of white space; the
 *   local side keeps a folded header's tab);
 * - every character outside ASCII. Case: the local match folds with JavaScript's `toLowerCase`, a server with its
 *   own tables — Dovecot 2.3.19 does not fold `ẞ`/`ß`, `Å` (U+212B)/`å`, the Georgian Mtavruli and Latin Extended-D
 *   pairs (72 pairs of the BMP), servers with an ASCII-only casemap fold none. Decoding, even of caseless text
 *   (CJK): an encoded word split inside a character (against RFC 2047 §5, seen in the wild) is joined by the
 *   local header parser, decoded word by word by Dovecot (mojibake), and turned into U+FFFD by the envelope's
 *   decoder while Dovecot decodes it otherwise. Both were found by the property test on Dovecot
 *   (test/adapters/imap/search-pushdown.int.test.ts, which pins them); ASCII survives all of it;
 * - controls, `=` and `?` (the pieces of an RFC 2047 encoded word a server may leave undecoded);
 * - in `from`/`to`/`cc`: `"`, `<`, `>`, `(`, `)` and `\`, because a server matches the address list as it writes
 *   it (Dovecot: `"Doe, John" <j@x>`, quoted and escaped) while the rule sees `Doe, John <j@x>`.
 *
 * `size` becomes LARGER/SMALLER (the same RFC822.SIZE the rule compares); `attachment` and `body` compile to `all`
 * (SEARCH BODY matches any part, raw, which is not the rule's test of the text part).
 *
 * A test with no piece left, a regex, `not` (the server's "does not contain" is not a superset of the local one
 * when their folding differs) and a `header` condition on From/To/Cc (the rule sees the raw header, the server's
 * FROM/TO/CC the normalised address list, which drops comments) compile to `all`. A header that must exist becomes
 * `HEADER name ""`. The rules as a whole are the OR of the rules (`stop` does not narrow it: a message matched by
 * any rule must be a hit).
 *
 * @module
 */
import type { SearchFilter } from '../../adapters/contract.js';
import type { Condition, Rule, StringTest } from './types.js';

/** Characters that end a piece in any field: white space, controls, `=`, `?` and everything outside ASCII. */
const SEPARATOR = /[^\x21-\x3c\x3e\x40-\x7e]/;
/** Characters that also end a piece in an address field. */
const ADDRESS_SEPARATOR = /["<>()\\]/;
/** Header names whose SEARCH key (FROM/TO/CC) searches the normalised address list, not the raw header. */
const ADDRESS_HEADERS = new Set(['from', 'to', 'cc']);

const ALL: SearchFilter = { op: 'all' };

/** Whether a character may be part of a piece: see the module comment. */
function pieceCharacter(ch: string, address: boolean): boolean {
  return !SEPARATOR.test(ch) && !(address && ADDRESS_SEPARATOR.test(ch));
}

/**
 * The pieces of a value that a server's case-insensitive substring match finds wherever the local match finds the
 * value (see the module comment).
 *
 * @example
 * ```ts
 * searchPieces('Rechnung für Mai', false); // ['Rechnung', 'f', 'r', 'Mai']
 * searchPieces('Doe, John <j@x.test>', true); // ['Doe,', 'John', 'j@x.test']
 * ```
 */
export function searchPieces(value: string, address: boolean): string[] {
  const pieces: string[] = [];
  let current = '';
  for (const ch of value) {
    if (pieceCharacter(ch, address)) {
      current += ch;
      continue;
    }
    if (current !== '') pieces.push(current);
    current = '';
  }
  if (current !== '') pieces.push(current);
  return [...new Set(pieces)];
}

function and(of: SearchFilter[]): SearchFilter {
  const parts = of.flatMap((part) => (part.op === 'and' ? part.of : part.op === 'all' ? [] : [part]));
  if (parts.length === 0) return ALL;
  return parts.length === 1 ? parts[0]! : { op: 'and', of: parts };
}

function or(of: SearchFilter[]): SearchFilter {
  if (of.some((part) => part.op === 'all')) return ALL;
  const parts = of.flatMap((part) => (part.op === 'or' ? part.of : [part]));
  return parts.length === 1 ? parts[0]! : { op: 'or', of: parts };
}

function stringTest(field: string, test: StringTest, address: boolean): SearchFilter {
  if (test.op === 'regex') return ALL;
  // A case-sensitive test is narrower than the server's case-insensitive one: the server's answer still covers it.
  return and(searchPieces(test.value, address).map((piece) => ({ op: 'header', field, contains: piece })));
}

/**
 * The filter of one condition: a superset of the messages it matches locally.
 *
 * @example
 * ```ts
 * compileConditionFilter({ kind: 'subject', test: { op: 'startsWith', value: 'Invoice 42', caseSensitive: false } });
 * // { op: 'and', of: [{ op: 'header', field: 'subject', contains: 'Invoice' },
 * //                   { op: 'header', field: 'subject', contains: '42' }] }
 * ```
 */
export function compileConditionFilter(condition: Condition): SearchFilter {
  switch (condition.kind) {
    case 'all':
    case 'not':
      return ALL;
    case 'subject':
      return stringTest('subject', condition.test, false);
    case 'address':
      return stringTest(condition.field, condition.test, true);
    case 'header':
      if (ADDRESS_HEADERS.has(condition.name)) return ALL;
      if (condition.test === null) return { op: 'header', field: condition.name, contains: '' };
      return stringTest(condition.name, condition.test, false);
    case 'size':
      // RFC822.SIZE is what the rule compares too: LARGER/SMALLER select exactly the same messages.
      return {
        op: 'size',
        ...(condition.over !== undefined ? { larger: condition.over } : {}),
        ...(condition.under !== undefined ? { smaller: condition.under } : {}),
      };
    case 'attachment':
    case 'body':
      // The server's BODY search is not the rule's text-part match (it searches every part, encoded or not).
      return ALL;
    case 'allOf':
      return and(condition.conditions.map(compileConditionFilter));
    case 'anyOf':
      return or(condition.conditions.map(compileConditionFilter));
  }
}

/**
 * The server-side filter of a mailbox's rules: the OR of their conditions' filters, `{ op: 'all' }` as soon as one
 * rule cannot be pushed down, `{ op: 'or', of: [] }` (nothing can match) for no rules.
 *
 * @example
 * ```ts
 * compileSearchFilter(parseRules([{ name: 'invoices', subject: { contains: 'invoice' }, actions: [{ markRead: true }] }], 'box'));
 * // { op: 'header', field: 'subject', contains: 'invoice' }
 * ```
 */
export function compileSearchFilter(rules: readonly Pick<Rule<unknown>, 'match'>[]): SearchFilter {
  const filters = rules.map((rule) => compileConditionFilter(rule.match));
  if (filters.length === 0) return { op: 'or', of: [] };
  return or(filters);
}
