/**
 * What Dovecot cannot show here: servers without UIDL (the fallback identity of docs/pop3.md) and without TOP
 * (headers from RETR), and the XOAUTH2 login step. Against the scripted server over a loopback socket; each cycle is
 * driven to its `checked()`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DiscoveredMessage, MessageIdentity } from '../../../adapters/contract.js';
import { createPop3Service } from '../../../adapters/pop3/index.js';
import { pop3Defaults } from '../../../scripts/harness/adapter-settings.js';
import { type FakePop3Server, startFakePop3 } from './fake-pop3-server.js';

const servers: FakePop3Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

function message(id: string, subject: string): Buffer {
  return Buffer.from(
    `Message-ID: <${id}@example.test>\r\nSubject: ${subject}\r\nDate: Tue, 1 Jul 2025\r\n\r\nbody\r\n`,
  );
}

/** Runs `cycles` cycles of a fresh session and returns what each emitted. */
async function runCycles(
  server: FakePop3Server,
  handled: Set<string>,
  cycles: number,
  auth: { password: string } | { accessToken: () => Promise<string> } = { password: 'secret' },
): Promise<DiscoveredMessage[][]> {
  const service = createPop3Service(
    {
      ...pop3Defaults(),
      id: 'fake',
      server: `pop3://127.0.0.1:${server.port}`,
      allowPlaintext: true,
      user: 'u',
      ...auth,
      pollIntervalMs: 1,
    },
    { handled: { isHandled: (identity: MessageIdentity) => handled.has(identity.key) } },
  );
  const session = await service.connect(new AbortController().signal);
  const controller = new AbortController();
  const emitted: DiscoveredMessage[][] = [[]];
  await session.watch(
    {
      next: (m) => {
        emitted.at(-1)!.push(m);
        handled.add(m.identity.key);
      },
      checked: () => {
        if (emitted.length === cycles) controller.abort();
        else emitted.push([]);
      },
    },
    controller.signal,
  );
  await session.close();
  return emitted;
}

describe('a server without UIDL', () => {
  it('identifies messages by a hash of their headers and size: stable across cycles, copies told apart', async () => {
    const server = await startFakePop3({
      uids: null,
      messages: [message('a', 'one'), message('b', 'two'), message('a', 'one')],
    });
    servers.push(server);
    const handled = new Set<string>();
    const [first, second] = await runCycles(server, handled, 2);
    expect(first!.map((m) => m.envelope.subject)).toEqual(['one', 'two', 'one']);
    const keys = first!.map((m) => m.identity.key);
    expect(new Set(keys).size).toBe(3);
    expect(keys[2]).toBe(`${keys[0]}#2`);
    expect(second).toEqual([]);

    // A new message is the only one handled in the next session; the others keep their keys.
    server.messages.unshift(message('c', 'three'));
    const [third] = await runCycles(server, handled, 1);
    expect(third!.map((m) => m.envelope.subject)).toEqual(['three']);
    expect(server.commands.filter((c) => c === 'UIDL')).toHaveLength(3);
  });
});

describe('a server without TOP', () => {
  it('reads the headers from RETR', async () => {
    const server = await startFakePop3({ noTop: true, messages: [message('x', 'no top'), message('y', 'here')] });
    servers.push(server);
    const [first] = await runCycles(server, new Set(), 1);
    expect(first!.map((m) => [m.envelope.subject, m.envelope.messageId])).toEqual([
      ['no top', '<x@example.test>'],
      ['here', '<y@example.test>'],
    ]);
    expect(server.commands).toContain('RETR 1');
  });
});

describe('login with an access token (room for OAuth2, issue 7)', () => {
  it('sends AUTH XOAUTH2 with the token from the provider instead of USER/PASS', async () => {
    const sent: string[] = [];
    const server = await startFakePop3({
      messages: [message('t', 'token login')],
      handle: async (command, args, connection) => {
        if (command !== 'AUTH') return false;
        sent.push(`${args[0]} ${Buffer.from(args[1] ?? '', 'base64').toString()}`);
        await connection.write('+OK Logged in.\r\n');
        return true;
      },
    });
    servers.push(server);
    const [first] = await runCycles(server, new Set(), 1, { accessToken: async () => 'tok-123' });
    expect(sent).toEqual(['XOAUTH2 user=u\x01auth=Bearer tok-123\x01\x01']);
    expect(server.commands.some((c) => c.startsWith('USER') || c.startsWith('PASS'))).toBe(false);
    expect(first!.map((m) => m.envelope.subject)).toEqual(['token login']);
  });
});
