/**
 * The rule trace (issue 15): why a condition failed and what it saw, stop semantics, handler argv, and loop
 * protection's verdict per action — computed by the matcher's own evaluator, so the trace and `match` never differ.
 */
import { describe, expect, it } from 'vitest';
import { describeCondition, describeMiss, explainMessage, handlerArgv } from '../../../runtime/rules/explain.js';
import { compileCheck, RuleMatcher } from '../../../runtime/rules/matcher.js';
import { parseMatch, parseRules } from '../../../runtime/rules/parse-rules.js';
import type { Rule } from '../../../runtime/rules/types.js';
import { testMessage } from './message.js';

const context = { ownAddresses: ['support@example.test'], now: 0 };
const match = (raw: Record<string, unknown>) => parseMatch(raw, 'support', 'r');
const why = (raw: Record<string, unknown>, message = testMessage({ subject: 'Hello' })) => {
  const miss = compileCheck(match(raw))(message);
  return miss === null ? null : describeMiss(miss);
};

describe('why a condition does not hold', () => {
  it('names the condition and the value it saw', () => {
    expect(why({ subject: { equals: 'Newsletter confirmation' } })).toBe(
      'subject equals "Newsletter confirmation": saw "Hello"',
    );
    expect(why({ subject: { regex: '^Undelivered' } })).toBe('subject matches /^Undelivered/i: saw "Hello"');
    expect(why({ from: { endsWith: '@shop.test' } })).toBe(
      'from endsWith "@shop.test": saw "Ada Lovelace <ada@example.test>"',
    );
  });

  it('says "saw none" for an absent header, and shows the values of a present one', () => {
    expect(why({ header: { name: 'List-Id' } })).toBe('header list-id exists: saw none');
    const listed = testMessage({ headers: { 'List-Id': '<news.example.test>' } });
    expect(why({ header: { name: 'List-Id', contains: 'shop' } }, listed)).toBe(
      'header list-id contains "shop": saw "<news.example.test>"',
    );
  });

  it('reports the first failing part of allOf, every part of anyOf, and what a not saw', () => {
    const message = testMessage({ subject: 'Hello', headers: { 'List-Id': '<news.example.test>' } });
    expect(why({ subject: { equals: 'Hello' }, header: { name: 'X-Spam' } }, message)).toBe(
      'header x-spam exists: saw none',
    );
    expect(why({ anyOf: [{ subject: { equals: 'a' } }, { subject: { equals: 'b' } }] }, message)).toBe(
      'none of: subject equals "a": saw "Hello"; subject equals "b": saw "Hello"',
    );
    expect(why({ not: { header: { name: 'List-Id' } } }, message)).toBe(
      'not header list-id exists: saw "<news.example.test>"',
    );
    expect(why({ matchAll: true }, message)).toBeNull();
  });

  it('describes conditions for people', () => {
    expect(describeCondition(match({ subject: { startsWith: 'Re:', caseSensitive: true } }))).toBe(
      'subject startsWith "Re:" (case-sensitive)',
    );
  });
});

describe('the trace of a message through the rules', () => {
  const rules = parseRules(
    [
      {
        name: 'optin',
        subject: { equals: 'Newsletter confirmation' },
        run: ['node', 'x.js'],
        actions: [{ reply: { text: 'Confirmed.' } }, { moveTo: 'Processed' }],
        stop: true,
      },
      { name: 'copy', matchAll: true, actions: [{ forward: { to: ['Archive@Example.test'] } }, 'markRead'] },
    ],
    'support',
  );
  const matcher = new RuleMatcher(rules);

  it('agrees with match(): rules after a matching stop rule are not tried', () => {
    const message = testMessage({ subject: 'Newsletter confirmation' });
    expect(matcher.match(message).map((r) => r.name)).toEqual(['optin']);
    expect(explainMessage(matcher, message, context)).toEqual([
      {
        rule: 'optin',
        tried: true,
        matched: true,
        handler: ['node', 'x.js'],
        actions: [
          { kind: 'reply', to: ['ada@example.test'] },
          { kind: 'moveTo', folder: 'Processed' },
        ],
      },
      { rule: 'copy', tried: false },
    ]);
  });

  it('gives the reason of a rule that did not match and tries the next', () => {
    const message = testMessage({ subject: 'Hello' });
    expect(matcher.match(message).map((r) => r.name)).toEqual(['copy']);
    expect(explainMessage(matcher, message, context)).toEqual([
      { rule: 'optin', tried: true, matched: false, reason: 'subject equals "Newsletter confirmation": saw "Hello"' },
      {
        rule: 'copy',
        tried: true,
        matched: true,
        actions: [{ kind: 'forward', to: ['archive@example.test'] }, { kind: 'markRead' }],
      },
    ]);
  });

  it('marks what loop protection would refuse with its code and reason', () => {
    const automatic = testMessage({
      subject: 'Newsletter confirmation',
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    const [optin] = explainMessage(matcher, automatic, context);
    expect(optin).toMatchObject({
      matched: true,
      actions: [
        {
          kind: 'reply',
          to: ['ada@example.test'],
          skipped: 'AUTO_SUBMITTED',
          reason: expect.stringContaining('automatic'),
        },
        { kind: 'moveTo', folder: 'Processed' },
      ],
    });
    const toOurselves = new RuleMatcher(
      parseRules(
        [{ name: 'loop', matchAll: true, actions: [{ forward: { to: ['support@example.test'] } }] }],
        'support',
      ),
    );
    expect(explainMessage(toOurselves, testMessage(), context)[0]).toMatchObject({
      actions: [{ kind: 'forward', to: ['support@example.test'], skipped: 'OWN_ADDRESS' }],
    });
  });

  it('evaluates the predicate of a host program (autopilot.rule(fn)), and names it in a reason', () => {
    // Regression: a function match compiled to no check at all, so the matcher threw on the first message.
    const predicate = {
      kind: 'predicate',
      test: (m: { envelope: { subject: string } }) => m.envelope.subject === 'Hi',
    };
    const rule: Rule = { name: 'fn', match: predicate as never, handler: null, actions: [], stop: false };
    const host = new RuleMatcher([rule]);
    expect(host.match(testMessage({ subject: 'Hi' })).map((r) => r.name)).toEqual(['fn']);
    expect(explainMessage(host, testMessage({ subject: 'Hello' }), context)).toEqual([
      { rule: 'fn', tried: true, matched: false, reason: 'predicate condition: saw ""' },
    ]);
  });

  it('shows a host function handler by its name', () => {
    async function confirm() {}
    const rule: Rule = {
      name: 'host',
      match: { kind: 'all' },
      handler: { kind: 'host', fn: confirm },
      actions: [],
      stop: false,
    };
    expect(handlerArgv(rule)).toEqual(['<function confirm>']);
    // No name to show (an anonymous function not bound to a name).
    const anonymous = [() => undefined][0]!;
    expect(handlerArgv({ ...rule, handler: { kind: 'host', fn: anonymous } })).toEqual(['<function anonymous>']);
    expect(handlerArgv({ ...rule, handler: null })).toBeUndefined();
  });
});
