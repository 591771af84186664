import { describe, expect, it } from 'vitest';
import { compileCondition, MAX_TESTED_LENGTH, RuleMatcher } from '../../../runtime/rules/matcher.js';
import { parseMatch, parseRules } from '../../../runtime/rules/parse-rules.js';
import { type TestMessageInit, testMessage } from './message.js';

/** Whether a config-format condition matches a message built from `init`. */
function matches(condition: unknown, init: TestMessageInit): boolean {
  return compileCondition(parseMatch(condition, 'support', 'test'))(testMessage(init));
}

describe('subject tests (SPEC S13: equals, contains, starts with, regex)', () => {
  it.each([
    [{ equals: 'Newsletter confirmation' }, 'newsletter CONFIRMATION', true],
    [{ equals: 'Newsletter confirmation' }, 'Newsletter confirmation!', false],
    ['Newsletter confirmation', 'NEWSLETTER CONFIRMATION', true],
    [{ contains: 'invoice' }, 'Your Invoice #42', true],
    [{ startsWith: 'Undelivered' }, 'undelivered Mail Returned to Sender', true],
    [{ startsWith: 'Undelivered' }, 'Re: Undelivered', false],
    [{ endsWith: '[form]' }, 'Contact request [FORM]', true],
    [{ regex: '^(Undelivered|Mail delivery failed)' }, 'Mail Delivery Failed: returning message', true],
    [{ regex: '^(Undelivered|Mail delivery failed)' }, 'Fwd: Undelivered', false],
    [{ equals: 'Hello', caseSensitive: true }, 'hello', false],
    [{ contains: 'ID', caseSensitive: true }, 'Your ID', true],
    [{ regex: 'abc', caseSensitive: true }, 'ABC', false],
    [{ equals: '' }, '', true],
  ])('%j on %j is %s', (test, subject, expected) => {
    expect(matches({ subject: test }, { subject })).toBe(expected);
  });

  it('tests only the first MAX_TESTED_LENGTH characters with a regex', () => {
    const huge = `${'a'.repeat(MAX_TESTED_LENGTH)}needle`;
    expect(matches({ subject: { regex: 'needle' } }, { subject: huge })).toBe(false);
    expect(matches({ subject: { contains: 'needle' } }, { subject: huge })).toBe(true);
  });
});

describe('address tests (SPEC S13: from, to, cc)', () => {
  const from = 'Ada Lovelace <Ada@Example.test>';
  it.each([
    [{ equals: 'ada@example.test' }, true],
    [{ equals: 'Ada Lovelace <ada@example.test>' }, true],
    [{ endsWith: '@example.test' }, true],
    [{ startsWith: 'ada lovelace' }, true],
    [{ contains: 'lovelace' }, true],
    [{ equals: 'ada@example.test', caseSensitive: true }, false],
    [{ regex: '^ada@' }, true],
    [{ equals: 'bob@example.test' }, false],
  ])('%j on From: Ada Lovelace <Ada@Example.test> is %s', (test, expected) => {
    expect(matches({ from: test }, { from })).toBe(expected);
  });

  it('holds when any address of the field passes', () => {
    const message = { to: 'a@example.test, Support <support@example.test>', cc: 'boss@example.test' };
    expect(matches({ to: 'support@example.test' }, message)).toBe(true);
    expect(matches({ to: 'boss@example.test' }, message)).toBe(false);
    expect(matches({ cc: 'BOSS@example.test' }, message)).toBe(true);
    expect(matches({ cc: { contains: 'x' } }, { cc: [] })).toBe(false);
  });

  it('tests a group without addresses by its name', () => {
    expect(matches({ to: 'undisclosed-recipients' }, { to: [{ name: 'undisclosed-recipients', address: '' }] })).toBe(
      true,
    );
  });
});

describe('header tests (SPEC S13: any header)', () => {
  const headers = { 'List-Id': '<news.example.test>', 'X-Form': ['newsletter', 'Contact'] };
  it.each([
    [{ name: 'list-id' }, true],
    [{ name: 'LIST-ID', exists: true }, true],
    [{ name: 'List-Id', exists: false }, false],
    [{ name: 'Auto-Submitted', exists: false }, true],
    [{ name: 'X-Form', equals: 'contact' }, true],
    [{ name: 'X-Form', equals: 'contact', caseSensitive: true }, false],
    [{ name: 'X-Form', regex: '^news' }, true],
    [{ name: 'X-Missing', contains: 'x' }, false],
  ])('%j is %s', (header, expected) => {
    expect(matches({ header }, { headers })).toBe(expected);
  });
});

describe('combinators', () => {
  const message = { subject: 'Order 42', from: 'shop@shop.test', headers: { 'X-Priority': '1' } };
  it.each([
    [{ allOf: [{ subject: { startsWith: 'order' } }, { from: { endsWith: '@shop.test' } }] }, true],
    [{ allOf: [{ subject: { startsWith: 'order' } }, { from: { endsWith: '@other.test' } }] }, false],
    [{ anyOf: [{ subject: 'nope' }, { header: { name: 'X-Priority', equals: '1' } }] }, true],
    [{ anyOf: [{ subject: 'nope' }, { from: 'nope@x.test' }] }, false],
    [{ not: { subject: { contains: '42' } } }, false],
    [{ not: { not: { subject: { contains: '42' } } } }, true],
    [{ subject: { contains: 'order' }, not: { from: { contains: 'shop' } } }, false],
    [{ matchAll: true }, true],
  ])('%j is %s', (condition, expected) => {
    expect(matches(condition, message)).toBe(expected);
  });
});

describe('RuleMatcher', () => {
  const rules = parseRules(
    [
      { name: 'bounces', subject: { regex: '^(Undelivered|Mail delivery failed)' }, run: ['node', 'bounce.js'] },
      { name: 'log everything', matchAll: true, run: ['node', 'log.js'] },
      { name: 'optin', subject: 'Newsletter confirmation', actions: [{ reply: 'ok' }], stop: true },
      { name: 'never after optin', matchAll: true, actions: ['markRead'] },
    ],
    'support',
  );
  const matcher = new RuleMatcher(rules);

  it('returns every matching rule in order', () => {
    expect(matcher.match(testMessage({ subject: 'Undelivered Mail' })).map((r) => r.name)).toEqual([
      'bounces',
      'log everything',
      'never after optin',
    ]);
  });

  it('stops after the first matching rule with stop', () => {
    expect(matcher.match(testMessage({ subject: 'Newsletter confirmation' })).map((r) => r.name)).toEqual([
      'log everything',
      'optin',
    ]);
  });

  it('returns nothing when no rule matches', () => {
    expect(new RuleMatcher(rules.slice(0, 1)).match(testMessage({ subject: 'Hello' }))).toEqual([]);
  });
});
