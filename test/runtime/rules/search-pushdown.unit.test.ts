/**
 * The rules' server-side filter (issue 12 point 3, runtime/rules/search-pushdown.ts): what is pushed down, what
 * falls back to `all`, and — against a model of a strict server (ASCII-only case folding, white space compressed,
 * addresses written quoted as Dovecot writes them) — that every message a rule matches locally is a hit. The same
 * property on a real Dovecot: test/adapters/imap/search-pushdown.int.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { DiscoveredMessage, MailAddress, SearchFilter } from '../../../adapters/contract.js';
import { compileCondition } from '../../../runtime/rules/matcher.js';
import { parseRules } from '../../../runtime/rules/parse-rules.js';
import { compileSearchFilter, searchPieces } from '../../../runtime/rules/search-pushdown.js';
import type { Condition, StringTest } from '../../../runtime/rules/types.js';
import { testMessage } from './message.js';

const rules = (raw: unknown[]) => parseRules(raw, 'box');
const contains = (field: string, value: string): SearchFilter => ({ op: 'header', field, contains: value });

describe('compileSearchFilter', () => {
  it('pushes down subject contains/equals/startsWith/endsWith as contains, ORed over the rules', () => {
    const filter = compileSearchFilter(
      rules([
        { name: 'a', subject: { contains: 'invoice' }, actions: [{ markRead: true }] },
        { name: 'b', subject: 'Order', actions: [{ markRead: true }], stop: true },
        { name: 'c', subject: { startsWith: 'Re' }, actions: [{ markRead: true }] },
        { name: 'd', subject: { endsWith: 'done' }, actions: [{ markRead: true }] },
      ]),
    );
    expect(filter).toEqual({
      op: 'or',
      of: [
        contains('subject', 'invoice'),
        contains('subject', 'Order'),
        contains('subject', 'Re'),
        contains('subject', 'done'),
      ],
    });
  });

  it('one rule is its own filter; allOf is and, anyOf is or; header exists is HEADER name ""', () => {
    expect(
      compileSearchFilter(rules([{ name: 'a', subject: { contains: 'invoice' }, actions: [{ markRead: true }] }])),
    ).toEqual(contains('subject', 'invoice'));
    const filter = compileSearchFilter(
      rules([
        {
          name: 'a',
          allOf: [{ from: { endsWith: '@shop.test' } }, { anyOf: [{ to: 'a@x.test' }, { cc: 'a@x.test' }] }],
          header: { name: 'List-Id', exists: true },
          actions: [{ markRead: true }],
        },
      ]),
    );
    expect(filter).toEqual({
      op: 'and',
      of: [
        contains('list-id', ''),
        contains('from', '@shop.test'),
        { op: 'or', of: [contains('to', 'a@x.test'), contains('cc', 'a@x.test')] },
      ],
    });
  });

  it('falls back to all for a regex, a not, matchAll, a header test on From/To/Cc, or a value with no piece', () => {
    const fallbacks: unknown[] = [
      { subject: { regex: '^invoice' } },
      { not: { subject: 'x' } },
      { header: { name: 'List-Id', exists: false } },
      { matchAll: true },
      { header: { name: 'From', contains: 'ada' } },
      { subject: { contains: 'ÄÖÜ' } },
      { subject: '' },
    ];
    for (const match of fallbacks) {
      const rule = { name: 'r', ...(match as object), actions: [{ markRead: true }] };
      const withOther = [rule, { name: 'other', subject: { contains: 'x' }, actions: [{ markRead: true }] }];
      expect(compileSearchFilter(rules([rule]))).toEqual({ op: 'all' });
      expect(compileSearchFilter(rules(withOther))).toEqual({ op: 'all' });
    }
  });

  it('cuts values into pieces: white space, non-ASCII, =, ?, and quoting characters in addresses', () => {
    expect(searchPieces('Rechnung für  Mai', false)).toEqual(['Rechnung', 'f', 'r', 'Mai']);
    expect(searchPieces('请 查收发票 42', false)).toEqual(['42']);
    expect(searchPieces('a\ufffdb', false)).toEqual(['a', 'b']);
    expect(searchPieces('=?utf-8?q?x?=', false)).toEqual(['utf-8', 'q', 'x']);
    expect(searchPieces('Doe, John <j@x.test>', true)).toEqual(['Doe,', 'John', 'j@x.test']);
    expect(searchPieces('"a\\b"', true)).toEqual(['a', 'b']);
    expect(searchPieces('e\u0301t\u00e9', false)).toEqual(['e', 't']);
    expect(
      compileSearchFilter(rules([{ name: 'a', subject: { contains: 'Invoice 42' }, actions: [{ markRead: true }] }])),
    ).toEqual({
      op: 'and',
      of: [contains('subject', 'Invoice'), contains('subject', '42')],
    });
  });

  it('no rules: nothing can match (an empty or)', () => {
    expect(compileSearchFilter([])).toEqual({ op: 'or', of: [] });
  });
});

/** Deterministic PRNG (mulberry32), so a failing case can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A strict server: ASCII-only case folding, runs of white space compressed, addresses quoted where needed. */
function strictServer(filter: SearchFilter, m: DiscoveredMessage): boolean {
  const fold = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase()).replace(/\s+/g, ' ');
  const write = (a: MailAddress) => {
    if (a.name === '') return a.address;
    const name = /[",.<>()@:;\\[\]]/.test(a.name) ? `"${a.name.replace(/["\\]/g, '\\$&')}"` : a.name;
    return `${name} <${a.address}>`;
  };
  switch (filter.op) {
    case 'all':
      return true;
    case 'and':
      return filter.of.every((f) => strictServer(f, m));
    case 'or':
      return filter.of.some((f) => strictServer(f, m));
    case 'not':
      return !strictServer(filter.of, m);
    case 'size':
      return (
        (filter.larger === undefined || m.size > filter.larger) &&
        (filter.smaller === undefined || m.size < filter.smaller)
      );
    case 'header': {
      const field = filter.field;
      if (filter.contains === '') return (m.headers.get(field)?.length ?? 0) > 0;
      let values: readonly string[];
      if (field === 'subject') values = [m.envelope.subject];
      else if (field === 'from' || field === 'to' || field === 'cc') values = [m.envelope[field].map(write).join(', ')];
      else values = m.headers.get(field) ?? [];
      return values.some((v) => fold(v).includes(fold(filter.contains)));
    }
  }
}

describe('superset property against a strict server model (seeded)', () => {
  const ALPHABET = [
    'a',
    'B',
    'c',
    'D',
    ' ',
    '  ',
    '\t',
    'é',
    'É',
    'ü',
    'Ü',
    'ß',
    'ẞ',
    '请',
    'x',
    ',',
    '"',
    '<',
    '=',
    '?',
    '1',
  ];
  const word = (r: () => number, n = 1 + Math.floor(r() * 5)) =>
    Array.from({ length: n }, () => ALPHABET[Math.floor(r() * ALPHABET.length)]).join('');
  const test = (r: () => number): StringTest => {
    const ops = ['equals', 'contains', 'startsWith', 'endsWith'] as const;
    return { op: ops[Math.floor(r() * ops.length)]!, value: word(r), caseSensitive: r() < 0.2 };
  };
  const condition = (r: () => number, depth: number): Condition => {
    const pick = Math.floor(r() * (depth > 2 ? 4 : 7));
    if (pick === 0) return { kind: 'subject', test: test(r) };
    if (pick === 1)
      return { kind: 'address', field: (['from', 'to', 'cc'] as const)[Math.floor(r() * 3)]!, test: test(r) };
    if (pick === 2) return { kind: 'header', name: 'x-tag', test: test(r) };
    if (pick === 3) return { kind: 'header', name: 'x-tag', test: null };
    const parts = Array.from({ length: 1 + Math.floor(r() * 3) }, () => condition(r, depth + 1));
    if (pick === 4) return { kind: 'allOf', conditions: parts };
    if (pick === 5) return { kind: 'anyOf', conditions: parts };
    return { kind: 'not', condition: parts[0]! };
  };
  /** A value that often contains a piece of the test's value (else the property is vacuous). */
  const around = (r: () => number, seedText: string) =>
    `${word(r, Math.floor(r() * 3))}${r() < 0.5 ? seedText : ''}${word(r, Math.floor(r() * 3))}`;

  it('every locally matched message is a hit (2,000 cases)', () => {
    const r = prng(12);
    let matched = 0;
    for (let i = 0; i < 2000; i++) {
      const conditions = Array.from({ length: 1 + Math.floor(r() * 3) }, () => condition(r, 0));
      const filter = compileSearchFilter(conditions.map((match) => ({ match })));
      const text = word(r, 4);
      const message = testMessage({
        subject: around(r, text),
        from: [{ name: around(r, text), address: `${word(r, 2).replace(/[\s"<,=?]/g, '')}@x.test` }],
        to: [{ name: '', address: 'to@x.test' }],
        cc: [],
        headers: r() < 0.5 ? { 'x-tag': around(r, text) } : {},
      });
      const local = conditions.some((c) => compileCondition(c)(message));
      if (!local) continue;
      matched++;
      expect({ case: i, hit: strictServer(filter, message) }).toEqual({ case: i, hit: true });
    }
    expect(matched).toBeGreaterThan(100);
  });
});
