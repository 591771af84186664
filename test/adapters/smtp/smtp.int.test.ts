/**
 * The SMTP adapter against the harness's SMTP relay (which delivers into Dovecot): send and read back over IMAP,
 * TLS modes, and the typed errors of issue 3 item 2.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpTransport, type SmtpConfig } from '../../../adapters/smtp/index.js';
import { smtpDefaults } from '../../../scripts/harness/adapter-settings.js';
import { freePorts } from '../../../scripts/harness/free-ports.js';
import { type MailServers, startMailServers } from '../../../scripts/harness/mail-servers.js';

let servers: MailServers;

beforeAll(async () => {
  servers = await startMailServers({ users: ['sender', 'rcpt'] });
});
afterAll(() => servers?.stop());

/** A config for the harness user `sender` on the STARTTLS port, trusting the run's CA. */
function senderConfig(overrides: Partial<SmtpConfig> = {}): SmtpConfig {
  const sender = servers.user('sender');
  return {
    ...smtpDefaults(),
    server: `smtp://${servers.host}:${servers.ports.smtp}`,
    user: sender.user,
    password: sender.password,
    tlsCa: servers.caFile,
    ...overrides,
  };
}

/** Headers of every message in the user's INBOX, read over IMAPS. */
async function inbox(name: string): Promise<{ subject: string; messageId: string; source: string }[]> {
  const user = servers.user(name);
  const client = new ImapFlow({
    host: servers.host,
    port: servers.ports.imaps,
    secure: true,
    auth: { user: user.user, pass: user.password },
    tls: { ca: [readFileSync(servers.caFile)] },
    logger: false,
  });
  await client.connect();
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      const found: { subject: string; messageId: string; source: string }[] = [];
      if (client.mailbox && client.mailbox.exists > 0) {
        for await (const m of client.fetch('1:*', { envelope: true, source: true })) {
          found.push({
            subject: m.envelope?.subject ?? '',
            messageId: m.envelope?.messageId ?? '',
            source: m.source?.toString('utf8') ?? '',
          });
        }
      }
      return found;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

describe('createSmtpTransport against the harness', () => {
  it('sends over STARTTLS (verified with tlsCa) and the mail is readable in the recipient mailbox over IMAP', async () => {
    const smtp = createSmtpTransport(senderConfig(), 'outbox');
    await smtp.verify();
    const result = await smtp.send({
      from: servers.user('sender').user,
      to: servers.user('rcpt').user,
      subject: 'Re: Bestellung 42 – Bestätigung',
      text: 'Danke!',
      inReplyTo: '<order-42@example.test>',
      references: ['<order-42@example.test>'],
      headers: { 'X-Autopilot-Rule': 'confirm' },
      attachments: [{ filename: 'a.txt', content: 'attached', contentType: 'text/plain' }],
    });
    smtp.close();
    expect(result.accepted).toEqual([servers.user('rcpt').user]);
    expect(result.rejected).toEqual([]);
    expect(result.response).toMatch(/^250/);
    expect(servers.smtpReceived.at(-1)).toMatchObject({ authUser: servers.user('sender').user, secure: true });

    const mail = (await inbox('rcpt')).find((m) => m.messageId === result.messageId);
    expect(mail?.subject).toBe('Re: Bestellung 42 – Bestätigung');
    expect(mail?.source).toMatch(/^In-Reply-To: <order-42@example\.test>/m);
    expect(mail?.source).toMatch(/^X-Autopilot-Rule: confirm/m);
    expect(mail?.source).toContain('filename=a.txt');
  });

  it('sends a raw message over implicit TLS (smtps://) unchanged, reporting its own Message-ID', async () => {
    const raw = `From: ${servers.user('sender').user}\r\nTo: ${servers.user('rcpt').user}\r\nMessage-ID: <raw-1@example.test>\r\nSubject: raw forward\r\n\r\nas is\r\n`;
    const smtp = createSmtpTransport(
      senderConfig({ server: `smtps://${servers.host}:${servers.ports.smtps}` }),
      'outbox',
    );
    const result = await smtp.send({ from: servers.user('sender').user, to: servers.user('rcpt').user, raw });
    expect(result.messageId).toBe('<raw-1@example.test>');
    expect(servers.smtpReceived.at(-1)?.raw.toString('utf8')).toBe(raw);
    expect((await inbox('rcpt')).map((m) => m.subject)).toContain('raw forward');
  });

  it('reports refused recipients: partly (resolves with rejected), 5xx → SMTP_RECIPIENT_REJECTED, 4xx → SMTP_TEMPORARY', async () => {
    const smtp = createSmtpTransport(senderConfig(), 'outbox');
    const from = servers.user('sender').user;
    const partly = await smtp.send({ from, to: ['ghost@example.test', servers.user('rcpt').user], subject: 'x' });
    expect(partly.rejected).toEqual(['ghost@example.test']);
    await expect(smtp.send({ from, to: 'ghost@example.test', subject: 'x' })).rejects.toMatchObject({
      name: 'MailServiceError',
      code: 'SMTP_RECIPIENT_REJECTED',
      retryable: false,
      mailboxId: 'outbox',
    });
    await expect(smtp.send({ from, to: 'tempfail@example.test', subject: 'x' })).rejects.toMatchObject({
      code: 'SMTP_TEMPORARY',
      retryable: true,
    });
  });

  it('wrong CA → TLS_CERT_INVALID naming the mailbox, for STARTTLS and implicit TLS', async () => {
    for (const server of [
      `smtp://${servers.host}:${servers.ports.smtp}`,
      `smtps://${servers.host}:${servers.ports.smtps}`,
    ]) {
      const smtp = createSmtpTransport(senderConfig({ server, tlsCa: servers.wrongCaFile }), 'billing');
      const error = await smtp.verify().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'TLS_CERT_INVALID', retryable: false, mailboxId: 'billing' });
      expect((error as Error).message).toMatch(/^mailbox billing: SMTP 127\.0\.0\.1:\d+: .*tlsCa/);
    }
  });

  it('wrong password → SMTP_AUTH_FAILED, not retryable, without the password in the message', async () => {
    const smtp = createSmtpTransport(senderConfig({ password: 'not-the-password' }), 'outbox');
    const error = await smtp.verify().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'SMTP_AUTH_FAILED', retryable: false });
    expect((error as Error).message).not.toContain('not-the-password');
  });

  it('server down → CONNECTION_REFUSED, retryable', async () => {
    const [port] = await freePorts(1);
    const smtp = createSmtpTransport(senderConfig({ server: `smtps://127.0.0.1:${port}` }), 'outbox');
    await expect(smtp.send({ from: 'a@example.test', to: 'b@example.test', subject: 'x' })).rejects.toMatchObject({
      code: 'CONNECTION_REFUSED',
      retryable: true,
      mailboxId: 'outbox',
    });
  });

  it('a server that never greets → TIMEOUT, retryable', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const smtp = createSmtpTransport(
        senderConfig({ server: `smtp://127.0.0.1:${port}`, connectionTimeoutMs: 300 }),
        'outbox',
      );
      await expect(smtp.verify()).rejects.toMatchObject({ code: 'TIMEOUT', retryable: true });
    } finally {
      silent.close();
    }
  });

  it('refuses a bad configuration before connecting (CONFIG_INVALID, not retryable)', () => {
    const bad: Partial<SmtpConfig>[] = [
      { server: `imap://${servers.host}:${servers.ports.smtp}` },
      { server: `smtp://user:pw@${servers.host}:${servers.ports.smtp}` },
      { tlsCa: join(servers.dir, 'no-such-ca.pem') },
      { tlsCa: servers.dovecotLog },
      { user: undefined },
      { connectionTimeoutMs: -1 },
    ];
    const before = servers.smtpReceived.length;
    for (const overrides of bad) {
      expect(() => createSmtpTransport(senderConfig(overrides), 'outbox')).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', retryable: false, mailboxId: 'outbox' }),
      );
    }
    expect(servers.smtpReceived.length).toBe(before);
  });

  it('refuses a closed transport', async () => {
    const smtp = createSmtpTransport(senderConfig(), 'outbox');
    smtp.close();
    smtp.close();
    await expect(smtp.send({ from: 'a@example.test', to: 'b@example.test' })).rejects.toMatchObject({
      code: 'TRANSPORT_CLOSED',
    });
  });
});

