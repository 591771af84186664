/**
 * The XOAUTH2 SASL pieces (issue 7, item 4), pure: the client response, the error challenge, the responder used
 * with Pop3Client.authenticate, and the POP3 step over a scripted in-memory line pair.
 */
import { describe, expect, it } from 'vitest';
import {
  type Pop3LineIo,
  parseXOAuth2Challenge,
  pop3AuthXOAuth2,
  xoauth2InitialResponse,
  xoauth2Sasl,
} from '../../../adapters/oauth2/index.js';

const ERROR_B64 = Buffer.from('{"status":"401","schemes":"bearer","scope":"mail"}').toString('base64');

/** A server that answers each client line from a script; records what the client sent. */
function scripted(replies: string[]): Pop3LineIo & { sent: string[] } {
  const sent: string[] = [];
  const queue = [...replies];
  return {
    sent,
    send: (line) => {
      sent.push(line);
    },
    readLine: async () => {
      const next = queue.shift();
      if (next === undefined) throw new Error('the server has nothing more to say');
      return next;
    },
  };
}

describe('xoauth2InitialResponse', () => {
  it("matches the example of Google's XOAUTH2 protocol document", () => {
    expect(xoauth2InitialResponse('someuser@example.com', 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg')).toBe(
      'dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==',
    );
  });

  it('is base64 of user=…^Aauth=Bearer …^A^A', () => {
    const decoded = Buffer.from(xoauth2InitialResponse('a@b.test', 'tok'), 'base64').toString('utf8');
    expect(decoded).toBe('user=a@b.test\x01auth=Bearer tok\x01\x01');
  });

  it.each([
    ['user', 'a\x01b@test', 't'],
    ['user', 'a\r\nQUIT', 't'],
    ['token', 'a@b.test', 't\nQUIT'],
    ['token', 'a@b.test', ''],
  ])('refuses a %s that could inject protocol text or is empty', (_what, user, token) => {
    expect(() => xoauth2InitialResponse(user, token)).toThrow(TypeError);
  });
});

describe('parseXOAuth2Challenge', () => {
  it('decodes the JSON error of a failed XOAUTH2', () => {
    expect(parseXOAuth2Challenge(ERROR_B64)).toEqual({
      status: '401',
      schemes: 'bearer',
      scope: 'mail',
      raw: '{"status":"401","schemes":"bearer","scope":"mail"}',
    });
  });

  it('an empty payload is the "send your response" prompt, not an error', () => {
    expect(parseXOAuth2Challenge('')).toBeUndefined();
    expect(parseXOAuth2Challenge('  ')).toBeUndefined();
  });

  it('keeps a payload that is not JSON as raw text', () => {
    expect(parseXOAuth2Challenge(Buffer.from('nope').toString('base64'))).toEqual({ raw: 'nope' });
  });
});

describe('xoauth2Sasl (for Pop3Client.authenticate)', () => {
  it('puts a short response on the command line and answers the error challenge with an empty line', () => {
    const sasl = xoauth2Sasl('a@b.test', 'short');
    expect(sasl.initialResponse).toBe(xoauth2InitialResponse('a@b.test', 'short'));
    expect(sasl.respond(ERROR_B64)).toBe('');
    expect(sasl.error).toMatchObject({ status: '401' });
  });

  it('leaves a long response for the empty challenge (RFC 5034: AUTH line at most 255 octets)', () => {
    const token = 'x'.repeat(300);
    const sasl = xoauth2Sasl('a@b.test', token);
    expect(sasl.initialResponse).toBeUndefined();
    expect(sasl.respond('')).toBe(xoauth2InitialResponse('a@b.test', token));
    expect(sasl.respond(ERROR_B64)).toBe('');
    expect(sasl.error).toMatchObject({ status: '401' });
  });
});

describe('pop3AuthXOAuth2 over a scripted line pair', () => {
  it('+OK after the initial response is success', async () => {
    const io = scripted(['+OK Logged in.']);
    await expect(pop3AuthXOAuth2(io, 'a@b.test', 'tok')).resolves.toEqual({ ok: true, reply: '+OK Logged in.' });
    expect(io.sent).toEqual([`AUTH XOAUTH2 ${xoauth2InitialResponse('a@b.test', 'tok')}`]);
  });

  it('regression (NOTES.md: node-pop3 took any + line for success): the error continuation ends in the -ERR', async () => {
    const io = scripted([`+ ${ERROR_B64}`, '-ERR [AUTH] Authentication failed.']);
    const result = await pop3AuthXOAuth2(io, 'a@b.test', 'tok');
    expect(result).toMatchObject({ ok: false, reply: '-ERR [AUTH] Authentication failed.', error: { status: '401' } });
    expect(io.sent[1]).toBe('');
  });

  it('a custom maxCommandLength moves even a short response after the challenge', async () => {
    const io = scripted(['+ ', '+OK']);
    await pop3AuthXOAuth2(io, 'a@b.test', 'tok', { maxCommandLength: 10 });
    expect(io.sent).toEqual(['AUTH XOAUTH2', xoauth2InitialResponse('a@b.test', 'tok')]);
  });
});
