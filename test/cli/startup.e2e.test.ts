/**
 * Start-up cost as behaviour, not time (issue 12 point 5, issue 14): `--help` loads no command module and no heavy
 * package, and `validate` loads the config layer only — no mail protocol client, no journal store, no actor runtime.
 * Each run records the npm packages the process resolves (test/support/package-recorder.mjs).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliCommand, REPO_ROOT } from '../support/cli.js';

/** What only `run` (or a command that opens the journal) needs. */
const HEAVY = [
  'imapflow',
  'nodemailer',
  'node-pop3',
  '@azure/msal-node',
  'better-sqlite3',
  'pg',
  'xstate',
  'rxjs',
  'mailparser',
  'libmime',
  'ws',
] as const;

const dir = mkdtempSync(join(tmpdir(), 'autopilot-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function packagesLoadedBy(args: readonly string[]): { status: number | null; packages: string[]; stderr: string } {
  const record = join(dir, `record-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(record, '');
  const [program, argv] = cliCommand(args);
  const recorder = join(REPO_ROOT, 'test/support/package-recorder.mjs');
  const result = spawnSync(program, ['--import', recorder, ...argv], {
    cwd: dir,
    env: { ...process.env, PACKAGE_RECORD_FILE: record },
    encoding: 'utf8',
  });
  const packages = readFileSync(record, 'utf8').split('\n').filter(Boolean);
  return { status: result.status, packages, stderr: result.stderr };
}

describe('CLI start-up loads only what the command needs', () => {
  it('--help loads none of the heavy packages', () => {
    const { status, packages, stderr } = packagesLoadedBy(['--help']);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(packages.filter((name) => (HEAVY as readonly string[]).includes(name))).toEqual([]);
  });

  it('validate of an IMAP/SMTP config loads the config layer, not the protocol clients, journal or actors', () => {
    writeFileSync(
      join(dir, 'autopilot.yaml'),
      [
        'mailboxes:',
        '  - id: support',
        '    server: imaps://mail.example.test',
        '    user: support@example.test',
        '    password: secret',
        '    smtp: { server: smtps://mail.example.test }',
        '    rules:',
        '      - name: optin',
        '        subject: { equals: "Newsletter confirmation" }',
        '        actions: [markRead]',
        '',
      ].join('\n'),
    );
    const { status, packages } = packagesLoadedBy(['validate', '--config', 'autopilot.yaml']);
    expect(status).toBe(0);
    // The recorder itself works: the config layer's own packages are seen.
    expect(packages).toContain('yaml');
    expect(packages.filter((name) => (HEAVY as readonly string[]).includes(name))).toEqual([]);
  });
});
