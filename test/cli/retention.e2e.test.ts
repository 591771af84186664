/**
 * Retention end to end (issue 16, part 3), the CLI spawned against the test Dovecot: `run --once` handles the mails,
 * the next `run --once` (after its checkpoint) prunes their finished history under `journal: { retain: 1ms }`, the
 * SQLite file shrinks (bytes measured), `events --message` says retention removed the history, and a restart
 * redelivers nothing: every handler ran exactly once. With its checkpoints made unreadable, a start is refused
 * (JOURNAL_HISTORY_PRUNED) rather than folding the pruned journal and handling the mails again.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../runtime/cli/exit-codes.js';
import { type MailServers, startMailServers } from '../../scripts/harness/mail-servers.js';
import { spawnCli } from '../support/cli.js';

const MAILS = 40;
let servers: MailServers;
let dir: string;

beforeAll(async () => {
  servers = await startMailServers({ users: ['support'] });
  dir = mkdtempSync(join(tmpdir(), 'retention-e2e-'));
  const support = servers.user('support');
  writeFileSync(
    join(dir, 'autopilot.yaml'),
    [
      'journal: { path: ./autopilot.db, retain: 1ms }',
      'mailboxes:',
      '  - id: support',
      `    server: imap://127.0.0.1:${servers.ports.imap}`,
      '    allowPlaintext: true',
      `    user: ${support.user}`,
      '    password: ${SUPPORT_PASSWORD}',
      '    rules:',
      '      - name: orders',
      '        subject: { startsWith: "Order" }',
      '        run: ["node", "handle.js"]',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'handle.js'),
    "require('node:fs').appendFileSync('handled.log', process.env.MAIL_AUTOPILOT_KEY + '\\n');\n",
  );
  for (let i = 1; i <= MAILS; i++) {
    await servers.deliver(support.user, { subject: `Order ${i}`, text: `order number ${i}\n${'x'.repeat(500)}` });
  }
}, 120_000);
afterAll(() => servers?.stop());

const cli = (args: string[]) =>
  spawnCli(args, { cwd: dir, env: { SUPPORT_PASSWORD: servers.user('support').password } });

const handled = () => readFileSync(join(dir, 'handled.log'), 'utf8').trim().split('\n');
const journalBytes = () => statSync(join(dir, 'autopilot.db')).size;

describe('journal retention with run --once', () => {
  let keys: string[] = [];
  let bytesBefore = 0;

  it('handles every mail once and journals it', async () => {
    const first = await cli(['run', '--config', 'autopilot.yaml', '--once']);
    expect(first.status, first.stderr).toBe(0);
    expect(handled()).toHaveLength(MAILS);
    const events = await cli([
      'events',
      '--config',
      'autopilot.yaml',
      '--type',
      'message.handled',
      '-n',
      '0',
      '--json',
    ]);
    keys = events.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { key: string }).key);
    expect(keys).toHaveLength(MAILS);
    bytesBefore = journalBytes();
  });

  it('prunes the finished history on the next run, after a checkpoint covers it, and the file shrinks', async () => {
    const second = await cli(['run', '--config', 'autopilot.yaml', '--once']);
    expect(second.status, second.stderr).toBe(0);
    const events = await cli(['events', '--config', 'autopilot.yaml', '--message', keys[0]!]);
    expect(events.status).toBe(0);
    expect(events.stdout).toBe('');
    expect(events.stderr).toMatch(/retention removed the history of finished messages/);
    const left = await cli(['events', '--config', 'autopilot.yaml', '--type', 'message.', '-n', '0', '--json']);
    expect(left.stdout).toBe('');
    const bytesAfter = journalBytes();
    console.log(`retention e2e: journal ${bytesBefore} bytes before, ${bytesAfter} after the prune`);
    expect(bytesAfter).toBeLessThan(bytesBefore);
  });

  it('redelivers nothing after the prune: a restart starts from the checkpoint', async () => {
    const third = await cli(['run', '--config', 'autopilot.yaml', '--once']);
    expect(third.status, third.stderr).toBe(0);
    expect(handled()).toHaveLength(MAILS);
    expect(new Set(handled())).toEqual(new Set(keys));
    const discovered = await cli(['events', '--config', 'autopilot.yaml', '--type', 'message.', '-n', '0']);
    expect(discovered.stdout).toBe('');
  });

  it('refuses to start from a pruned journal whose checkpoints cannot be used, instead of redelivering', async () => {
    const db = new Database(join(dir, 'autopilot.db'));
    db.prepare("UPDATE journal_snapshots SET data = x'00'").run(); // both kept checkpoints unreadable
    db.close();
    const refused = await cli(['run', '--config', 'autopilot.yaml', '--once']);
    expect(refused.status).toBe(EXIT_CODES.FAILURE);
    expect(refused.stderr).toMatch(/retention removed the journal's history through position \d+/);
    expect(handled()).toHaveLength(MAILS);
  });
});
