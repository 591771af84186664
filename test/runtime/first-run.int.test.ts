/**
 * Safe first runs on a real Dovecot (issue 15 point 3): `startAt: new` handles none of the mail already there (IMAP
 * and POP3), handles what arrives after the first start, and a restart keeps the baseline; `startAt: <date>` handles
 * what arrived since the date by the IMAP internal date (APPEND with an internal date).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAutopilot } from '../../runtime/autopilot.js';
import { validateConfig } from '../../runtime/config/load.js';
import type { StoredEvent } from '../../runtime/journal/events.js';
import { MemoryJournalStore } from '../../runtime/journal/memory-store.js';
import { type MailServers, startMailServers } from '../../scripts/harness/mail-servers.js';
import { connectImap } from '../support/imap-folder.js';

let servers: MailServers;
const dir = mkdtempSync(join(tmpdir(), 'first-run-'));

beforeAll(async () => {
  servers = await startMailServers({ users: ['fresh', 'dated', 'drop'], smtp: false });
}, 60_000);
afterAll(() => servers?.stop());

function mailbox(name: string, extra: Record<string, unknown>) {
  const user = servers.user(name);
  return {
    id: name,
    user: user.user,
    password: user.password,
    tlsCa: servers.caFile,
    ...extra,
  };
}

/**
 * One `run --once` of the mailbox (a new autopilot each time: a restart; the journal is the config's SQLite file
 * unless a store is given), with what it handled.
 */
async function runOnce(config: ReturnType<typeof validateConfig>, store?: MemoryJournalStore) {
  const autopilot = createAutopilot(config, store ? { journalStore: store } : {});
  const handled: string[] = [];
  autopilot.rule({ matchAll: true }, async (message) => {
    handled.push(message.envelope.subject);
  });
  const events: StoredEvent[] = [];
  autopilot.events$.subscribe((event) => events.push(event));
  const results = await autopilot.runOnce();
  expect(results).toMatchObject([{ connected: true }]);
  return { handled: handled.sort(), events, autopilot };
}

const old = (n: number) => Array.from({ length: n }, (_, i) => ({ subject: `old ${i + 1}`, text: 'x' }));

describe('startAt: new', () => {
  it('IMAP: the 5 old mails are never examined; a later one is handled; a restart keeps the baseline', async () => {
    const user = servers.user('fresh').user;
    await servers.fill(user, old(5));
    const config = validateConfig(
      {
        journal: join(dir, 'fresh.db'),
        mailboxes: [mailbox('fresh', { server: `imaps://127.0.0.1:${servers.ports.imaps}`, startAt: 'new' })],
      },
      { baseDir: dir, platform: 'linux', env: {} },
    );
    const first = await runOnce(config);
    expect(first.handled).toEqual([]);
    const baselines = first.events.filter((e) => e.type === 'mailbox.baseline');
    expect(baselines).toMatchObject([{ uidNext: 6, existing: 5, keys: null }]);
    // The first start said so before the pass: nothing to examine, five left out.
    expect(first.events.filter((e) => e.type === 'mailbox.firstPass')).toMatchObject([
      { startAt: 'new', examine: 0, wouldSend: 0, leftOut: 5 },
    ]);
    // Never examined, not journaled as unmatched either.
    expect(first.events.filter((e) => e.type.startsWith('message.'))).toEqual([]);

    await servers.deliver(user, { subject: 'arrived later', text: 'y' });
    const second = await runOnce(config);
    expect(second.handled).toEqual(['arrived later']);
    expect(second.events.filter((e) => e.type === 'mailbox.baseline')).toEqual([]);
    const status = second.autopilot.journal?.mailboxes.get('fresh');
    expect(status?.baseline).toMatchObject({ uidNext: 6, existing: 5 });
    expect(status?.counters).toMatchObject({ handled: 1, discovered: 1, unmatched: 0 });

    // A third start with more mail: the baseline does not move forward, and nothing is handled twice.
    await servers.deliver(user, { subject: 'arrived even later', text: 'z' });
    const third = await runOnce(config);
    expect(third.handled).toEqual(['arrived even later']);
    expect(third.autopilot.journal?.mailboxes.get('fresh')?.baseline?.uidNext).toBe(6);
  });

  it('POP3: the UIDLs present at the first start are left out; a later mail is handled, also after a restart', async () => {
    const user = servers.user('drop').user;
    await servers.fill(user, old(3));
    const config = validateConfig(
      {
        journal: join(dir, 'drop.db'),
        mailboxes: [
          mailbox('drop', {
            service: 'pop3',
            server: `pop3s://127.0.0.1:${servers.ports.pop3s}`,
            pollInterval: '1s',
            startAt: 'new',
          }),
        ],
      },
      { baseDir: dir, platform: 'linux', env: {} },
    );
    const first = await runOnce(config);
    expect(first.handled).toEqual([]);
    const [baseline] = first.events.filter((e) => e.type === 'mailbox.baseline');
    expect(baseline).toMatchObject({ existing: 3, uidNext: null });
    expect((baseline as { keys: readonly string[] }).keys).toHaveLength(3);
    expect(first.events.filter((e) => e.type === 'mailbox.firstPass')).toMatchObject([
      { startAt: 'new', examine: 0, leftOut: 3 },
    ]);
    expect(first.events.filter((e) => e.type.startsWith('message.'))).toEqual([]);

    await servers.deliver(user, { subject: 'pop arrived later', text: 'y' });
    const second = await runOnce(config);
    expect(second.handled).toEqual(['pop arrived later']);
    const third = await runOnce(config);
    expect(third.handled).toEqual([]);
    expect(third.autopilot.journal?.mailboxes.get('drop')?.baseline?.existing).toBe(3);
  });
});

describe('startAt: <date>', () => {
  it('IMAP: only messages whose internal date is on or after the date are handled', async () => {
    const user = servers.user('dated');
    const client = await connectImap(servers, 'dated');
    const raw = (subject: string) => `From: a@example.test\r\nTo: ${user.user}\r\nSubject: ${subject}\r\n\r\nhi\r\n`;
    for (const [subject, date] of [
      ['september', '2026-09-15T10:00:00Z'],
      ['late october', '2026-10-31T23:00:00Z'],
      ['november', '2026-11-02T09:00:00Z'],
      ['december', '2026-12-01T09:00:00Z'],
    ] as const) {
      await client.append('INBOX', raw(subject), [], new Date(date));
    }
    await client.logout();
    const config = validateConfig(
      {
        mailboxes: [mailbox('dated', { server: `imaps://127.0.0.1:${servers.ports.imaps}`, startAt: '2026-11-01' })],
      },
      { baseDir: dir, platform: 'linux', env: {} },
    );
    const { handled, events } = await runOnce(config, new MemoryJournalStore());
    expect(handled).toEqual(['december', 'november']);
    expect(events.filter((e) => e.type === 'message.discovered')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'mailbox.firstPass')).toMatchObject([
      { startAt: '2026-11-01', examine: 2, wouldSend: 0, leftOut: 0 },
    ]);
  });
});
