/**
 * Pure parts of the MAPI adapters: error mapping, the bridge protocol, headers, rebuilt MIME, config, outgoing
 * mail, Simple MAPI value formats and the C structure layout (koffi, in memory).
 */
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { validateMapiConfig } from '../../../adapters/mapi/config.js';
import { capabilityMissing, HRESULT, hresultText, SIMPLE_MAPI, toMapiError } from '../../../adapters/mapi/errors.js';
import { headersAndEnvelope } from '../../../adapters/mapi/headers.js';
import { REBUILT_HEADER, rebuildMime, rebuiltBy, rebuiltSource } from '../../../adapters/mapi/mime.js';
import { toMapiOutgoing } from '../../../adapters/mapi/outgoing.js';
import { decodeChildLine, decodeRequestLine, encodeLine, toBridgeFailure } from '../../../adapters/mapi/protocol.js';
import type { MapiMessageParts } from '../../../adapters/mapi/types.js';
import { receivedIso, smtpOf } from '../../../adapters/mapi-simple/driver.js';
import { mapiDefaults } from '../../../scripts/harness/adapter-settings.js';

const context = { mailboxId: 'support', where: 'Outlook profile "Support"', op: 'list' };

describe('MAPI error mapping', () => {
  it('COM "server busy" and MAPI_E_BUSY are MAPI_BUSY, retryable', () => {
    for (const failure of [
      { kind: 'com' as const, hresult: HRESULT.RPC_E_SERVERCALL_RETRYLATER, scode: null, message: 'busy' },
      { kind: 'com' as const, hresult: HRESULT.RPC_E_CALL_REJECTED, scode: null, message: 'rejected' },
      { kind: 'com' as const, hresult: HRESULT.DISP_E_EXCEPTION, scode: HRESULT.MAPI_E_BUSY, message: 'busy' },
    ]) {
      const error = toMapiError(failure, context);
      expect([error.code, error.retryable]).toEqual(['MAPI_BUSY', true]);
    }
  });

  it('logon failures are MAPI_LOGON_FAILED and not retryable (COM and Simple MAPI)', () => {
    const com = toMapiError(
      { kind: 'com', hresult: HRESULT.DISP_E_EXCEPTION, scode: HRESULT.MAPI_E_LOGON_FAILED, message: 'x' },
      context,
    );
    const simple = toMapiError(
      { kind: 'mapi', fn: 'MAPILogon', code: SIMPLE_MAPI.MAPI_E_LOGON_FAILURE, message: 'x' },
      context,
    );
    for (const error of [com, simple]) expect([error.code, error.retryable]).toEqual(['MAPI_LOGON_FAILED', false]);
    expect(simple.message).toContain('MAPILogon returned MAPI_E_LOGON_FAILURE (3)');
  });

  it('an unknown HRESULT is MAPI_CALL_FAILED (retryable) with the code in hex', () => {
    const error = toMapiError({ kind: 'com', hresult: 0x80aa0001, scode: null, message: 'odd' }, context);
    expect([error.code, error.retryable]).toEqual(['MAPI_CALL_FAILED', true]);
    expect(error.message).toContain('0x80AA0001');
    expect(hresultText(HRESULT.MAPI_E_NOT_FOUND)).toBe('0x8004010F (MAPI_E_NOT_FOUND)');
  });

  it('missing messages and folders are not retryable; an unloadable backend is MAPI_UNAVAILABLE', () => {
    expect(toMapiError({ kind: 'not-found', what: 'folder', message: 'x' }, context).code).toBe('FOLDER_NOT_FOUND');
    expect(toMapiError({ kind: 'mapi', fn: 'MAPIReadMail', code: 17, message: 'x' }, context).code).toBe(
      'MESSAGE_NOT_FOUND',
    );
    const unavailable = toMapiError({ kind: 'unavailable', message: 'no winax' }, context);
    expect([unavailable.code, unavailable.retryable]).toEqual(['MAPI_UNAVAILABLE', false]);
  });

  it('winax-shaped errors become COM failures with unsigned HRESULTs; CAPABILITY_MISSING is not retryable', () => {
    const failure = toBridgeFailure(
      Object.assign(new Error('x'), { errno: HRESULT.DISP_E_EXCEPTION | 0, code: HRESULT.MAPI_E_NOT_FOUND | 0 }),
    );
    expect(failure).toEqual({
      kind: 'com',
      hresult: HRESULT.DISP_E_EXCEPTION,
      scode: HRESULT.MAPI_E_NOT_FOUND,
      message: 'x',
    });
    const missing = capabilityMissing('a', 'Simple MAPI', 'moveTo', 'no folders');
    expect([missing.code, missing.retryable]).toEqual(['CAPABILITY_MISSING', false]);
  });
});

