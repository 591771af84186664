/**
 * Batch actions (issue 12 point 2) and the Sent copy (issue 13 point 4) of the IMAP adapter on real Dovecot: each
 * batch is one command (counted in imapflow's protocol log, checked in the server's state), the MOVE fallback
 * without the MOVE capability, batched source fetches that leave \Seen alone, saveSent to the SPECIAL-USE folder
 * or a created "Sent", and findSent on a second connection that leaves the session's folder alone.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiscoveredMessage, DiscoverySink } from '../../../adapters/contract.js';
import { DISCOVERY_QUERY, toDiscoveredMessage } from '../../../adapters/imap/message.js';
import { createImapService } from '../../../adapters/imap/service.js';
import { ImapSession } from '../../../adapters/imap/session.js';
import { imapDefaults } from '../../../scripts/harness/adapter-settings.js';
import { type MailServers, startMailServers } from '../../../scripts/harness/mail-servers.js';

let servers: MailServers;
beforeAll(async () => {
  servers = await startMailServers({ users: ['batch', 'nomove', 'src', 'sent1', 'sent2', 'find'], smtp: false });
});
afterAll(() => servers?.stop());

/** A plaintext client whose protocol log (commands the client sent) the test reads. */
async function loggedClient(name: string): Promise<{ client: ImapFlow; commands: string[] }> {
  const user = servers.user(name);
  const commands: string[] = [];
  const record = (entry: { src?: string; msg?: string }) => {
    if (entry?.src === 'c' && typeof entry.msg === 'string') commands.push(entry.msg.replace(/^\S+ /, ''));
  };
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: servers.ports.imap,
    secure: false,
    doSTARTTLS: false,
    auth: { user: user.user, pass: user.password },
    logger: { debug: record, info: record, warn: () => undefined, error: () => undefined },
  });
  client.on('error', () => undefined);
  await client.connect();
  await client.mailboxOpen('INBOX');
  return { client, commands };
}

/** A session on `client` (as the service builds it) and the folder's messages as discovery would give them. */
async function sessionOn(name: string, client: ImapFlow) {
  const user = servers.user(name);
  const settings = { ...imapDefaults(), id: `mb-${name}`, server: '127.0.0.1', user: user.user, password: 'x' };
  const rows = await client.fetchAll('1:*', DISCOVERY_QUERY, { uid: true });
  const uidValidity = client.mailbox ? client.mailbox.uidValidity : 0n;
  const messages = rows
    .map((row) => toDiscoveredMessage(row, { mailboxId: settings.id, folder: 'INBOX', uidValidity }))
    .sort((a, b) => Number(a.ref) - Number(b.ref));
  const session = new ImapSession({
    client,
    settings,
    handled: { isHandled: () => false },
    where: 'IMAP test',
    previousUidValidity: undefined,
    onUidValidity: () => undefined,
  });
  return { session, messages };
}

/** Flags by subject of a folder, read on a connection of its own. */
async function flagsIn(name: string, folder: string): Promise<Record<string, string[]>> {
  const { client } = await loggedClient(name);
  try {
    await client.mailboxOpen(folder);
    const rows = await client.fetchAll('1:*', { envelope: true, flags: true });
    return Object.fromEntries(
      rows.map((r) => [r.envelope?.subject, [...(r.flags ?? [])].filter((f) => f !== '\\Recent').sort()]),
    );
  } finally {
    await client.logout();
  }
}

const only = (commands: string[], verb: RegExp) => commands.filter((c) => verb.test(c));
const subjects = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ subject: `${prefix} ${i}` }));

