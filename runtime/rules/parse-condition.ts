/**
 * Parses match conditions from the config (YAML/JSON) or the host API into the normalised {@link Condition}.
 *
 * The format (issue 4):
 *
 * ```yaml
 * subject: { regex: "^(Undelivered|Mail delivery failed)" }   # equals | contains | startsWith | endsWith | regex
 * subject: "Newsletter confirmation"                           # a plain string means equals
 * from: { endsWith: "@example.test", caseSensitive: true }     # each From address, as "Name <addr>" and bare
 * header: { name: List-Id, exists: true }                      # or a test: { name: X-Form, equals: contact }
 * anyOf: [ { to: { equals: a@example.test } }, { cc: { equals: a@example.test } } ]
 * not: { header: { name: Auto-Submitted, exists: true } }
 * matchAll: true                                               # every message
 * size: { over: 5MB }                                          # and/or under: 100KB (binary units, 1 KB = 1,024 B)
 * attachment: true                                             # or { name: "*.pdf" } / { type: application/pdf }
 * body: { contains: "unsubscribe" }                            # the text part, fetched only when needed
 * ```
 *
 * Several keys in one object all have to hold (an implicit `allOf`). A plain string is `equals`, not `contains`:
 * a rule that answers mail automatically should match exactly what was written, and widen only when asked.
 *
 * @module
 */
import { parseByteSize } from '../config/byte-size.js';
import { isPlainObject, type ParseContext, show } from './config-issues.js';
import type { Condition, StringTest } from './types.js';

/**
 * The keys that make up a condition object.
 *
 * @example
 * ```ts
 * const conditionKeys = Object.keys(rawRule).filter((k) => (CONDITION_KEYS as readonly string[]).includes(k));
 * ```
 */
export const CONDITION_KEYS = [
  'subject',
  'from',
  'to',
  'cc',
  'header',
  'size',
  'attachment',
  'body',
  'allOf',
  'anyOf',
  'not',
  'matchAll',
] as const;

const OPS = ['equals', 'contains', 'startsWith', 'endsWith', 'regex'] as const;
const TEST_KEYS = new Set<string>([...OPS, 'flags', 'caseSensitive']);
/** RFC 5322 field names: printable ASCII except the colon. */
const HEADER_NAME = /^[!-9;-~]+$/;
/** Flags that change matching without making a RegExp stateful (`g` and `y` move `lastIndex`). */
const ALLOWED_FLAGS = /^[imsuv]*$/;

/**
 * Parses a string test (`"text"`, `{ contains: "text" }`, `{ regex: "…", flags: "m" }`, or a host `RegExp`).
 * Returns `undefined` after recording an issue.
 *
 * @example
 * ```ts
 * parseStringTest({ startsWith: 'Undelivered' }, ctx.at('subject'));
 * // { op: 'startsWith', value: 'Undelivered', caseSensitive: false }
 * ```
 */
export function parseStringTest(raw: unknown, ctx: ParseContext): StringTest | undefined {
  if (typeof raw === 'string') return { op: 'equals', value: raw, caseSensitive: false };
  if (raw instanceof RegExp) return { op: 'regex', source: raw.source, flags: raw.flags.replace(/[gy]/g, '') };
  if (!isPlainObject(raw)) {
    ctx.fail(`must be a string or one of { ${OPS.join(' | ')}: "…" }, got ${show(raw)}`);
    return undefined;
  }
  return parseTestObject(raw, ctx, new Set());
}

/** The test part of an object that may carry other keys (`name`, `exists` for headers), listed in `otherKeys`. */
function parseTestObject(
  raw: Record<string, unknown>,
  ctx: ParseContext,
  otherKeys: ReadonlySet<string>,
): StringTest | undefined {
  const unknown = Object.keys(raw).filter((k) => !TEST_KEYS.has(k) && !otherKeys.has(k));
  if (unknown.length > 0) {
    ctx.fail(`unknown key ${show(unknown[0])} (expected one of ${[...OPS, 'flags', 'caseSensitive'].join(', ')})`);
    return undefined;
  }
  const ops = OPS.filter((op) => op in raw);
  if (ops.length !== 1) {
    ctx.fail(ops.length === 0 ? `needs one of ${OPS.join(', ')}` : `has ${ops.join(' and ')}: give exactly one`);
    return undefined;
  }
  const op = ops[0]!;
  const value = raw[op];
  if (typeof value !== 'string') {
    ctx.at(op).fail(`must be a string, got ${show(value)}`);
    return undefined;
  }
  const caseSensitive = raw.caseSensitive ?? false;
  if (typeof caseSensitive !== 'boolean') {
    ctx.at('caseSensitive').fail(`must be true or false, got ${show(caseSensitive)}`);
    return undefined;
  }
  if (op === 'regex') {
    const flags = raw.flags ?? '';
    if (typeof flags !== 'string' || !ALLOWED_FLAGS.test(flags)) {
      ctx.at('flags').fail(`must be made of the letters i, m, s, u, v, got ${show(flags)}`);
      return undefined;
    }
    const effective = caseSensitive || flags.includes('i') ? flags : `${flags}i`;
    try {
      new RegExp(value, effective);
    } catch (error) {
      ctx.at('regex').fail(`invalid regular expression ${show(value)}: ${(error as Error).message}`);
      return undefined;
    }
    return { op, source: value, flags: effective };
  }
  if ('flags' in raw) {
    ctx.at('flags').fail('only applies to regex');
    return undefined;
  }
  if (value === '' && op !== 'equals') {
    ctx.at(op).fail('is empty and would match every message (use matchAll: true if that is meant)');
    return undefined;
  }
  return { op, value, caseSensitive };
}

