/**
 * The POP3 transport and its commands over real loopback sockets, against a scripted server that writes exactly the bytes each case
 * needs — what Dovecot produces only by chance (a terminator split across two TLS records) or not at all (a SASL
 * continuation carrying an error). Each test pins one node-pop3 0.11.0 defect of NOTES.md or one typed failure.
 * Deterministic: a part is written only after the client has read the previous one (no sleeps).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  authenticate,
  authXOAuth2,
  capa,
  dele,
  listOf,
  login,
  noop,
  quit,
  retr,
  retrStream,
  stat,
  stls,
  top,
  topMany,
  uidl,
} from '../../../adapters/pop3/commands/index.js';
import { Pop3CommandError } from '../../../adapters/pop3/errors.js';
import { Pop3Transport, type Pop3TransportOptions } from '../../../adapters/pop3/transport.js';
import { makeCertificates, type TestCertificates } from '../../../scripts/harness/certificates.js';
import { type FakePop3Server, startFakePop3, stuffed, trackReads } from './fake-pop3-server.js';

let dir: string;
let certs: TestCertificates;
let caPem: string;
let wrongCaPem: string;
const servers: FakePop3Server[] = [];
const clients: Pop3Transport[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pop3-client-test-'));
  certs = await makeCertificates(dir);
  caPem = await readFile(certs.caFile, 'utf8');
  wrongCaPem = await readFile(certs.wrongCaFile, 'utf8');
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const server of servers.splice(0)) await server.close();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function serve(options: Parameters<typeof startFakePop3>[0]): Promise<FakePop3Server> {
  const server = await startFakePop3(options);
  servers.push(server);
  return server;
}

function options(server: FakePop3Server, overrides: Partial<Pop3TransportOptions> = {}): Pop3TransportOptions {
  return {
    mailboxId: 'fake-box',
    host: '127.0.0.1',
    port: server.port,
    security: 'implicit',
    ca: caPem,
    commandTimeoutMs: 10_000,
    ...overrides,
  };
}

/** Connects, and upgrades with STLS when `security` asks for it (as the service does). */
async function connect(opts: Pop3TransportOptions): Promise<Pop3Transport> {
  const client = await Pop3Transport.connect(opts);
  clients.push(client);
  if (opts.security === 'starttls') await stls(client);
  return client;
}

async function open(server: FakePop3Server, overrides: Partial<Pop3TransportOptions> = {}): Promise<Pop3Transport> {
  return connect(options(server, overrides));
}

const tls = () => ({ certFile: certs.certFile, keyFile: certs.keyFile });