describe('bridge protocol', () => {
  it('round-trips requests and responses as single lines and ignores stray output', () => {
    const line = encodeLine({
      id: 3,
      ok: false,
      error: { kind: 'mapi', fn: 'MAPIFindNext', code: 16, message: 'x\ny' },
    });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(decodeChildLine(line.trim())).toMatchObject({ id: 3, ok: false });
    expect(decodeChildLine('hello from a library')).toBeNull();
    expect(decodeChildLine('{"id":1,"ok":false,"error":{"kind":"weird"}}')).toBeNull();
    expect(decodeRequestLine(encodeLine({ id: 9, op: 'list', args: { unreadOnly: true } }))).toEqual({
      id: 9,
      op: 'list',
      args: { unreadOnly: true },
    });
  });
});

const envelope = {
  ref: 'AB',
  key: 'outlook:sk:01',
  messageId: null,
  unread: true,
  subject: 'Hello',
  from: [{ name: 'Ada', address: 'Ada@Example.test' }],
  to: [{ name: '', address: 'box@example.test' }],
  cc: [],
  replyTo: [],
  receivedAt: '2024-01-02T03:04:05.000Z',
  size: 10,
  transportHeaders: null,
};

describe('headers and envelope', () => {
  it('parses transport headers with the mail-format module: lower-case names, unfolded, decoded, every value kept', () => {
    const { headers } = headersAndEnvelope({
      ...envelope,
      transportHeaders:
        'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n  aus Berlin\r\nReceived: a\r\nReceived: b\r\n\r\nbody',
    });
    expect(headers.get('subject')).toEqual(['Grüße aus Berlin']);
    expect(headers.get('received')).toEqual(['a', 'b']);
  });

  it('joins an encoded word split across two words (regression: the MAPI decoder decoded each word alone)', () => {
    // '€' is E2 82 AC in UTF-8; the two words carry E2 82 and AC. Decoded one by one they gave two U+FFFD.
    const { headers, envelope: parsed } = headersAndEnvelope({
      ...envelope,
      transportHeaders: 'Subject: =?UTF-8?B?4oI=?= =?UTF-8?B?rA==?= 5\r\n\r\n',
    });
    expect(headers.get('subject')).toEqual(['€ 5']);
    expect(parsed.subject).toBe('€ 5');
  });

  it('prefers the transport headers, falls back to the MAPI fields', () => {
    const withHeaders = headersAndEnvelope({
      ...envelope,
      messageId: '<m@x>',
      transportHeaders:
        'From: "Bob" <bob@example.test>\r\nReply-To: r@example.test\r\nIn-Reply-To: <p@x>\r\nList-Id: <l.x>\r\n',
    });
    expect(withHeaders.envelope.from).toEqual([{ name: 'Bob', address: 'bob@example.test' }]);
    expect(withHeaders.envelope.replyTo).toEqual([{ name: '', address: 'r@example.test' }]);
    expect(withHeaders.envelope.inReplyTo).toBe('<p@x>');
    expect(withHeaders.headers.get('list-id')).toEqual(['<l.x>']);
    const fromFields = headersAndEnvelope(envelope);
    expect(fromFields.envelope.from).toEqual([{ name: 'Ada', address: 'ada@example.test' }]);
    expect(fromFields.headers.get('subject')).toEqual(['Hello']);
    expect(fromFields.envelope.messageId).toBeNull();
  });
});

