/**
 * Regression (issue 14 point 2): the SMTP adapter kept its own 30 s connection default, so a mailbox's
 * `connectTimeout` never reached its `smtp:` server — a silent SMTP server held a send for 30 s whatever the config
 * said. The mailbox's resolved `connectTimeout` is now what bounds its SMTP connection.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailboxSmtpTransport } from '../../runtime/autopilot/mailbox-wiring.js';
import { validateConfig } from '../../runtime/config/load.js';

let silent: Server;
let port = 0;
const sockets: Socket[] = [];

beforeAll(async () => {
  // Accepts and never greets: only a deadline ends the connection attempt.
  silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  port = (silent.address() as { port: number }).port;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

function mailboxWith(connectTimeout: string) {
  const config = validateConfig(
    {
      mailboxes: [
        {
          id: 'support',
          server: 'imaps://127.0.0.1:1',
          user: 'support@example.test',
          password: 'pw',
          connectTimeout,
          smtp: { server: `smtp://127.0.0.1:${port}`, allowPlaintext: true },
        },
      ],
    },
    { baseDir: process.cwd() },
  );
  return config.mailboxes[0]!;
}

describe('the mailbox connectTimeout bounds its SMTP connection', () => {
  it('a silent SMTP server fails the connection after the mailbox connectTimeout, as TIMEOUT naming the mailbox', async () => {
    const transport = mailboxSmtpTransport(mailboxWith('300ms'), undefined);
    // The test's own 10 s limit is far below the old fixed 30 s: before the fix this waited 30 s and failed the test.
    await expect(transport!.verify()).rejects.toMatchObject({ code: 'TIMEOUT', retryable: true, mailboxId: 'support' });
    transport!.close();
  }, 10_000);
});