describe('Pop3Transport framing over a real TLS socket', () => {
  const message = Buffer.from('Subject: split\r\n\r\nfirst line\r\nlast line\r\n');

  // Every cut of the bytes around the end: inside "\r\n" of the last line, between it and ".", inside ".\r\n".
  const wire = stuffed(message);
  const cuts = [1, 2, 3, 4, 5].map((back) => wire.length - back);

  it.each(cuts)(
    'RETR returns when "\\r\\n.\\r\\n" is split across two TLS records at byte %i (node-pop3 defect 1: hang)',
    async (cut) => {
      let reads: ReturnType<typeof trackReads> | undefined;
      const server = await serve({
        tls: tls(),
        messages: [message],
        handle: async (command, _args, connection) => {
          if (command !== 'RETR') return false;
          const base = reads!.total;
          const first = Buffer.concat([Buffer.from(`+OK ${message.length} octets\r\n`), wire.subarray(0, cut)]);
          await connection.write(first);
          await reads!.until(base + first.length); // the client has this part before the rest exists
          await connection.write(wire.subarray(cut));
          return true;
        },
      });
      const client = await open(server);
      await login(client, 'user', 'secret');
      reads = trackReads(client.socket!);
      const chunks: Buffer[] = [];
      client.socket!.on('data', (chunk: Buffer) => chunks.push(chunk));
      const source = await retr(client, 1);
      // The premise: the client really read the two parts separately.
      expect(chunks.at(-1)!.equals(wire.subarray(cut))).toBe(true);
      expect(source.equals(message)).toBe(true);
      // The connection is still in step: the next command gets its own reply.
      expect(await stat(client)).toEqual({ count: 1, size: message.length });
    },
  );

  it('keeps the final CRLF and undoes dot-stuffing, byte for byte (node-pop3 defects 2 and 3)', async () => {
    const tricky = Buffer.concat([
      Buffer.from('Subject: dots\r\n\r\n.starts with a dot\r\n..two dots\r\n.\r\nmiddle.\r\n'),
      Buffer.from([0xc3, 0xa4, 0xff, 0x0d, 0x0a]),
      Buffer.from('.\r\n'),
    ]);
    const server = await serve({ tls: tls(), messages: [tricky] });
    const client = await open(server);
    await login(client, 'user', 'secret');
    const source = await retr(client, 1);
    expect(source.equals(tricky)).toBe(true);
    expect(source.subarray(-5).toString('latin1')).toBe('\n.\r\n'.padStart(5, '\r'));
    const head = await top(client, 1, 0);
    expect(head.toString()).toBe('Subject: dots\r\n\r\n');
  });

  it('UIDL, LIST n, RETR and DELE committed by QUIT, on the same framing', async () => {
    const one = Buffer.from('Subject: one\r\n\r\n.dot\r\n');
    const two = Buffer.from('Subject: two\r\n\r\nbody\r\n');
    const server = await serve({ tls: tls(), messages: [one, two] });
    const client = await open(server);
    await login(client, 'user', 'secret');
    expect(await uidl(client)).toEqual([
      { number: 1, uid: 'uid-1' },
      { number: 2, uid: 'uid-2' },
    ]);
    expect(await listOf(client, 2)).toBe(two.length);
    expect((await retr(client, 1)).equals(one)).toBe(true);
    await dele(client, 1);
    expect(server.messages).toEqual([one, two]);
    await quit(client);
    expect(server.messages).toEqual([two]);
  });

  it('runs calls made at the same time one after another (POP3 allows one command in flight)', async () => {
    const messages = Array.from({ length: 20 }, (_, i) =>
      Buffer.from(`Subject: ${i}\r\n\r\n${'x'.repeat(i * 500)}\r\n`),
    );
    const server = await serve({ tls: tls(), messages });
    const client = await open(server);
    await login(client, 'user', 'secret');
    const sources = await Promise.all(messages.map((_, i) => retr(client, i + 1)));
    sources.forEach((source, i) => {
      expect(source.equals(messages[i]!)).toBe(true);
    });
  });
});

describe('Pop3Transport security and authentication', () => {
  it('upgrades with STLS and then verifies the certificate against tlsCa', async () => {
    const message = Buffer.from('Subject: over STLS\r\n\r\n.dot\r\n');
    const server = await serve({ tls: tls(), stls: true, messages: [message] });
    const client = await open(server, { security: 'starttls' });
    expect(client.encrypted).toBe(true);
    expect(server.commands[0]).toBe('STLS');
    expect(await capa(client)).toContain('UIDL');
    await login(client, 'user', 'secret');
    expect((await retr(client, 1)).equals(message)).toBe(true);
  });

  it('rejects an STLS server whose certificate is from another CA', async () => {
    const server = await serve({ tls: tls(), stls: true });
    await expect(connect(options(server, { security: 'starttls', ca: wrongCaPem }))).rejects.toMatchObject({
      code: 'TLS_CERT_INVALID',
    });
  });

  it('refuses a server that does not offer STLS when STLS is required (no silent plaintext)', async () => {
    const server = await serve({});
    await expect(connect(options(server, { security: 'starttls' }))).rejects.toMatchObject({
      code: 'STARTTLS_UNAVAILABLE',
      retryable: false,
      mailboxId: 'fake-box',
    });
  });

  it('rejects a certificate from another CA as TLS_CERT_INVALID, naming the mailbox', async () => {
    const server = await serve({ tls: tls() });
    const failure = await connect(options(server, { ca: wrongCaPem })).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'TLS_CERT_INVALID', retryable: false, mailboxId: 'fake-box' });
    expect(String((failure as Error).message)).toContain('mailbox fake-box');
  });

  it('maps a wrong password to AUTH_FAILED (not retryable) without echoing the password', async () => {
    const server = await serve({ tls: tls(), password: 'right' });
    const client = await open(server);
    const failure = await login(client, 'ada@example.test', 'wrong-secret').catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'AUTH_FAILED', retryable: false, command: 'PASS' });
    expect(String((failure as Error).message)).toContain('ada@example.test');
    expect(String((failure as Error).message)).not.toContain('wrong-secret');
  });

  it('maps -ERR [IN-USE] (maildrop locked by another client) to MAILDROP_LOCKED, retryable', async () => {
    const server = await serve({
      tls: tls(),
      handle: async (command, _args, connection) => {
        if (command !== 'PASS') return false;
        await connection.write('-ERR [IN-USE] Mailbox is locked by another POP3 session\r\n');
        return true;
      },
    });
    const client = await open(server);
    await expect(login(client, 'user', 'secret')).rejects.toMatchObject({ code: 'MAILDROP_LOCKED', retryable: true });
  });

  it('treats a SASL "+" continuation as a question, not success: XOAUTH2 error → empty line → AUTH_FAILED (node-pop3 defect 4)', async () => {
    const challenges: string[] = [];
    const server = await serve({
      tls: tls(),
      handle: async (command, _args, connection) => {
        if (command === 'AUTH') {
          const error = Buffer.from('{"status":"401","schemes":"bearer","scope":"pop"}').toString('base64');
          await connection.write(`+ ${error}\r\n`);
          return true;
        }
        if (command === '') {
          await connection.write('-ERR [AUTH] Authentication failed.\r\n');
          return true;
        }
        return false;
      },
    });
    const client = await open(server);
    const initial = Buffer.from('user=u\x01auth=Bearer expired\x01\x01').toString('base64');
    const failure = await authenticate(client, 'u', 'XOAUTH2', initial, (challenge) => {
      challenges.push(Buffer.from(challenge, 'base64').toString());
      return '';
    }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'AUTH_FAILED', command: 'AUTH', retryable: false });
    expect(String((failure as Error).message)).not.toContain('expired');
    expect(challenges).toEqual(['{"status":"401","schemes":"bearer","scope":"pop"}']);
    expect(server.commands.at(-1)).toBe('');
  });
});

