/**
 * The harness itself against real Dovecot and the SMTP relay: every feature the adapter tests rely on.
 */
import { existsSync, readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MailServers, startMailServers } from '../../scripts/harness/mail-servers.js';

function imapClient(servers: MailServers, name: string, options: { secure?: boolean; ca?: string } = {}): ImapFlow {
  const user = servers.user(name);
  const secure = options.secure ?? true;
  return new ImapFlow({
    host: servers.host,
    port: secure ? servers.ports.imaps : servers.ports.imap,
    secure,
    auth: { user: user.user, pass: user.password },
    tls: { ca: [readFileSync(options.ca ?? servers.caFile)] },
    logger: false,
  });
}

async function subjects(servers: MailServers, name: string, folder = 'INBOX'): Promise<string[]> {
  const client = imapClient(servers, name);
  await client.connect();
  try {
    const lock = await client.getMailboxLock(folder);
    try {
      const found: string[] = [];
      if (client.mailbox && client.mailbox.exists > 0) {
        for await (const message of client.fetch('1:*', { envelope: true }))
          found.push(message.envelope?.subject ?? '');
      }
      return found;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

/** Bounded polling for a condition (no fixed sleeps). */
async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('startMailServers', () => {
  let servers: MailServers;

  beforeAll(async () => {
    servers = await startMailServers({ users: ['alice', 'bob', 'carol', 'dave@other.test'] });
  });
  afterAll(() => servers?.stop());

  it('creates the users with distinct Maildirs and ports on 127.0.0.1', () => {
    expect(servers.users.map((u) => u.user)).toEqual([
      'alice@example.test',
      'bob@example.test',
      'carol@example.test',
      'dave@other.test',
    ]);
    expect(servers.user('alice')).toBe(servers.user('alice@example.test'));
    expect(() => servers.user('nobody')).toThrow(/no harness user nobody/);
    const ports = Object.values(servers.ports);
    expect(new Set(ports).size).toBe(ports.length);
    for (const user of servers.users) expect(existsSync(`${user.maildir}/new`)).toBe(true);
    if (process.getuid?.() === 0) expect(servers.users.every((u) => u.uid >= 1000)).toBe(true);
  });

  it('logs in over implicit TLS, verifying the certificate with the run CA', async () => {
    const client = imapClient(servers, 'alice');
    await client.connect();
    expect(client.secureConnection).toBe(true);
    await client.logout();
  });

  it('upgrades the plaintext port with STARTTLS', async () => {
    const client = imapClient(servers, 'alice', { secure: false });
    await client.connect();
    expect(client.secureConnection).toBe(true);
    await client.logout();
  });

  it('refuses the certificate when the client trusts only the wrong CA', async () => {
    const client = imapClient(servers, 'alice', { ca: servers.wrongCaFile });
    client.on('error', () => undefined);
    await expect(client.connect()).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  it('serves the POP3S greeting with the same certificate', async () => {
    const greeting = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: servers.host, port: servers.ports.pop3s, ca: readFileSync(servers.caFile) });
      socket.once('data', (chunk) => {
        socket.destroy();
        resolve(chunk.toString('latin1'));
      });
      socket.once('error', reject);
    });
    expect(greeting).toMatch(/^\+OK/);
  });

  it('delivers through LMTP into the inbox and into a folder', async () => {
    await servers.deliver('bob', { subject: 'Über LMTP', text: 'Grüße' });
    await servers.deliver('bob', 'Subject: raw one\nFrom: x@example.test\n\nbody\n');
    await servers.deliver('bob', { subject: 'filed' }, { folder: 'Archive' });
    expect(await subjects(servers, 'bob')).toEqual(['Über LMTP', 'raw one']);
    expect(await subjects(servers, 'bob', 'Archive')).toEqual(['filed']);
  });

  it('fills 1,000 messages straight into the Maildir, seen or not, in order', async () => {
    const messages = Array.from({ length: 1_000 }, (_, i) => ({ subject: `bulk ${i}` }));
    await servers.fill('carol', messages, { seen: true });
    await servers.fill('carol', [{ subject: 'unseen one' }]);
    await servers.fill('carol', [{ subject: 'elsewhere' }], { folder: 'Lists' });
    const client = imapClient(servers, 'carol');
    await client.connect();
    try {
      expect((await client.status('INBOX', { messages: true, unseen: true })) as object).toMatchObject({
        messages: 1_001,
        unseen: 1,
      });
      expect(await client.status('Lists', { messages: true })).toMatchObject({ messages: 1 });
      const lock = await client.getMailboxLock('INBOX');
      try {
        const found: string[] = [];
        for await (const m of client.fetch('1:*', { envelope: true })) found.push(m.envelope?.subject ?? '');
        expect(found[0]).toBe('bulk 0');
        expect(found[999]).toBe('bulk 999');
        expect(found[1000]).toBe('unseen one');
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  });

  it('stops Dovecot (connections refused) and starts it again on the same ports with the mail kept', async () => {
    await servers.deliver('alice', { subject: 'before restart' });
    await servers.stopDovecot();
    const down = imapClient(servers, 'alice');
    down.on('error', () => undefined);
    await expect(down.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await servers.startDovecot();
    expect(await subjects(servers, 'alice')).toContain('before restart');
  });

  it('relays an authenticated SMTP send (STARTTLS) into the recipient mailbox and records it', async () => {
    const alice = servers.user('alice');
    const transport = nodemailer.createTransport({
      host: servers.host,
      port: servers.ports.smtp,
      secure: false,
      requireTLS: true,
      auth: { user: alice.user, pass: alice.password },
      tls: { ca: [readFileSync(servers.caFile)] },
    });
    try {
      const info = await transport.sendMail({
        from: alice.user,
        to: ['dave@other.test', 'outside@elsewhere.test'],
        subject: 'via smtp',
        text: 'hello dave',
      });
      expect(info.accepted).toEqual(['dave@other.test', 'outside@elsewhere.test']);
    } finally {
      transport.close();
    }
    // The relay answers 250 only after LMTP stored it: no waiting needed, but stay robust.
    expect(
      await eventually(
        () => subjects(servers, 'dave@other.test'),
        (s) => s.includes('via smtp'),
      ),
    ).toContain('via smtp');
    const received = servers.smtpReceived.at(-1);
    expect(received).toMatchObject({
      mailFrom: alice.user,
      rcptTo: ['dave@other.test', 'outside@elsewhere.test'],
      authUser: alice.user,
      secure: true,
    });
    expect(received?.raw.toString('utf8')).toContain('Subject: via smtp');
  });

  it('refuses SMTP without auth, with a wrong password, and unknown local recipients', async () => {
    const alice = servers.user('alice');
    const send = async (auth: { user: string; pass: string } | undefined, to: string) => {
      const transport = nodemailer.createTransport({
        host: servers.host,
        port: servers.ports.smtps,
        secure: true,
        ...(auth ? { auth } : {}),
        tls: { ca: [readFileSync(servers.caFile)] },
      });
      try {
        return await transport.sendMail({ from: alice.user, to, subject: 'x', text: 'x' });
      } finally {
        transport.close();
      }
    };
    await expect(send(undefined, 'bob@example.test')).rejects.toMatchObject({ responseCode: 530 });
    await expect(send({ user: alice.user, pass: 'wrong' }, 'bob@example.test')).rejects.toMatchObject({
      code: 'EAUTH',
      responseCode: 535,
    });
    await expect(send({ user: alice.user, pass: alice.password }, 'ghost@example.test')).rejects.toMatchObject({
      code: 'EENVELOPE',
      responseCode: 550,
    });
    await expect(send({ user: alice.user, pass: alice.password }, 'tempfail@example.test')).rejects.toMatchObject({
      code: 'EENVELOPE',
      responseCode: 451,
    });
  });
});

describe('startMailServers lifecycle', () => {
  it('stop() is idempotent, removes the run directory and frees the ports', async () => {
    const servers = await startMailServers({ users: 1, smtp: false, distinctUids: true });
    expect(servers.ports.smtp).toBe(0);
    expect(servers.users[0]?.user).toBe('user1@example.test');
    await Promise.all([servers.stop(), servers.stop()]);
    await servers.stop();
    expect(existsSync(servers.dir)).toBe(false);
    await expect(
      new Promise((resolve, reject) => {
        const socket = netConnect({ host: servers.host, port: servers.ports.imap }, () => resolve(socket.destroy()));
        socket.once('error', reject);
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