/** One `header:` entry: `{ name, exists }` or `{ name, <op>: … }`. */
function parseHeaderCondition(raw: unknown, ctx: ParseContext): Condition | undefined {
  if (!isPlainObject(raw)) {
    ctx.fail(`must be { name: Header-Name, <test> } or { name: Header-Name, exists: true }, got ${show(raw)}`);
    return undefined;
  }
  const name = raw.name;
  if (typeof name !== 'string' || !HEADER_NAME.test(name)) {
    ctx.at('name').fail(`must be a header field name like List-Id, got ${show(name)}`);
    return undefined;
  }
  const lower = name.toLowerCase();
  const hasOp = OPS.some((op) => op in raw);
  if ('exists' in raw) {
    if (typeof raw.exists !== 'boolean') {
      ctx.at('exists').fail(`must be true or false, got ${show(raw.exists)}`);
      return undefined;
    }
    if (hasOp) {
      ctx.fail('give either exists or a test, not both');
      return undefined;
    }
    const exists: Condition = { kind: 'header', name: lower, test: null };
    return raw.exists ? exists : { kind: 'not', condition: exists };
  }
  if (!hasOp) {
    const extra = Object.keys(raw).filter((k) => k !== 'name');
    if (extra.length > 0) {
      ctx.fail(`unknown key ${show(extra[0])} (expected exists or one of ${OPS.join(', ')})`);
      return undefined;
    }
    return { kind: 'header', name: lower, test: null };
  }
  const test = parseTestObject(raw, ctx, new Set(['name']));
  return test && { kind: 'header', name: lower, test };
}

/** `size: { over: 5MB, under: 20MB }` (at least one bound; `over` below `under`). */
function parseSizeCondition(raw: unknown, ctx: ParseContext): Condition | undefined {
  if (!isPlainObject(raw)) {
    ctx.fail(`must be { over: 5MB } and/or { under: 100KB }, got ${show(raw)}`);
    return undefined;
  }
  const extra = Object.keys(raw).filter((k) => k !== 'over' && k !== 'under');
  if (extra.length > 0 || Object.keys(raw).length === 0) {
    ctx.fail(extra.length > 0 ? `unknown key ${show(extra[0])} (expected over, under)` : 'needs over or under');
    return undefined;
  }
  const bounds: { over?: number; under?: number } = {};
  for (const key of ['over', 'under'] as const) {
    if (!(key in raw)) continue;
    const bytes = parseByteSize(raw[key]);
    if (bytes === undefined) {
      ctx.at(key).fail(`must be a size like 500KB, 5MB or a number of bytes, got ${show(raw[key])}`);
      return undefined;
    }
    bounds[key] = bytes;
  }
  if (bounds.over !== undefined && bounds.under !== undefined && bounds.over >= bounds.under) {
    ctx.fail(`over (${bounds.over} bytes) must be below under (${bounds.under} bytes): no message would match`);
    return undefined;
  }
  return { kind: 'size', ...bounds };
}

/** `attachment: true`, `{ name: "*.pdf" }`, `{ type: application/pdf }` (`image/*` allowed), or both keys. */
function parseAttachmentCondition(raw: unknown, ctx: ParseContext): Condition | undefined {
  if (raw === true) return { kind: 'attachment' };
  if (!isPlainObject(raw)) {
    ctx.fail(`must be true, { name: "*.pdf" } or { type: application/pdf }, got ${show(raw)}`);
    return undefined;
  }
  const extra = Object.keys(raw).filter((k) => k !== 'name' && k !== 'type');
  if (extra.length > 0 || Object.keys(raw).length === 0) {
    ctx.fail(
      extra.length > 0
        ? `unknown key ${show(extra[0])} (expected name, type)`
        : 'needs name or type (or write attachment: true)',
    );
    return undefined;
  }
  const out: { name?: string; type?: string } = {};
  if ('name' in raw) {
    if (typeof raw.name !== 'string' || raw.name === '') {
      ctx.at('name').fail(`must be a file name or a glob like "*.pdf", got ${show(raw.name)}`);
      return undefined;
    }
    out.name = raw.name;
  }
  if ('type' in raw) {
    if (typeof raw.type !== 'string' || !/^[a-z0-9!#$&^_.+-]+\/([a-z0-9!#$&^_.+-]+|\*)$/i.test(raw.type)) {
      ctx.at('type').fail(`must be a MIME type like application/pdf or image/*, got ${show(raw.type)}`);
      return undefined;
    }
    out.type = raw.type.toLowerCase();
  }
  return { kind: 'attachment', ...out };
}

function parseConditionList(raw: unknown, ctx: ParseContext): Condition[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) {
    ctx.fail(`must be a non-empty list of conditions, got ${show(raw)}`);
    return undefined;
  }
  const out: Condition[] = [];
  raw.forEach((item, i) => {
    const condition = parseCondition(item, ctx.at(i));
    if (condition) out.push(condition);
  });
  return out.length === raw.length ? out : undefined;
}