describe('Pop3Transport losing the connection', () => {
  it('rejects a RETR cut off mid-body with CONNECTION_LOST, and every later call with the same error', async () => {
    const server = await serve({
      tls: tls(),
      messages: [Buffer.from('A: b\r\n\r\nc\r\n')],
      handle: async (command, _args, connection) => {
        if (command !== 'RETR') return false;
        await connection.write('+OK 100 octets\r\nA: b\r\n\r\npartial');
        connection.socket.destroy();
        return true;
      },
    });
    const client = await open(server);
    await login(client, 'user', 'secret');
    await expect(retr(client, 1)).rejects.toMatchObject({ code: 'CONNECTION_LOST', retryable: true });
    await expect(stat(client)).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
    expect(client.closed).toBe(true);
  });

  it('fails to open against a server that accepts but never greets, with TIMEOUT', async () => {
    const server = await serve({ tls: tls(), greeting: null });
    await expect(connect(options(server, { commandTimeoutMs: 200 }))).rejects.toMatchObject({
      code: 'TIMEOUT',
      mailboxId: 'fake-box',
    });
  });

  it('fails a command the server never answers with TIMEOUT', async () => {
    const server = await serve({
      tls: tls(),
      handle: (command) => command === 'NOOP', // swallowed: no reply
    });
    const client = await open(server, { commandTimeoutMs: 200 });
    await login(client, 'user', 'secret');
    await expect(noop(client)).rejects.toMatchObject({ code: 'TIMEOUT', retryable: true });
  });
});

