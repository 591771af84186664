/**
 * Per-protocol scopes (SPEC S4) and protocol names.
 */
import { describe, expect, it } from 'vitest';
import {
  APP_ONLY_SCOPE,
  delegatedScopes,
  OAUTH2_PROTOCOLS,
  PROTOCOL_SCOPES,
  parseProtocol,
  protocolLabel,
} from '../../../adapters/oauth2/index.js';

describe('scopes', () => {
  it("are Exchange Online's delegated permissions, each asked with offline_access", () => {
    expect(OAUTH2_PROTOCOLS.map(delegatedScopes)).toEqual([
      ['https://outlook.office.com/IMAP.AccessAsUser.All', 'offline_access'],
      ['https://outlook.office.com/POP.AccessAsUser.All', 'offline_access'],
      ['https://outlook.office.com/SMTP.Send', 'offline_access'],
    ]);
    expect(PROTOCOL_SCOPES.smtp).toBe('https://outlook.office.com/SMTP.Send');
    expect(APP_ONLY_SCOPE).toBe('https://outlook.office365.com/.default');
  });

  it('reads protocol names as people type them', () => {
    expect(['imap', 'IMAP', ' pop ', 'pop3', 'POP3', 'smtp'].map(parseProtocol)).toEqual([
      'imap',
      'imap',
      'pop',
      'pop',
      'pop',
      'smtp',
    ]);
    expect(parseProtocol('mapi')).toBeUndefined();
    expect(OAUTH2_PROTOCOLS.map(protocolLabel)).toEqual(['IMAP', 'POP3', 'SMTP']);
  });
});