/**
 * Parses the condition keys present in `raw` (other keys are the caller's business: a rule also has `name`,
 * `actions`, …). Returns `null` when no condition key is present, `undefined` after recording issues.
 *
 * @example
 * ```ts
 * parseConditionKeys({ name: 'x', subject: 'Hi' }, ctx); // { kind: 'subject', test: { op: 'equals', … } }
 * ```
 */
export function parseConditionKeys(raw: Record<string, unknown>, ctx: ParseContext): Condition | null | undefined {
  const parts: Condition[] = [];
  let ok = true;
  const keep = (condition: Condition | undefined) => {
    if (condition) parts.push(condition);
    else ok = false;
  };
  let present = 0;
  for (const key of CONDITION_KEYS) {
    if (!(key in raw)) continue;
    present++;
    const value = raw[key];
    const at = ctx.at(key);
    switch (key) {
      case 'subject': {
        const test = parseStringTest(value, at);
        keep(test && { kind: 'subject', test });
        break;
      }
      case 'from':
      case 'to':
      case 'cc': {
        const test = parseStringTest(value, at);
        keep(test && { kind: 'address', field: key, test });
        break;
      }
      case 'header':
        if (Array.isArray(value)) {
          if (value.length === 0) {
            at.fail('must not be an empty list');
            ok = false;
          }
          value.forEach((item, i) => {
            keep(parseHeaderCondition(item, at.at(i)));
          });
        } else {
          keep(parseHeaderCondition(value, at));
        }
        break;
      case 'size':
        keep(parseSizeCondition(value, at));
        break;
      case 'attachment':
        keep(parseAttachmentCondition(value, at));
        break;
      case 'body': {
        const test =
          isPlainObject(value) && (value.contains !== undefined || value.regex !== undefined)
            ? parseStringTest(value, at)
            : undefined;
        if (
          test === undefined &&
          !(isPlainObject(value) && (value.contains !== undefined || value.regex !== undefined))
        ) {
          at.fail(`must be { contains: "…" } or { regex: "…" }, got ${show(value)}`);
        }
        keep(test && { kind: 'body', test });
        break;
      }
      case 'allOf':
      case 'anyOf': {
        const conditions = parseConditionList(value, at);
        keep(conditions && { kind: key, conditions });
        break;
      }
      case 'not': {
        const condition = parseCondition(value, at);
        keep(condition && { kind: 'not', condition });
        break;
      }
      case 'matchAll':
        if (value !== true) {
          at.fail(`must be true, got ${show(value)}`);
          ok = false;
        } else {
          parts.push({ kind: 'all' });
        }
        break;
    }
  }
  if (present === 0) return null;
  if (!ok) return undefined;
  return parts.length === 1 ? parts[0]! : { kind: 'allOf', conditions: parts };
}

/**
 * Parses one condition object (only condition keys allowed). Use it for the host API's `rule(match, handler)` and
 * for `allOf`/`anyOf`/`not` items.
 *
 * @example
 * ```ts
 * const issues = new IssueList();
 * const condition = parseCondition({ subject: { contains: 'invoice' } }, new ParseContext(issues, 'invoices', ''));
 * ```
 */
export function parseCondition(raw: unknown, ctx: ParseContext): Condition | undefined {
  if (!isPlainObject(raw)) {
    ctx.fail(`must be a condition object (${CONDITION_KEYS.join(', ')}), got ${show(raw)}`);
    return undefined;
  }
  const known = new Set<string>(CONDITION_KEYS);
  const unknown = Object.keys(raw).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    ctx.fail(`unknown condition key ${show(unknown[0])} (expected ${CONDITION_KEYS.join(', ')})`);
    return undefined;
  }
  const condition = parseConditionKeys(raw, ctx);
  if (condition === null) {
    ctx.fail(`is an empty condition (expected ${CONDITION_KEYS.join(', ')})`);
    return undefined;
  }
  return condition;
}
