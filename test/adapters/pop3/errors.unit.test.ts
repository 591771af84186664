/**
 * POP3 replies and transport failures as typed errors: what the machine and a person read.
 */
import { describe, expect, it } from 'vitest';
import { cleanServerText, errorFromReply, errorFromTransport, responseCode } from '../../../adapters/pop3/errors.js';

const where = 'POP3 127.0.0.1:995';

describe('errorFromReply', () => {
  it('maps the response codes of RFC 2449 and RFC 3206', () => {
    const code = (command: string, text: string) =>
      errorFromReply({ mailboxId: 'm', where, command, text }).toJSON().code;
    expect(code('PASS', ' [IN-USE] Mailbox is locked by another POP3 session.')).toBe('MAILDROP_LOCKED');
    expect(code('PASS', ' [LOGIN-DELAY] wait')).toBe('LOGIN_DELAY');
    expect(code('PASS', " [SYS/TEMP] Couldn't sync mailbox.")).toBe('SERVER_UNAVAILABLE');
    expect(code('RETR', ' [SYS/PERM] broken')).toBe('SERVER_REFUSED');
    expect(code('PASS', ' [AUTH] Authentication failed.')).toBe('AUTH_FAILED');
    expect(code('AUTH', ' whatever')).toBe('AUTH_FAILED');
    expect(code('RETR', ' no such message')).toBe('POP3_COMMAND_FAILED');
  });

  it('says whether retrying can help: a locked maildrop yes, a wrong password no', () => {
    expect(errorFromReply({ mailboxId: 'm', where, command: 'PASS', text: '[IN-USE] x' }).retryable).toBe(true);
    expect(errorFromReply({ mailboxId: 'm', where, command: 'PASS', text: '[AUTH] x' }).retryable).toBe(false);
  });

  it('names the mailbox, the user and the command, never what the client sent', () => {
    const error = errorFromReply({ mailboxId: 'box', where, command: 'PASS', text: ' [AUTH] nope', user: 'u@x' });
    expect(error.message).toBe(
      'mailbox box: POP3 127.0.0.1:995: POP3 login rejected for u@x (check user and password): server said "[AUTH] nope"',
    );
    expect(error.command).toBe('PASS');
  });
});

describe('errorFromTransport', () => {
  it('maps connect failures with Node codes and certificate problems', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(errorFromTransport(refused, { mailboxId: 'm', where, phase: 'connect' }).code).toBe('CONNECTION_REFUSED');
    const cert = Object.assign(new Error('unable to verify'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(errorFromTransport(cert, { mailboxId: 'm', where, phase: 'connect' })).toMatchObject({
      code: 'TLS_CERT_INVALID',
      retryable: false,
    });
  });

  it('turns anything that ends a session in use into CONNECTION_LOST (the machine goes to backoff)', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(errorFromTransport(reset, { mailboxId: 'm', where, phase: 'session' })).toMatchObject({
      code: 'CONNECTION_LOST',
      retryable: true,
    });
  });
});

describe('server text', () => {
  it('is cleaned of control characters and shortened', () => {
    expect(cleanServerText('a\u0007b\r\n')).toBe('a b');
    expect(cleanServerText('x'.repeat(300))).toHaveLength(201);
    expect(responseCode(' [in-use] locked')).toBe('IN-USE');
    expect(responseCode('no code')).toBeNull();
  });
});
