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
import { type MailServers, startMailServers } from '../harness/mail-servers.js';

let servers: MailServers;

const CRLF = '\r\n';
const lines = (...parts: string[]) => parts.join(CRLF);

/** Each entry: a name for the failure message, and the raw bytes. */
const CORPUS: [string, Buffer][] = [
  [
    'broken MIME (no closing boundary, part without headers)',
    Buffer.from(
      lines(
        'From: a@example.test',
        'Subject: broken mime',
        'Message-ID: <broken-mime@example.test>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="XYZ"',
        '',
        '--XYZ',
        'Content-Type: text/plain',
        '',
        'first part',
        '--XYZ',
        'garbage without a blank line',
        '',
      ),
    ),
  ],
  [
    'bad encoded words and an unknown charset',
    Buffer.from(
      lines(
        'From: =?utf-8?B?!!!not-base64!!!?= <b@example.test>',
        'Subject: =?x-unknown-charset?Q?caf=E9?= =?utf-8?B?w6k?',
        'Message-ID: <bad-encoding@example.test>',
        'Content-Type: text/plain; charset=x-made-up',
        'Content-Transfer-Encoding: base64',
        '',
        '@@@ this is not base64 @@@',
        '',
      ),
    ),
  ],
  [
    '8-bit header bytes (Latin-1, not encoded)',
    Buffer.concat([
      Buffer.from(`From: c@example.test${CRLF}Subject: Gr`),
      Buffer.from([0xfc, 0xdf, 0x65]),
      Buffer.from(`${CRLF}Message-ID: <eight-bit@example.test>${CRLF}${CRLF}body${CRLF}`),
    ]),
  ],
  ['no Message-ID at all', Buffer.from(lines('From: d@example.test', 'Subject: no id', '', 'body', ''))],
  [
    'a 200 KB header and 5,000 header lines',
    Buffer.from(
      lines(
        'From: e@example.test',
        `Subject: huge ${'x'.repeat(200_000)}`,
        'Message-ID: <huge-headers@example.test>',
        ...Array.from({ length: 5_000 }, (_, i) => `X-Filler-${i}: ${i}`),
        '',
        'body',
        '',
      ),
    ),
  ],
  [
    'truncated in the middle of a base64 attachment',
    Buffer.from(
      lines(
        'From: f@example.test',
        'Subject: truncated',
        'Message-ID: <truncated@example.test>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="B"',
        '',
        '--B',
        'Content-Type: application/pdf; name="x.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        'JVBERi0xLjQKJcfs',
      ),
    ),
  ],
  ['no header block, only text', Buffer.from('just some text without any headers\r\n')],
  [
    'NUL bytes in a header and the body',
    Buffer.from(
      `From: g@example.test\r\nSubject: nul\u0000byte\r\nMessage-ID: <nul@example.test>\r\n\r\nbo\u0000dy\r\n`,
    ),
  ],
];

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
