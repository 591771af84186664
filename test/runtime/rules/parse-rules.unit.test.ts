import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { RuleConfigError } from '../../../runtime/rules/config-issues.js';
import { parseDuration } from '../../../runtime/rules/duration.js';
import { parseMatch, parseRules } from '../../../runtime/rules/parse-rules.js';

/** The rules of issue 4's example config, verbatim. */
const ISSUE_EXAMPLE = `
rules:
  - name: bounces
    subject: { regex: "^(Undelivered|Mail delivery failed)" }
    run: ["node", "handlers/bounce.js"]
    actions: [markRead]
  - name: optin
    subject: { equals: "Newsletter confirmation" }
    actions:
      - reply: { text: "Thank you, your subscription is confirmed." }
      - moveTo: Processed
`;

/** The error parseRules throws, for asserting on its issues. */
function errorOf(raw: unknown, mailboxId = 'support'): RuleConfigError {
  try {
    parseRules(raw, mailboxId);
  } catch (error) {
    if (error instanceof RuleConfigError) return error;
    throw error;
  }
  throw new Error('expected a RuleConfigError');
}

const rule = (extra: Record<string, unknown>) => ({ name: 'r', subject: 'x', actions: ['markRead'], ...extra });

describe('parseRules: the issue 4 example', () => {
  it('parses as written', () => {
    const rules = parseRules(parseYaml(ISSUE_EXAMPLE).rules, 'support');
    expect(rules).toEqual([
      {
        name: 'bounces',
        match: { kind: 'subject', test: { op: 'regex', source: '^(Undelivered|Mail delivery failed)', flags: 'i' } },
        handler: {
          kind: 'command',
          command: ['node', 'handlers/bounce.js'],
          timeoutMs: null,
          cwd: null,
          env: {},
        },
        actions: [{ kind: 'markRead' }],
        stop: false,
      },
      {
        name: 'optin',
        match: { kind: 'subject', test: { op: 'equals', value: 'Newsletter confirmation', caseSensitive: false } },
        handler: null,
        actions: [
          { kind: 'reply', text: 'Thank you, your subscription is confirmed.' },
          { kind: 'moveTo', folder: 'Processed' },
        ],
        stop: false,
      },
    ]);
  });

  it('treats missing rules as none', () => {
    expect(parseRules(undefined, 'support')).toEqual([]);
    expect(parseRules(null, 'support')).toEqual([]);
  });
});

describe('parseRules: conditions', () => {
  it('reads a plain string as equals (case-insensitive)', () => {
    expect(parseRules([rule({ subject: 'Hello' })], 'm')[0]?.match).toEqual({
      kind: 'subject',
      test: { op: 'equals', value: 'Hello', caseSensitive: false },
    });
  });

  it('combines several top-level condition keys with allOf, in a fixed order', () => {
    const [parsed] = parseRules(
      [rule({ from: { endsWith: '@shop.test' }, subject: { startsWith: 'Order', caseSensitive: true } })],
      'm',
    );
    expect(parsed?.match).toEqual({
      kind: 'allOf',
      conditions: [
        { kind: 'subject', test: { op: 'startsWith', value: 'Order', caseSensitive: true } },
        { kind: 'address', field: 'from', test: { op: 'endsWith', value: '@shop.test', caseSensitive: false } },
      ],
    });
  });

  it('parses headers (exists, absent, tests, lists), combinators and matchAll', () => {
    const [parsed] = parseRules(
      [
        {
          name: 'r',
          match: {
            anyOf: [
              { header: { name: 'List-Id', exists: true } },
              {
                header: [
                  { name: 'X-Form', contains: 'contact' },
                  { name: 'Auto-Submitted', exists: false },
                ],
              },
              { not: { cc: { regex: 'boss', flags: 'm', caseSensitive: true } } },
              { matchAll: true },
            ],
          },
          stop: true,
        },
      ],
      'm',
    );
    expect(parsed?.match).toEqual({
      kind: 'anyOf',
      conditions: [
        { kind: 'header', name: 'list-id', test: null },
        {
          kind: 'allOf',
          conditions: [
            { kind: 'header', name: 'x-form', test: { op: 'contains', value: 'contact', caseSensitive: false } },
            { kind: 'not', condition: { kind: 'header', name: 'auto-submitted', test: null } },
          ],
        },
        { kind: 'not', condition: { kind: 'address', field: 'cc', test: { op: 'regex', source: 'boss', flags: 'm' } } },
        { kind: 'all' },
      ],
    });
    expect(parsed?.stop).toBe(true);
  });

  it('names the rule and the field of an invalid regex', () => {
    const error = errorOf([rule({ name: 'bounces', subject: { regex: '^(Undelivered' } })]);
    expect(error.issues).toEqual([
      { rule: 'bounces', path: 'subject.regex', message: expect.stringMatching(/invalid regular expression/) },
    ]);
    expect(error.message).toMatch(/^mailbox "support", rule "bounces", subject\.regex: invalid regular expression/);
  });

  it.each([
    [{ subject: { contains: 'a', equals: 'b' } }, 'subject', /exactly one/],
    [{ subject: { like: 'a' } }, 'subject', /unknown key "like"/],
    [{ subject: { contains: '' } }, 'subject.contains', /match every message/],
    [{ subject: { regex: 'a', flags: 'g' } }, 'subject.flags', /letters i, m, s, u, v/],
    [{ subject: { contains: 'a', flags: 'i' } }, 'subject.flags', /only applies to regex/],
    [{ subject: 42 }, 'subject', /must be a string/],
    [{ from: { contains: 'a', caseSensitive: 'yes' } }, 'from.caseSensitive', /true or false/],
    [{ header: { name: 'Bad Name', exists: true } }, 'header.name', /header field name/],
    [{ header: { name: 'X', exists: true, equals: 'y' } }, 'header', /either exists or a test/],
    [{ header: [] }, 'header', /empty list/],
    [{ match: { allOf: [] }, subject: undefined }, 'match.allOf', /non-empty list/],
    [{ match: { anyOf: [{}] }, subject: undefined }, 'match.anyOf[0]', /empty condition/],
    [{ match: { subjet: 'x' }, subject: undefined }, 'match', /unknown condition key "subjet"/],
    [{ matchAll: 'yes', subject: undefined }, 'matchAll', /must be true/],
  ])('rejects %j at %s', (extra, path, message) => {
    const raw = rule(extra);
    for (const [k, v] of Object.entries(raw)) if (v === undefined) delete (raw as Record<string, unknown>)[k];
    const error = errorOf([raw]);
    expect(error.issues).toContainEqual({ rule: 'r', path, message: expect.stringMatching(message) });
  });

  it('refuses a rule without conditions, and conditions in two places', () => {
    expect(errorOf([{ name: 'r', actions: ['markRead'] }]).issues[0]?.message).toMatch(/no condition.*matchAll/);
    expect(errorOf([rule({ match: { subject: 'y' } })]).issues[0]?.message).toMatch(/either under match/);
  });
});

