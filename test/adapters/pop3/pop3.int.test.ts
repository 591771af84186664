/**
 * The POP3 adapter against the harness's real Dovecot (issue 5, SPEC S5–S8): cycles that handle each message once,
 * DELE committed only by the QUIT after the handling, lost connections, a locked maildrop, STLS and POP3S, and a
 * 3,000-message maildrop read byte for byte over TLS (regression for node-pop3 0.11.0's framing defects).
 *
 * Dovecot's `pop3_lock_session` defaults to `no`; real POP3 servers lock the maildrop for a session (RFC 1939 §8),
 * so this file turns it on for its Dovecot (appended to the harness's config before the tests start).
 */
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import type {
  DiscoveredMessage,
  DiscoverySink,
  HandledLookup,
  MailService,
  MailSession,
  MessageIdentity,
} from '../../../adapters/contract.js';
import { login, quit, uidl } from '../../../adapters/pop3/commands/index.js';
import { createPop3Service, type Pop3MailboxConfig } from '../../../adapters/pop3/index.js';
import { Pop3Transport } from '../../../adapters/pop3/transport.js';
import { mailboxMachine } from '../../../machines/mailbox.machine.js';
import { createMailboxActors } from '../../../runtime/mailbox-actors.js';
import { pop3Defaults } from '../../../scripts/harness/adapter-settings.js';
import { type MailServers, startMailServers } from '../../../scripts/harness/mail-servers.js';

const USERS = [
  'again',
  'newmail',
  'dele',
  'early',
  'crash',
  'machine',
  'locked',
  'stls',
  'plain',
  'wrongpw',
  'wrongca',
  'big',
  'body',
  'forwarder',
  'archive',
];

let servers: MailServers;

beforeAll(async () => {
  servers = await startMailServers({ users: USERS });
  await servers.stopDovecot();
  await appendFile(join(servers.dir, 'dovecot.conf'), '\nprotocol pop3 {\n  pop3_lock_session = yes\n}\n');
  await servers.startDovecot();
});

afterAll(() => servers?.stop());

/** Bounded polling for a condition (no fixed sleeps). */
async function eventually(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function config(name: string, overrides: Partial<Pop3MailboxConfig> = {}): Pop3MailboxConfig {
  const user = servers.user(name);
  return {
    ...pop3Defaults(),
    id: `pop3-${name}`,
    server: `pop3s://127.0.0.1:${servers.ports.pop3s}`,
    user: user.user,
    password: user.password,
    tlsCa: servers.caFile,
    pollIntervalMs: 50,
    ...overrides,
  };
}

/**
 * Stands in for the runtime and its journal: `next` runs the test's hook, then records the message as handled
 * (what the runtime does before it resolves `next`), and counts how often each key was emitted.
 */
class Recorder implements HandledLookup {
  readonly handled = new Set<string>();
  readonly emitted: DiscoveredMessage[] = [];
  /** Each cycle's whole UIDL listing, as keys (issue 16: what lets the runtime forget deleted messages). */
  readonly listings: (readonly string[])[] = [];
  cycles = 0;
  onMessage: ((message: DiscoveredMessage, session: MailSession) => Promise<void> | void) | undefined;
  session: MailSession | undefined;

  isHandled(identity: MessageIdentity): boolean {
    return this.handled.has(identity.key);
  }

  readonly sink: DiscoverySink = {
    next: async (message) => {
      this.emitted.push(message);
      await this.onMessage?.(message, this.session!);
      this.handled.add(message.identity.key);
    },
    checked: () => {
      this.cycles += 1;
    },
    listed: (keys) => {
      this.listings.push(keys);
    },
  };

  timesEmitted(key: string): number {
    return this.emitted.filter((m) => m.identity.key === key).length;
  }

  subjects(): string[] {
    return this.emitted.map((m) => m.envelope.subject);
  }
}

/** A running `watch` (the hook is in place before the first cycle): `stop()` aborts it, waits, and closes. */
async function watch(service: MailService, recorder: Recorder, onMessage?: Recorder['onMessage']) {
  const session = await service.connect(new AbortController().signal);
  recorder.session = session;
  recorder.onMessage = onMessage;
  const controller = new AbortController();
  const result = session.watch(recorder.sink, controller.signal).then(
    () => ({ error: null as unknown }),
    (error: unknown) => ({ error }),
  );
  return {
    session,
    result,
    stop: async () => {
      controller.abort();
      const outcome = await result;
      await session.close();
      return outcome;
    },
  };
}

async function uidsOnServer(name: string): Promise<string[]> {
  const user = servers.user(name);
  const client = await Pop3Transport.connect({
    mailboxId: 'check',
    host: '127.0.0.1',
    port: servers.ports.pop3s,
    security: 'implicit',
    ca: await readFile(servers.caFile, 'utf8'),
    commandTimeoutMs: 20_000,
  });
  try {
    await login(client, user.user, user.password);
    return (await uidl(client)).map((e) => `pop3:${e.uid}`);
  } finally {
    await quit(client).catch(() => client.destroy());
  }
}

/** Messages in the INBOX as IMAP sees them (IMAP is not blocked by the POP3 session lock). */
async function imapCount(name: string): Promise<number> {
  const user = servers.user(name);
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: servers.ports.imaps,
    secure: true,
    auth: { user: user.user, pass: user.password },
    tls: { ca: [await readFile(servers.caFile)] },
    logger: false,
  });
  await client.connect();
  try {
    const status = await client.status('INBOX', { messages: true });
    return (status as { messages?: number }).messages ?? -1;
  } finally {
    await client.logout();
  }
}