describe('Pop3Transport commands beyond the basics', () => {
  it('streams RETR with back-pressure: a slow consumer gets every byte, and the next command its own reply', async () => {
    const big = Buffer.concat([
      Buffer.from('Subject: big\r\n\r\n'),
      ...Array.from({ length: 40_000 }, (_, i) =>
        Buffer.from(`${i % 9 === 0 ? '.' : ''}line ${i} ${'y'.repeat(40)}\r\n`),
      ),
    ]);
    const server = await serve({ tls: tls(), messages: [big] });
    const client = await open(server);
    await login(client, 'user', 'secret');
    const stream = retrStream(client, 1);
    // Nobody reads yet: once the stream's buffer is full the transport stops reading the socket.
    while (!client.socket!.isPaused()) await new Promise((resolve) => setImmediate(resolve));
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(big)).toBe(true);
    expect(await stat(client)).toEqual({ count: 1, size: big.length });
  });

  it('a streamed RETR of a missing message errors its stream; the session stays in step', async () => {
    const server = await serve({ tls: tls(), messages: [Buffer.from('A: b\r\n\r\nc\r\n')] });
    const client = await open(server);
    await login(client, 'user', 'secret');
    const failure = await (async () => {
      for await (const _ of retrStream(client, 7)) {
        // nothing arrives
      }
    })().catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'POP3_COMMAND_FAILED', command: 'RETR' });
    expect((await stat(client)).count).toBe(1);
  });

  it('pipelined TOP: a message that fails is its own entry, the others are read', async () => {
    const one = Buffer.from('Subject: one\r\n\r\nbody\r\n');
    const two = Buffer.from('Subject: two\r\n\r\nbody\r\n');
    const server = await serve({ tls: tls(), messages: [one, two] });
    const client = await open(server);
    await login(client, 'user', 'secret');
    const [first, missing, second] = await topMany(client, [1, 9, 2]);
    expect(first?.toString()).toBe('Subject: one\r\n\r\n');
    expect(missing).toBeInstanceOf(Pop3CommandError);
    expect(second?.toString()).toBe('Subject: two\r\n\r\n');
    // One write: the server got all three before it answered the first.
    expect(server.commands.slice(-3)).toEqual(['TOP 1 0', 'TOP 9 0', 'TOP 2 0']);
  });

  it('refuses a command of the TRANSACTION state before login, without sending it', async () => {
    const server = await serve({ tls: tls() });
    const client = await open(server);
    await expect(stat(client)).rejects.toMatchObject({ code: 'NOT_AUTHENTICATED', retryable: false });
    expect(server.commands).not.toContain('STAT');
  });

  it('refuses an argument with CR or LF (it would smuggle in a command), sending nothing', async () => {
    const server = await serve({ tls: tls(), messages: [Buffer.from('A: b\r\n\r\nc\r\n')] });
    const client = await open(server);
    await expect(login(client, 'user\r\nDELE 1', 'secret')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(server.commands).toEqual([]);
  });

  it('regression (STARTTLS injection): a line sent after +OK to STLS, before TLS, is a PROTOCOL_ERROR', async () => {
    const server = await serve({
      tls: tls(),
      stls: true,
      handle: async (command, _args, connection) => {
        if (command !== 'STLS') return false;
        await connection.write('+OK Begin TLS negotiation now.\r\n+OK injected\r\n');
        return true;
      },
    });
    await expect(open(server, { security: 'starttls' })).rejects.toMatchObject({ code: 'PROTOCOL_ERROR' });
  });
});

describe('Pop3Transport AUTH XOAUTH2 and the 255-octet AUTH line (RFC 5034 §4)', () => {
  /** A server that accepts XOAUTH2 with `token`, whether sent inline or after the empty `+` challenge. */
  async function xoauth2Server(token: string) {
    const expected = Buffer.from(`user=u@example.test\x01auth=Bearer ${token}\x01\x01`).toString('base64');
    const lines: string[] = [];
    let awaiting = false;
    const server = await serve({
      tls: tls(),
      handle: async (command, args, connection) => {
        if (awaiting) {
          awaiting = false;
          lines.push('(response)');
          const line = [command, ...args].join(' ');
          await connection.write(line.toUpperCase() === expected.toUpperCase() ? '+OK\r\n' : '-ERR [AUTH] no\r\n');
          return true;
        }
        if (command !== 'AUTH') return false;
        lines.push(args.length > 1 ? 'AUTH XOAUTH2 <inline>' : 'AUTH XOAUTH2');
        if (args.length > 1) {
          await connection.write(args[1] === expected ? '+OK\r\n' : '-ERR [AUTH] no\r\n');
        } else {
          awaiting = true;
          await connection.write('+ \r\n');
        }
        return true;
      },
    });
    return { server, lines };
  }

  it('sends a short token on the AUTH line', async () => {
    const { server, lines } = await xoauth2Server('short');
    const client = await open(server);
    await authXOAuth2(client, 'u@example.test', 'short');
    expect(client.authenticated).toBe(true);
    expect(lines).toEqual(['AUTH XOAUTH2 <inline>']);
  });

  it('sends a token that would make the line longer than 255 octets after the empty challenge', async () => {
    const token = 't'.repeat(2_000);
    const { server, lines } = await xoauth2Server(token);
    const client = await open(server);
    await authXOAuth2(client, 'u@example.test', token);
    expect(lines).toEqual(['AUTH XOAUTH2', '(response)']);
    // The secret went in the continuation line, never in a line the server could echo into an error.
    expect(server.commands[0]).toBe('AUTH XOAUTH2');
  });

  it('cancels with "*" a server that keeps sending continuations', async () => {
    const server = await serve({
      tls: tls(),
      handle: async (command, _args, connection) => {
        if (command === '*') {
          await connection.write('-ERR [AUTH] cancelled\r\n');
          return true;
        }
        await connection.write('+ \r\n');
        return true;
      },
    });
    const client = await open(server);
    await expect(authenticate(client, 'u', 'X-LOOP', undefined, () => '')).rejects.toMatchObject({
      code: 'AUTH_FAILED',
    });
    expect(server.commands.at(-1)).toBe('*');
    expect(server.commands.filter((c) => c === '')).toHaveLength(8);
  });
});
