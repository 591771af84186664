/**
 * `pop3AuthXOAuth2` against a tiny scripted POP3 server on a real loopback socket: the exchanges Dovecot does not
 * produce on demand (a server that keeps challenging, an unsupported mechanism) and the exact lines the client
 * sends. The exchange against Dovecot itself is in xoauth2-servers.int.test.ts.
 */
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pop3AuthXOAuth2, xoauth2InitialResponse } from '../../../adapters/oauth2/index.js';
import { socketLines } from './helpers.js';

const USER = 'support@contoso.test';
const SHORT_TOKEN = 'eyJ0eXAiOiJKV1QifQ.e30.c2ln';
const LONG_TOKEN = `eyJ0eXAiOiJKV1QifQ.${'x'.repeat(1800)}.c2ln`;
const ERROR_JSON = '{"status":"401","schemes":"bearer","scope":"https://outlook.office.com/POP.AccessAsUser.All"}';

/** What the scripted server does with one connection, given its lines. */
type Script = (io: ReturnType<typeof socketLines>) => Promise<void>;

let server: Server | undefined;
/** Every line the scripted server read, in order. */
let serverReceived: string[] = [];

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  serverReceived = [];
});

/** Starts the scripted server, connects to it and returns the client's side after the greeting. */
async function connectTo(script: Script): Promise<{ io: ReturnType<typeof socketLines>; socket: Socket }> {
  server = createServer((socket) => {
    const io = socketLines(socket);
    const recording = {
      ...io,
      readLine: async () => {
        const line = await io.readLine();
        serverReceived.push(line);
        return line;
      },
    };
    io.send('+OK tiny POP3 ready');
    script(recording).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const socket = netConnect(port, '127.0.0.1');
  const io = socketLines(socket);
  expect(await io.readLine()).toBe('+OK tiny POP3 ready');
  return { io, socket };
}

describe('pop3AuthXOAuth2', () => {
  it('sends a short initial response on the AUTH line and succeeds on +OK', async () => {
    const { io, socket } = await connectTo(async (s) => {
      const line = await s.readLine();
      s.send(line === `AUTH XOAUTH2 ${xoauth2InitialResponse(USER, SHORT_TOKEN)}` ? '+OK welcome' : '-ERR wrong');
    });
    try {
      expect(await pop3AuthXOAuth2(io, USER, SHORT_TOKEN)).toEqual({ ok: true, reply: '+OK welcome' });
    } finally {
      socket.destroy();
    }
  });

  it('waits for the empty challenge when the AUTH line would exceed 255 octets (RFC 5034), as Exchange documents', async () => {
    const { io, socket } = await connectTo(async (s) => {
      if ((await s.readLine()) !== 'AUTH XOAUTH2') return s.send('-ERR expected AUTH XOAUTH2 alone');
      s.send('+ ');
      s.send((await s.readLine()) === xoauth2InitialResponse(USER, LONG_TOKEN) ? '+OK welcome' : '-ERR bad response');
    });
    try {
      expect(await pop3AuthXOAuth2(io, USER, LONG_TOKEN)).toEqual({ ok: true, reply: '+OK welcome' });
      expect(io.sent.every((line) => line.length + 2 <= 255 || !line.startsWith('AUTH'))).toBe(true);
    } finally {
      socket.destroy();
    }
  });

  it('a + continuation carrying the error is not success: it is answered with an empty line and the -ERR is reported', async () => {
    const { io, socket } = await connectTo(async (s) => {
      await s.readLine();
      s.send(`+ ${Buffer.from(ERROR_JSON).toString('base64')}`);
      const answer = await s.readLine();
      s.send(answer === '' ? '-ERR [AUTH] Authentication failed.' : '+OK you sent something other than an empty line');
    });
    try {
      const result = await pop3AuthXOAuth2(io, USER, SHORT_TOKEN);
      expect(result).toEqual({
        ok: false,
        reply: '-ERR [AUTH] Authentication failed.',
        error: {
          status: '401',
          schemes: 'bearer',
          scope: 'https://outlook.office.com/POP.AccessAsUser.All',
          raw: ERROR_JSON,
        },
      });
      expect(io.sent).toHaveLength(2);
      expect(io.sent[1]).toBe('');
    } finally {
      socket.destroy();
    }
  });

  it('the same failure after the empty challenge (long token)', async () => {
    const { io, socket } = await connectTo(async (s) => {
      await s.readLine();
      s.send('+');
      await s.readLine();
      s.send(`+ ${Buffer.from(ERROR_JSON).toString('base64')}`);
      if ((await s.readLine()) === '') s.send('-ERR denied');
    });
    try {
      expect(await pop3AuthXOAuth2(io, USER, LONG_TOKEN)).toMatchObject({
        ok: false,
        reply: '-ERR denied',
        error: { status: '401' },
      });
      expect(io.sent).toEqual(['AUTH XOAUTH2', xoauth2InitialResponse(USER, LONG_TOKEN), '']);
    } finally {
      socket.destroy();
    }
  });

  it('a server without XOAUTH2 answers -ERR at once', async () => {
    const { io, socket } = await connectTo(async (s) => {
      await s.readLine();
      s.send('-ERR Unsupported authentication mechanism.');
    });
    try {
      expect(await pop3AuthXOAuth2(io, USER, SHORT_TOKEN)).toEqual({
        ok: false,
        reply: '-ERR Unsupported authentication mechanism.',
      });
    } finally {
      socket.destroy();
    }
  });

  it('a server that keeps challenging is cancelled with "*" (RFC 5034) instead of looping', async () => {
    const { io, socket } = await connectTo(async (s) => {
      for (let line = await s.readLine(); line !== '*'; line = await s.readLine()) s.send('+ Zm9v');
      s.send('-ERR cancelled');
    });
    try {
      const result = await pop3AuthXOAuth2(io, USER, SHORT_TOKEN);
      expect(result).toMatchObject({ ok: false, reply: '-ERR cancelled' });
      expect(io.sent.at(-1)).toBe('*');
      expect(serverReceived.at(-1)).toBe('*');
    } finally {
      socket.destroy();
    }
  });
});