describe('rebuilt MIME', () => {
  const parts: MapiMessageParts = {
    ...envelope,
    text: 'Hi there',
    html: null,
    attachments: [{ filename: 'a.txt', contentType: 'text/plain', size: 3, contentBase64: 'YWJj' }],
    truncated: false,
  };

  it('says it was rebuilt, carries the parts, and gets a stable .invalid Message-ID when MAPI has none', async () => {
    const first = await rebuildMime(parts, 'simple-mapi');
    const parsed = await simpleParser(first);
    expect(parsed.headers.get(REBUILT_HEADER.toLowerCase())).toBe('simple-mapi');
    expect(parsed.subject).toBe('Hello');
    expect(parsed.text?.trim()).toBe('Hi there');
    expect(parsed.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([['a.txt', 'abc']]);
    expect(parsed.messageId).toMatch(/@mail-autopilot\.invalid>$/);
    expect((await simpleParser(await rebuildMime(parts, 'simple-mapi'))).messageId).toBe(parsed.messageId);
    expect(rebuiltBy(rebuiltSource(first, 'simple-mapi'))).toBe('simple-mapi');
  });

  it('keeps the original header fields but not the original structure headers', async () => {
    const mime = await rebuildMime(
      {
        ...parts,
        messageId: '<orig@x>',
        transportHeaders:
          'Received: from a by b\r\nMessage-ID: <orig@x>\r\nSubject: Hello\r\nContent-Type: multipart/signed; boundary=zz\r\nAuto-Submitted: auto-replied\r\n',
      },
      'outlook-object-model',
    );
    const parsed = await simpleParser(mime);
    expect(parsed.messageId).toBe('<orig@x>');
    expect(parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(mime.toString()).not.toContain('multipart/signed');
  });
});

describe('config', () => {
  it('Simple MAPI watches only the Inbox; the profile is at most 256 characters', () => {
    const fake = { ...mapiDefaults(), bridge: { fake: { module: 'm', store: 's' } } };
    expect(() => validateMapiConfig({ ...fake, id: 'a', folder: 'Archive' }, { simple: true })).toThrow(
      /folder: Simple MAPI sees only the Inbox/,
    );
    expect(() => validateMapiConfig({ id: 'a', profile: 'x'.repeat(257), ...fake }, { simple: false })).toThrow(
      /profile/,
    );
    expect(validateMapiConfig({ id: 'a', ...fake }, { simple: true })).toMatchObject({ profile: '', folder: 'INBOX' });
  });

  it('off Windows without a fake, creating a MAPI service is MAPI_UNAVAILABLE naming SPEC S1', () => {
    if (process.platform === 'win32') return;
    expect(() => validateMapiConfig({ ...mapiDefaults(), id: 'a' }, { simple: false })).toThrow(
      /needs Windows .*SPEC S1/,
    );
  });
});

describe('outgoing mail and Simple MAPI formats', () => {
  it('takes bare addresses and threading headers from an SmtpMessage', async () => {
    const outgoing = await toMapiOutgoing({
      from: 'a@example.test',
      to: ['Ada <ada@example.test>', 'b@example.test'],
      subject: 'Re: x',
      text: 't',
      inReplyTo: '<p@x>',
      references: ['<o@x>', '<p@x>'],
      headers: { 'Auto-Submitted': 'auto-replied' },
      attachments: [{ filename: 'f.txt', content: 'abc' }],
    });
    expect(outgoing.to).toEqual(['ada@example.test', 'b@example.test']);
    expect(outgoing.headers).toEqual({
      'Auto-Submitted': 'auto-replied',
      'In-Reply-To': '<p@x>',
      References: '<o@x> <p@x>',
    });
    expect(outgoing.attachments[0]).toMatchObject({ filename: 'f.txt', contentBase64: 'YWJj' });
  });

  it('reads Simple MAPI addresses and dates', () => {
    expect(smtpOf('SMTP:ada@example.test')).toBe('ada@example.test');
    expect(smtpOf('EX:/o=Org/cn=ada')).toBe('');
    expect(smtpOf(null)).toBe('');
    expect(receivedIso('2024/01/02 03:04')).toBe(new Date(2024, 0, 2, 3, 4).toISOString());
    expect(receivedIso('yesterday')).toBeNull();
  });
});