describe('parseRules: handlers and actions', () => {
  it('parses run in its long form', () => {
    const [parsed] = parseRules(
      [rule({ run: { command: ['./handle.sh', '--fast'], timeout: '30s', cwd: 'handlers', env: { LEVEL: 'debug' } } })],
      'm',
    );
    expect(parsed?.handler).toEqual({
      kind: 'command',
      command: ['./handle.sh', '--fast'],
      timeoutMs: 30_000,
      cwd: 'handlers',
      env: { LEVEL: 'debug' },
    });
  });

  it('parses passEnv, the variables of the service handed on to the command (issue 13.5)', () => {
    const [parsed] = parseRules(
      [rule({ run: { command: ['./handle.sh'], passEnv: ['API_TOKEN', 'HTTPS_PROXY'] } })],
      'm',
    );
    expect(parsed?.handler).toMatchObject({ kind: 'command', passEnv: ['API_TOKEN', 'HTTPS_PROXY'] });
  });

  it.each([
    [{ run: 'node handler.js' }, 'run', /no shell is used/],
    [{ run: [] }, 'run', /non-empty list/],
    [{ run: ['', 'x'] }, 'run[0]', /naming the program/],
    [{ run: { command: ['x'], timeout: '30' } }, 'run.timeout', /duration/],
    [{ run: { command: ['x'], timeout: '48h' } }, 'run.timeout', /at most 24h/],
    [{ run: { command: ['x'], env: { MAIL_AUTOPILOT_KEY: 'x' } } }, 'run.env.MAIL_AUTOPILOT_KEY', /reserved/],
    [{ run: { command: ['x'], env: { 'BAD-NAME': 'x' } } }, 'run.env.BAD-NAME', /not a valid/],
    [{ run: { command: ['x'], shell: true } }, 'run', /unknown key "shell"/],
    [{ run: { command: ['x'], passEnv: 'HOME' } }, 'run.passEnv', /list of environment variable names/],
    [{ run: { command: ['x'], passEnv: ['OK', 'BAD-NAME'] } }, 'run.passEnv[1]', /not a valid/],
    [{ run: { command: ['x'], passEnv: ['MAIL_AUTOPILOT_KEY'] } }, 'run.passEnv[0]', /reserved/],
    [{ actions: 'markRead' }, 'actions', /must be a list/],
    [{ actions: ['moveTo'] }, 'actions[0]', /moveTo needs a value/],
    [{ actions: ['archive'] }, 'actions[0]', /unknown action "archive"/],
    [{ actions: [{ moveTo: 'A', flag: 'B' }] }, 'actions[0]', /single-key mapping/],
    [{ actions: [{ reply: {} }] }, 'actions[0].reply', /needs text or html/],
    [
      { actions: [{ reply: { text: 'x', subject: 'a\r\nBcc: evil@example.test' } }] },
      'actions[0].reply.subject',
      /one line/,
    ],
    [{ actions: [{ forward: 'not an address' }] }, 'actions[0].forward', /e-mail address/],
    [{ actions: [{ forward: { to: ['a@example.test', 'b'] } }] }, 'actions[0].forward.to[1]', /e-mail address/],
    [{ actions: [{ send: { to: 'a@example.test', text: 'x' } }] }, 'actions[0].send.subject', /non-empty string/],
    [{ actions: [{ flag: 'two words' }] }, 'actions[0].flag', /flag like/],
    [{ actions: [{ markRead: 'yes' }] }, 'actions[0].markRead', /takes no value/],
    [{ actions: [{ moveTo: 'Processed' }, 'markRead'] }, 'actions', /moveTo must be the last action/],
    [{ actions: ['delete', { moveTo: 'X' }] }, 'actions', /delete must be the last action/],
    [{ actions: [], stop: false }, '', /does nothing/],
    [{ stop: 'yes' }, 'stop', /true or false/],
    [{ subjectt: 'x' }, 'subjectt', /not a rule key/],
  ])('rejects %j at %s', (extra, path, message) => {
    const error = errorOf([rule(extra)]);
    expect(error.issues).toContainEqual({ rule: 'r', path, message: expect.stringMatching(message) });
  });

  it('parses every action form', () => {
    const [parsed] = parseRules(
      [
        rule({
          actions: [
            { reply: 'Thanks!' },
            { reply: { html: '<p>Thanks</p>', subject: 'Confirmed' } },
            { forward: 'ops@example.test' },
            { forward: { to: ['a@example.test'], cc: 'b@example.test', text: 'FYI', subject: 'Fwd' } },
            { send: { to: 'c@example.test', subject: 'Form received', text: 'see above' } },
            'markRead',
            { markRead: true },
            { flag: '\\Flagged' },
            { flag: 'Processed' },
            'stop',
            'delete',
          ],
        }),
      ],
      'm',
    );
    expect(parsed?.actions).toEqual([
      { kind: 'reply', text: 'Thanks!' },
      { kind: 'reply', html: '<p>Thanks</p>', subject: 'Confirmed' },
      { kind: 'forward', to: ['ops@example.test'] },
      { kind: 'forward', to: ['a@example.test'], cc: ['b@example.test'], text: 'FYI', subject: 'Fwd' },
      { kind: 'send', to: ['c@example.test'], subject: 'Form received', text: 'see above' },
      { kind: 'markRead' },
      { kind: 'markRead' },
      { kind: 'flag', flag: '\\Flagged' },
      { kind: 'flag', flag: 'Processed' },
      { kind: 'delete' },
    ]);
    expect(parsed?.stop).toBe(true);
  });

  it('accepts a rule that only stops (selects messages to leave alone)', () => {
    expect(parseRules([{ name: 'ignore newsletters', header: { name: 'List-Id' }, stop: true }], 'm')[0]).toMatchObject(
      {
        actions: [],
        handler: null,
        stop: true,
      },
    );
  });
});