describe('batch actions: one command per batch', () => {
  it('markReadMany, flagMany, moveToMany (creating the folder) and deleteMany: one UID command each', async () => {
    await servers.fill('batch', subjects(12, 'm'));
    const { client, commands } = await loggedClient('batch');
    const { session, messages } = await sessionOn('batch', client);
    try {
      const [read, flag, move, del] = [0, 3, 6, 9].map((i) => messages.slice(i, i + 3)) as [
        DiscoveredMessage[],
        DiscoveredMessage[],
        DiscoveredMessage[],
        DiscoveredMessage[],
      ];
      commands.length = 0;
      await session.markReadMany(read);
      await session.flagMany(flag, '\\Flagged');
      await session.moveToMany(move, 'Batch Archive');
      await session.deleteMany(del);
      expect(only(commands, /^UID STORE/)).toEqual([
        'UID STORE 1:3 +FLAGS (\\Seen)',
        'UID STORE 4:6 +FLAGS (\\Flagged)',
        'UID STORE 10:12 +FLAGS (\\Deleted)',
      ]);
      // The first MOVE fails with [TRYCREATE]; the folder is created and the move retried, as for a single move.
      expect(only(commands, /^(UID MOVE|CREATE)/)).toEqual([
        'UID MOVE 7:9 "Batch Archive"',
        'CREATE "Batch Archive"',
        'UID MOVE 7:9 "Batch Archive"',
      ]);
      expect(only(commands, /EXPUNGE/)).toEqual(['UID EXPUNGE 10:12']);
      await expect(session.flagMany(read, 'bad flag')).rejects.toMatchObject({ code: 'INVALID_FLAG' });
      // A message of another session (stale UIDVALIDITY) is refused before any command is sent.
      const stale = { ...read[0]!, identity: { ...read[0]!.identity, key: 'imap:INBOX:1:1' } };
      commands.length = 0;
      await expect(session.markReadMany([read[1]!, stale])).rejects.toMatchObject({ code: 'MESSAGE_STALE' });
      expect(only(commands, /^UID STORE/)).toEqual([]);
    } finally {
      await session.close();
    }
    const inbox = await flagsIn('batch', 'INBOX');
    expect(inbox).toEqual({
      'm 0': ['\\Seen'],
      'm 1': ['\\Seen'],
      'm 2': ['\\Seen'],
      'm 3': ['\\Flagged'],
      'm 4': ['\\Flagged'],
      'm 5': ['\\Flagged'],
    });
    expect(await flagsIn('batch', 'Batch Archive')).toEqual({ 'm 6': [], 'm 7': [], 'm 8': [] });
  });

  it('moveToMany without the MOVE capability: UID COPY, UID STORE \\Deleted, UID EXPUNGE of just those UIDs', async () => {
    await servers.fill('nomove', subjects(5, 'n'));
    const { client, commands } = await loggedClient('nomove');
    // Dovecot always offers MOVE; imapflow decides by the capability list, so this takes its fallback path.
    client.capabilities.delete('MOVE');
    const { session, messages } = await sessionOn('nomove', client);
    try {
      // A message flagged \Deleted by someone else stays: only the moved UIDs are expunged (UIDPLUS).
      await client.messageFlagsAdd('5', ['\\Deleted'], { uid: true });
      commands.length = 0;
      await session.moveToMany([messages[0]!, messages[1]!, messages[3]!], 'Archive');
      expect(only(commands, /^(UID|CREATE|EXPUNGE)/)).toEqual([
        'UID COPY 1:2,4 Archive',
        'CREATE Archive',
        'UID COPY 1:2,4 Archive',
        'UID STORE 1:2,4 +FLAGS.SILENT (\\Deleted)',
        'UID EXPUNGE 1:2,4',
      ]);
    } finally {
      await session.close();
    }
    expect(Object.keys(await flagsIn('nomove', 'Archive')).sort()).toEqual(['n 0', 'n 1', 'n 3']);
    expect(await flagsIn('nomove', 'INBOX')).toEqual({ 'n 2': [], 'n 4': ['\\Deleted'] });
  });

  it('fetchSources: one UID FETCH BODY.PEEK[] for the set, by identity key, and no \\Seen', async () => {
    await servers.fill('src', subjects(4, 's'));
    const { client, commands } = await loggedClient('src');
    const { session, messages } = await sessionOn('src', client);
    try {
      commands.length = 0;
      const sources = await session.fetchSources([messages[3]!, messages[0]!, messages[1]!]);
      expect(only(commands, /FETCH/)).toEqual(['UID FETCH 1:2,4 (UID BODY.PEEK[] MODSEQ)']);
      expect([...sources.keys()].sort()).toEqual(
        [messages[0]!, messages[1]!, messages[3]!].map((m) => m.identity.key).sort(),
      );
      expect(sources.get(messages[3]!.identity.key)!.toString()).toContain('Subject: s 3');
    } finally {
      await session.close();
    }
    expect(Object.values(await flagsIn('src', 'INBOX'))).toEqual([[], [], [], []]);
  });
});