describe('createSmtpTransport against a server without STARTTLS', () => {
  let plain: SMTPServer;
  let port: number;
  const seen = { auth: 0, mail: 0, secure: [] as boolean[] };

  beforeAll(async () => {
    plain = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth(_auth, _session, callback) {
        seen.auth += 1;
        callback(null, { user: 'x' });
      },
      onMailFrom(_address, _session, callback) {
        seen.mail += 1;
        callback();
      },
      onData(stream, session, callback) {
        seen.secure.push(session.secure);
        stream.resume();
        stream.on('end', () => callback());
      },
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    port = (plain.server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => plain?.close(() => resolve())));

  it('smtp:// without allowPlaintext → STARTTLS_UNAVAILABLE before credentials or mail are sent', async () => {
    const smtp = createSmtpTransport(senderConfig({ server: `smtp://127.0.0.1:${port}` }), 'outbox');
    await expect(smtp.send({ from: 'a@example.test', to: 'b@example.test', subject: 'x' })).rejects.toMatchObject({
      code: 'STARTTLS_UNAVAILABLE',
      retryable: false,
    });
    expect(seen).toMatchObject({ auth: 0, mail: 0 });
  });

  it('smtp:// with allowPlaintext sends in plaintext, as configured', async () => {
    const smtp = createSmtpTransport(
      senderConfig({ server: `smtp://127.0.0.1:${port}`, allowPlaintext: true }),
      'outbox',
    );
    const result = await smtp.send({ from: 'a@example.test', to: 'b@example.test', subject: 'x', text: 'y' });
    expect(result.accepted).toEqual(['b@example.test']);
    expect(seen.secure).toEqual([false]);
  });
});
