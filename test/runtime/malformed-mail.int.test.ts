/**
 * A corpus of malformed mail never crashes the process (issue 4, item 7): broken MIME, bad encodings, 8-bit headers,
 * no Message-ID, huge headers, truncated messages, NUL bytes. Each message ends handled or dead-lettered with a
 * reason; nothing is skipped silently.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAutopilot } from '../../runtime/autopilot.js';
import { validateConfig } from '../../runtime/config/load.js';
import { MemoryJournalStore } from '../../runtime/journal/memory-store.js';
import { type MailServers, startMailServers } from '../../scripts/harness/mail-servers.js';
import { MALFORMED_MAIL as CORPUS } from '../adapters/mail-format/corpus.js';

let servers: MailServers;

beforeAll(async () => {
  servers = await startMailServers({ users: ['odd'], smtp: false });
  await servers.fill(
    servers.user('odd').user,
    CORPUS.map(([, raw]) => raw),
  );
}, 60_000);
afterAll(() => servers?.stop());

describe('malformed mail', () => {
  it('is handled or dead-lettered with a reason, one by one, without crashing the process', async () => {
    const user = servers.user('odd');
    const dir = mkdtempSync(join(tmpdir(), 'malformed-'));
    const config = validateConfig(
      {
        mailboxes: [
          {
            id: 'odd',
            server: `imaps://127.0.0.1:${servers.ports.imaps}`,
            user: user.user,
            password: user.password,
            tlsCa: servers.caFile,
            handler: { retries: 1, retryDelay: 10 },
            rules: [
              {
                name: 'every-message',
                matchAll: true,
                run: [
                  'node',
                  '-e',
                  'let n = 0; process.stdin.on("data", (c) => (n += c.length)).on("end", () => process.exit(n > 0 ? 0 : 5));',
                ],
              },
            ],
          },
        ],
      },
      { baseDir: dir, platform: 'linux', env: {} },
    );
    const parsedBodies: string[] = [];
    const autopilot = createAutopilot(config, { journalStore: new MemoryJournalStore() });
    autopilot.rule({ matchAll: true }, async (message) => {
      const body = await message.body();
      parsedBodies.push(`${message.envelope.subject.slice(0, 20)}|${body.text?.length ?? 0}`);
    });
    const events: { type: string; key?: string; reason?: string }[] = [];
    autopilot.events$.subscribe((event) => events.push(event as never));
    const results = await autopilot.runOnce();
    expect(results).toMatchObject([{ mailboxId: 'odd', connected: true }]);

    const statuses = new Map<string, string>();
    const reasons: string[] = [];
    for (const event of events) {
      if (event.type === 'message.handled') statuses.set(event.key!, 'handled');
      if (event.type === 'message.deadLettered') {
        statuses.set(event.key!, 'deadLettered');
        reasons.push(event.reason ?? '');
      }
    }
    expect(statuses.size, 'every message of the corpus reached an end').toBe(CORPUS.length);
    for (const reason of reasons) expect(reason.length).toBeGreaterThan(0);
    expect([...statuses.values()].filter((s) => s === 'handled').length).toBeGreaterThanOrEqual(CORPUS.length - 2);
    expect(parsedBodies.length).toBeGreaterThan(0);
  });
});
