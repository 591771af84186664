import { describe, expect, it } from 'vitest';
import type { MailServiceCapabilities } from '../../../adapters/contract.js';
import { assertRulesSupported } from '../../../runtime/rules/capabilities.js';
import { RuleConfigError } from '../../../runtime/rules/config-issues.js';
import { parseRules } from '../../../runtime/rules/parse-rules.js';

const pop3: MailServiceCapabilities = {
  unreadOnly: false,
  markRead: false,
  flag: false,
  move: false,
  delete: true,
  folders: false,
  rawMime: true,
  push: false,
  send: false,
};

describe('assertRulesSupported', () => {
  const rules = parseRules(
    [
      { name: 'bounces', subject: { startsWith: 'Undelivered' }, actions: ['markRead', { moveTo: 'Done' }] },
      { name: 'optin', subject: 'Newsletter confirmation', actions: [{ reply: 'ok' }, 'delete'] },
    ],
    'inbox',
  );

  it('names each action the service cannot perform, by rule and path', () => {
    let error: unknown;
    try {
      assertRulesSupported(rules, pop3, { mailboxId: 'inbox', serviceName: 'POP3', canSendMail: false });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RuleConfigError);
    expect((error as RuleConfigError).issues).toEqual([
      { rule: 'bounces', path: 'actions[0].markRead', message: 'POP3 cannot markRead (no markRead capability)' },
      { rule: 'bounces', path: 'actions[1].moveTo', message: 'POP3 cannot moveTo (no move capability)' },
      { rule: 'optin', path: 'actions[0].reply', message: expect.stringMatching(/configure smtp/) },
    ]);
  });

  it('accepts rules the service supports', () => {
    expect(() => assertRulesSupported(rules.slice(1), pop3, { mailboxId: 'inbox', canSendMail: true })).not.toThrow();
  });

  it('a size condition where the service reports no size (Simple MAPI) names the rule (issue 15 point 6)', () => {
    const sized = parseRules(
      [{ name: 'small', anyOf: [{ size: { under: '10KB' } }, { subject: 'x' }], actions: ['delete'] }],
      'inbox',
    );
    let error: unknown;
    try {
      assertRulesSupported(sized, pop3, {
        mailboxId: 'inbox',
        serviceName: 'mapi-simple',
        canSendMail: true,
        reportsSize: false,
      });
    } catch (e) {
      error = e;
    }
    expect((error as RuleConfigError).issues).toEqual([
      { rule: 'small', path: 'size', message: 'mapi-simple reports no message size' },
    ]);
    expect(() =>
      assertRulesSupported(sized, pop3, { mailboxId: 'inbox', canSendMail: true, reportsSize: true }),
    ).not.toThrow();
  });
});