describe('parseRules: the rule list', () => {
  it('reports every problem at once, naming mailbox, rule and path', () => {
    const error = errorOf(
      [
        { name: 'a', subject: { regex: '(' }, actions: ['markRead'] },
        { name: 'a', subject: 'x', actions: ['bogus'] },
        'not a rule',
        { subject: 'x', actions: ['markRead'] },
      ],
      'sales',
    );
    expect(error.mailboxId).toBe('sales');
    expect(error.issues.map((i) => [i.rule, i.path])).toEqual([
      ['a', 'subject.regex'],
      ['a', 'name'],
      ['a', 'actions[0]'],
      ['rules[2]', ''],
      ['rules[3]', 'name'],
    ]);
    expect(error.message).toMatch(/^5 problems in the rules:\n {2}mailbox "sales", rule "a", subject\.regex: /);
  });

  it('refuses something that is not a list', () => {
    expect(errorOf({ name: 'x' }).message).toMatch(/^mailbox "support", rules: must be a list/);
  });
});

describe('parseMatch (host API)', () => {
  it('accepts a RegExp and keeps its flags', () => {
    expect(parseMatch({ subject: /^Order \d+/ }, 'm', 'orders')).toEqual({
      kind: 'subject',
      test: { op: 'regex', source: '^Order \\d+', flags: '' },
    });
    expect(parseMatch({ subject: /order/gi }, 'm', 'orders')).toMatchObject({ test: { flags: 'i' } });
  });

  it('throws RuleConfigError naming the rule', () => {
    expect(() => parseMatch({ subject: { regex: '[' } }, 'm', 'orders')).toThrow(/rule "orders", subject\.regex/);
    expect(() => parseMatch({}, 'm', 'orders')).toThrow(/empty condition/);
  });
});

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    [' 1.5s ', 1_500],
    [250, 250],
  ])('%j is %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['30', '', 'soon', '5 s', '1x', -1, Number.NaN, null])('refuses %j', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});