function service(name: string) {
  const user = servers.user(name);
  return createImapService(
    {
      ...imapDefaults(),
      id: `mb-${name}`,
      server: `imap://127.0.0.1:${servers.ports.imap}`,
      allowPlaintext: true,
      user: user.user,
      password: user.password,
      safetyPollMs: 600_000,
    },
    { handled: { isHandled: () => false } },
  );
}

function sentFiles(name: string, folder: string): string[] {
  const dir = join(servers.user(name).maildir, `.${folder}`);
  return ['new', 'cur'].flatMap((sub) => {
    try {
      return readdirSync(join(dir, sub)).map((file) => `${sub}/${file}`);
    } catch {
      return [];
    }
  });
}

const raw = (id: string) =>
  Buffer.from(`From: box@example.test\r\nTo: a@example.test\r\nSubject: re\r\nMessage-ID: ${id}\r\n\r\nthanks\r\n`);

describe('the Sent copy (issue 13 point 4)', () => {
  it('saveSent creates "Sent" where the server has no Sent folder, and appends \\Seen', async () => {
    const session = await service('sent1').connect(new AbortController().signal);
    try {
      await session.saveSent!(raw('<s1@example.test>'));
      await session.saveSent!(raw('<s2@example.test>'));
    } finally {
      await session.close();
    }
    const files = sentFiles('sent1', 'Sent');
    expect(files).toHaveLength(2);
    expect(files.every((file) => /^cur\/.*:2,[A-Z]*S/.test(file))).toBe(true);
  });

  it('saveSent uses the SPECIAL-USE \\Sent folder whatever its name', async () => {
    const { client } = await loggedClient('sent2');
    await client.mailboxCreate('Outgoing Copies');
    await client.logout();
    const session = await service('sent2').connect(new AbortController().signal);
    try {
      await session.saveSent!(raw('<s3@example.test>'));
    } finally {
      await session.close();
    }
    expect(sentFiles('sent2', 'Outgoing Copies')).toHaveLength(1);
    expect(sentFiles('sent2', 'Sent')).toEqual([]);
  });

  it('findSent answers on a second connection; the watch keeps its folder and discovers new mail', async () => {
    await servers.fill('find', [{ subject: 'before' }]);
    const found: string[] = [];
    const notices: string[] = [];
    let caughtUp!: () => void;
    const first = new Promise<void>((resolve) => {
      caughtUp = resolve;
    });
    const sink: DiscoverySink = {
      next: (m) => {
        found.push(m.envelope.subject);
      },
      notice: (code) => notices.push(code),
      caughtUp: () => caughtUp(),
    };
    const abort = new AbortController();
    const session = await service('find').connect(abort.signal);
    const watch = session.watch(sink, abort.signal);
    await first;
    expect(await session.findSent!('<f1@example.test>')).toBe(false); // no Sent folder yet
    await session.saveSent!(raw('<f1@example.test>'));
    expect(await session.findSent!('<f1@example.test>')).toBe(true);
    expect(await session.findSent!('f1@example.test')).toBe(true);
    expect(await session.findSent!('<f2@example.test>')).toBe(false);
    await servers.deliver(servers.user('find').user, { subject: 'after' });
    await expect.poll(() => found, { timeout: 10_000 }).toContain('after');
    expect(found).toEqual(['before', 'after']);
    expect(notices).toEqual([]);
    abort.abort();
    await watch;
  });
});