/** Dovecot's logout lines of a user's POP3 sessions: `top=…, retr=…, del=…`. */
async function pop3Logouts(name: string): Promise<string[]> {
  const log = await readFile(servers.dovecotLog, 'utf8');
  const user = servers.user(name).user;
  return log.split('\n').filter((line) => line.includes(`pop3(${user})`) && line.includes('Logged out'));
}

async function read(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('POP3 cycles on Dovecot', () => {
  it('handles every message once; a second cycle with nothing new runs no TOP and no RETR', async () => {
    await servers.fill('again', [{ subject: 'first' }, { subject: 'second' }, { subject: 'third' }]);
    const recorder = new Recorder();
    const running = await watch(createPop3Service(config('again'), { handled: recorder }), recorder);
    await eventually(() => recorder.cycles >= 3, 'three cycles');
    expect((await running.stop()).error).toBeNull();

    expect(recorder.subjects()).toEqual(['first', 'second', 'third']);
    expect(new Set(recorder.emitted.map((m) => m.identity.key)).size).toBe(3);
    expect(recorder.emitted[0]).toMatchObject({
      identity: { mailboxId: 'pop3-again', key: expect.stringMatching(/^pop3:/) },
      ref: '1',
      flags: [],
      envelope: { subject: 'first', from: [{ name: '', address: 'sender@example.test' }] },
    });
    expect(recorder.emitted[0]!.headers.get('subject')).toEqual(['first']);
    const logouts = await pop3Logouts('again');
    expect(logouts.length).toBeGreaterThanOrEqual(3);
    expect(logouts[0]).toContain('top=3/');
    for (const later of logouts.slice(1)) expect(later).toContain('top=0/0, retr=0/0');
  });

  it('handles a message delivered between cycles once', async () => {
    const recorder = new Recorder();
    const running = await watch(createPop3Service(config('newmail'), { handled: recorder }), recorder);
    await eventually(() => recorder.cycles >= 1, 'a first cycle');
    await servers.deliver('newmail', { subject: 'arrived later' });
    await eventually(() => recorder.emitted.length === 1, 'the new message');
    const seenAt = recorder.cycles;
    await eventually(() => recorder.cycles >= seenAt + 3, 'three more cycles');
    await running.stop();
    expect(recorder.subjects()).toEqual(['arrived later']);
  });

  it('deletes with DELE, committed by the QUIT after the handling was recorded', async () => {
    await servers.fill('dele', [{ subject: 'keep' }, { subject: 'delete me' }, { subject: 'keep too' }]);
    const recorder = new Recorder();
    let whileHandling = -1;
    const running = await watch(
      createPop3Service(config('dele'), { handled: recorder }),
      recorder,
      async (m, session) => {
        if (m.envelope.subject !== 'delete me') return;
        await session.delete(m);
        // Marked, not removed: until this handling is recorded and the cycle QUITs, the message is still there.
        whileHandling = await imapCount('dele');
      },
    );
    await eventually(() => recorder.cycles >= 2, 'two cycles');
    await running.stop();
    expect(whileHandling).toBe(3);
    expect(await imapCount('dele')).toBe(2);
    const deleted = recorder.emitted.find((m) => m.envelope.subject === 'delete me')!;
    const remaining = await uidsOnServer('dele');
    expect(remaining).toHaveLength(2);
    expect(remaining).not.toContain(deleted.identity.key);
    expect(recorder.emitted).toHaveLength(3);
    // Every cycle reported its whole listing; the ones after the QUIT no longer list the deleted message.
    expect(recorder.listings[0]).toHaveLength(3);
    expect(recorder.listings[0]).toContain(deleted.identity.key);
    expect([...recorder.listings.at(-1)!].sort()).toEqual([...remaining].sort());
  });

  it('forward-and-delete (S6): the source sent on by SMTP arrives in another mailbox; the maildrop is emptied', async () => {
    const original = Buffer.from(
      'Message-ID: <fwd-1@example.test>\r\nFrom: a@example.test\r\nSubject: pass it on\r\n\r\n.dot line\r\nend\r\n',
    );
    await servers.fill('forwarder', [original]);
    const sender = servers.user('forwarder');
    const smtp = nodemailer.createTransport({
      host: '127.0.0.1',
      port: servers.ports.smtp,
      secure: false,
      requireTLS: true,
      auth: { user: sender.user, pass: sender.password },
      tls: { ca: [await readFile(servers.caFile)] },
    });
    const recorder = new Recorder();
    const service = createPop3Service(config('forwarder'), { handled: recorder });
    const running = await watch(service, recorder, async (m, session) => {
      // What a rule with `actions: [{ forward: { to } }, delete]` does through the adapter.
      const source = await read(await session.fetchSource(m));
      await smtp.sendMail({ envelope: { from: sender.user, to: [servers.user('archive').user] }, raw: source });
      await session.delete(m);
    });
    await eventually(() => recorder.cycles >= 2, 'two cycles');
    await running.stop();
    smtp.close();
    expect(await uidsOnServer('forwarder')).toEqual([]);
    expect(await imapCount('archive')).toBe(1);
    const received = servers.smtpReceived.at(-1)!;
    expect(received.rcptTo).toEqual([servers.user('archive').user]);
    expect(received.raw.toString()).toContain('.dot line\r\nend\r\n');
  });

  it('stopped while a message is still being handled: its DELE is undone, the settled one is committed', async () => {
    await servers.fill('early', [{ subject: 'done' }, { subject: 'in flight' }]);
    const recorder = new Recorder();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let inFlight = false;
    const running = await watch(
      createPop3Service(config('early'), { handled: recorder }),
      recorder,
      async (m, session) => {
        await session.delete(m);
        if (m.envelope.subject === 'in flight') {
          inFlight = true;
          await held; // the runtime is still busy with it when the mailbox is stopped
        }
      },
    );
    await eventually(() => inFlight, 'the second message in the sink');
    const outcome = await running.stop();
    release();
    expect(outcome.error).toBeNull();
    const done = recorder.emitted.find((m) => m.envelope.subject === 'done')!;
    const flying = recorder.emitted.find((m) => m.envelope.subject === 'in flight')!;
    const remaining = await uidsOnServer('early');
    expect(remaining).toEqual([flying.identity.key]);
    expect(remaining).not.toContain(done.identity.key);
  });

  it('a lost connection between DELE and QUIT commits nothing: the message stays and is not handled again', async () => {
    await servers.fill('crash', [{ subject: 'forward and delete' }]);
    const recorder = new Recorder();
    const service = createPop3Service(config('crash'), { handled: recorder });
    const running = await watch(service, recorder, async (m, session) => {
      await session.delete(m);
      await servers.stopDovecot(); // the server goes away after the DELE, before the QUIT
    });
    const { error } = await running.result;
    await running.session.close();
    expect(error).toMatchObject({ code: 'CONNECTION_LOST', retryable: true, mailboxId: 'pop3-crash' });
    await servers.startDovecot();

    const key = recorder.emitted[0]!.identity.key;
    expect(await uidsOnServer('crash')).toEqual([key]);
    const again = await watch(service, recorder);
    await eventually(() => recorder.cycles >= 2, 'two cycles after the restart');
    await again.stop();
    expect(recorder.timesEmitted(key)).toBe(1);
  });
});

describe('POP3 mailbox machine on Dovecot', () => {
  it('Dovecot stopped mid-cycle: watch rejects with CONNECTION_LOST, backoff, then polling again; each message once', async () => {
    await servers.fill('machine', [{ subject: 'm1' }, { subject: 'm2' }, { subject: 'm3' }]);
    const recorder = new Recorder();
    let stoppedOnce = false;
    recorder.onMessage = async (message) => {
      if (message.envelope.subject === 'm2' && !stoppedOnce) {
        stoppedOnce = true;
        await servers.stopDovecot();
      }
    };
    const service = createPop3Service(config('machine'), { handled: recorder });
    const machine = mailboxMachine.provide({ actors: createMailboxActors(service, recorder.sink) });
    const actor = createActor(machine, { input: { mailboxId: 'pop3-machine', schedule: Array(13).fill(100) } });
    const seen: { state: string; code: string | undefined }[] = [];
    actor.subscribe((snapshot) => {
      seen.push({ state: String(snapshot.value), code: snapshot.context.lastError?.code });
    });
    actor.start();
    try {
      await eventually(() => seen.some((s) => s.state === 'backoff' && s.code === 'CONNECTION_LOST'), 'backoff');
      await eventually(() => seen.some((s) => s.code === 'CONNECTION_REFUSED'), 'a refused reconnect');
      await servers.startDovecot();
      const before = recorder.cycles;
      await eventually(
        () => actor.getSnapshot().value === 'polling' && recorder.cycles >= before + 2,
        'polling with two cycles after the restart',
      );
      await servers.deliver('machine', { subject: 'after the outage' });
      await eventually(() => recorder.subjects().includes('after the outage'), 'the message delivered after it');
    } finally {
      actor.stop();
    }
    expect([...recorder.subjects()].sort()).toEqual(['after the outage', 'm1', 'm2', 'm3']);
  });
});

describe('POP3 connect failures on Dovecot', () => {
  it('a maildrop locked by another session gives MAILDROP_LOCKED, retryable', async () => {
    const user = servers.user('locked');
    const holder = await Pop3Transport.connect({
      mailboxId: 'holder',
      host: '127.0.0.1',
      port: servers.ports.pop3s,
      security: 'implicit',
      ca: await readFile(servers.caFile, 'utf8'),
      commandTimeoutMs: 20_000,
    });
    await login(holder, user.user, user.password);
    try {
      const service = createPop3Service(config('locked'), { handled: new Recorder() });
      // Dovecot waits up to 10 s for the session lock before it answers -ERR [IN-USE].
      await expect(service.connect(new AbortController().signal)).rejects.toMatchObject({
        code: 'MAILDROP_LOCKED',
        retryable: true,
        mailboxId: 'pop3-locked',
      });
    } finally {
      await quit(holder);
    }
  });

  it('a wrong password is AUTH_FAILED, not retryable, naming the mailbox and the user', async () => {
    const service = createPop3Service(config('wrongpw', { password: 'not-the-password' }), {
      handled: new Recorder(),
    });
    const failure = (await service.connect(new AbortController().signal).catch((e: unknown) => e)) as Error;
    expect(failure).toMatchObject({ code: 'AUTH_FAILED', retryable: false, mailboxId: 'pop3-wrongpw' });
    expect(failure.message).toContain('mailbox pop3-wrongpw');
    expect(failure.message).toContain(servers.user('wrongpw').user);
    expect(failure.message).not.toContain('not-the-password');
  });

  it('a certificate from another CA is TLS_CERT_INVALID, over POP3S and over STLS', async () => {
    for (const server of [`pop3s://127.0.0.1:${servers.ports.pop3s}`, `pop3://127.0.0.1:${servers.ports.pop3}`]) {
      const service = createPop3Service(config('wrongca', { server, tlsCa: servers.wrongCaFile }), {
        handled: new Recorder(),
      });
      await expect(service.connect(new AbortController().signal)).rejects.toMatchObject({
        code: 'TLS_CERT_INVALID',
        retryable: false,
        mailboxId: 'pop3-wrongca',
      });
    }
  });

  it('pop3:// upgrades with STLS; plaintext only with allowPlaintext', async () => {
    await servers.fill('stls', [{ subject: 'over STLS' }]);
    const recorder = new Recorder();
    const server = `pop3://127.0.0.1:${servers.ports.pop3}`;
    const running = await watch(createPop3Service(config('stls', { server }), { handled: recorder }), recorder);
    await eventually(() => recorder.cycles >= 1, 'a cycle over STLS');
    await running.stop();
    expect(recorder.subjects()).toEqual(['over STLS']);

    const plain = new Recorder();
    const plaintext = createPop3Service(config('plain', { server, allowPlaintext: true }), { handled: plain });
    const session: MailSession = await plaintext.connect(new AbortController().signal);
    await session.close();

    const log = await readFile(servers.dovecotLog, 'utf8');
    const logins = (name: string) =>
      log.split('\n').filter((l) => l.includes('pop3-login') && l.includes(`user=<${servers.user(name).user}>`));
    expect(logins('stls').every((line) => line.includes(', TLS,'))).toBe(true);
    expect(logins('plain').some((line) => !line.includes(', TLS,'))).toBe(true);
  });
});

describe('POP3 over TLS with a big maildrop', () => {
  /** A message whose lines start with dots now and then, of a size that varies a lot (TLS records are 16 KiB). */
  function bigMaildropMessage(i: number): Buffer {
    const lines = [
      `Message-ID: <big-${i}@example.test>`,
      'From: Sender <sender@example.test>',
      `Subject: big ${i}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
    ];
    const count = i % 500 === 0 ? 1_500 : 1 + ((i * 7) % 60);
    for (let line = 0; line < count; line += 1) {
      const kind = (i + line) % 11;
      if (kind === 0) lines.push('.');
      else if (kind === 3) lines.push(`.leading dot ${line}`);
      else if (kind === 5) lines.push(`..two dots ${line} ü`);
      else lines.push(`line ${line} of message ${i} ${'x'.repeat((i * 13 + line * 7) % 90)}`);
    }
    return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
  }

  it('RETRs 3,000 messages over POP3S byte for byte (split terminators, final CRLF, dot-stuffing)', async () => {
    const total = 3_000;
    const sources = Array.from({ length: total }, (_, i) => bigMaildropMessage(i));
    await servers.fill('big', sources);
    const recorder = new Recorder();
    const service = createPop3Service(config('big', { pollIntervalMs: 60_000 }), { handled: recorder });
    let mismatches = 0;
    let retrieved = 0;
    const running = await watch(service, recorder, async (m, session) => {
      const index = Number(/^big (\d+)$/.exec(m.envelope.subject)?.[1]);
      const source = await read(await session.fetchSource(m));
      retrieved += 1;
      if (!source.equals(sources[index]!)) mismatches += 1;
    });
    await eventually(() => recorder.cycles >= 1, 'the first pass', 60_000);
    await running.stop();
    expect(retrieved).toBe(total);
    expect(mismatches).toBe(0);
    expect(new Set(recorder.emitted.map((m) => m.identity.key)).size).toBe(total);
  });

  it('parses a body on demand (fetchBody)', async () => {
    await servers.deliver('body', { subject: 'with body', text: 'Grüße aus dem Test\n.und ein Punkt\n' });
    const recorder = new Recorder();
    let text: string | null = null;
    const running = await watch(
      createPop3Service(config('body'), { handled: recorder }),
      recorder,
      async (m, session) => {
        text = (await session.fetchBody(m)).text;
      },
    );
    await eventually(() => recorder.cycles >= 1, 'a cycle');
    await running.stop();
    expect(text).toBe('Grüße aus dem Test\n.und ein Punkt\n');
  });
});
