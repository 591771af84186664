/**
 * Issue 16 part 2, POP3: the compact handled set holds the UIDLs still on the server. Messages handled and deleted
 * from the maildrop by one `runOnce` are, at the next one, dropped from the set by a `mailbox.forgotten` fact
 * (only those already compacted: the recent window keeps full records) — and nothing is handled twice.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAutopilot } from '../../runtime/autopilot.js';
import { validateConfig } from '../../runtime/config/load.js';
import { Journal } from '../../runtime/journal/journal.js';
import { RECENT_FINISHED } from '../../runtime/journal/message-projection.js';
import { SqliteJournalStore } from '../../runtime/journal/sqlite-store.js';
import { type MailServers, startMailServers } from '../../scripts/harness/mail-servers.js';

const TOTAL = RECENT_FINISHED + 5;
let servers: MailServers;

beforeAll(async () => {
  servers = await startMailServers({ users: ['drop'], smtp: false });
});
afterAll(() => servers?.stop());

describe('POP3: handled UIDLs gone from the server are forgotten', () => {
  it('journals mailbox.forgotten for the compacted ones at the next cycle, and handles nothing twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pop3-forgotten-'));
    const user = servers.user('drop');
    await servers.fill(
      user.user,
      Array.from({ length: TOTAL }, (_, i) => ({ subject: `Drop ${i}`, messageId: `<drop-${i}@example.test>` })),
    );
    const config = validateConfig(
      {
        journal: './journal.db',
        mailboxes: [
          {
            id: 'drop',
            service: 'pop3',
            server: `pop3s://127.0.0.1:${servers.ports.pop3s}`,
            user: user.user,
            password: '${DROP_PASSWORD}',
            tlsCa: servers.caFile,
            rules: [{ name: 'all', subject: { startsWith: 'Drop' }, actions: ['delete'] }],
          },
        ],
      },
      { baseDir: dir, env: { DROP_PASSWORD: user.password }, platform: 'linux' },
    );
    await createAutopilot(config).runOnce();
    await createAutopilot(config).runOnce();

    const journal = await Journal.open(new SqliteJournalStore(join(dir, 'journal.db'), { lock: false }));
    try {
      const events = await journal.store.read({ mailboxId: 'drop' });
      const handled = events.filter((e) => e.type === 'message.handled').map((e) => e.messageId);
      expect(new Set(handled).size).toBe(TOTAL);
      expect(handled).toHaveLength(TOTAL);
      const forgotten = events.filter((e) => e.type === 'mailbox.forgotten');
      expect(forgotten).toHaveLength(1);
      expect((forgotten[0] as { keys: readonly string[] }).keys).toHaveLength(TOTAL - RECENT_FINISHED);
      // What stays: the recent window's records; the compact set is empty (nothing handled is left on the server).
      expect(journal.messages.footprint('drop')).toEqual({ records: RECENT_FINISHED, ranges: 0, keys: 0 });
    } finally {
      await journal.close();
    }
  }, 120_000);
});
