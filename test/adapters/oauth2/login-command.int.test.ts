/**
 * `mail-autopilot login` (runtime/cli/login.ts) against the local identity provider: what the administrator sees,
 * and the exit codes. The configuration is handed in as loaded (the config schema gains `oauth2` and `tokenCache`
 * with the CLI wiring of issue 7).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoginConfigView, loginTargets, runLoginCommand } from '../../../runtime/cli/login.js';
import { type OAuth2Fixture, startOAuth2Fixture } from './helpers.js';

const ALICE = 'alice@example.test';

let fx: OAuth2Fixture;

beforeAll(async () => {
  fx = await startOAuth2Fixture([ALICE]);
});
afterAll(() => fx?.close());

/** Captures output; when Microsoft's sign-in instruction appears, the "person" signs in (or declines). */
function console_(person: 'approve' | 'decline' = 'approve') {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      stdout(text: string) {
        out.push(text);
        const code = /enter the code (\S+) to authenticate/.exec(text)?.[1];
        if (code !== undefined) {
          if (person === 'approve') fx.idp.approveDeviceCode(code, ALICE);
          else fx.idp.denyDeviceCode(code);
        }
      },
      stderr(text: string) {
        err.push(text);
      },
    },
  };
}

function config(name: string): LoginConfigView {
  return {
    baseDir: join(fx.dir, name),
    mailboxes: [
      {
        id: 'support',
        service: 'imap',
        user: ALICE,
        oauth2: { tenant: fx.idp.tenantId, clientId: fx.clientId },
        smtp: {},
      },
      { id: 'legacy', service: 'imap', user: 'legacy@example.test' },
    ],
  };
}

const deps = (view: LoginConfigView) => ({ oauth2: { networkClient: fx.idp.networkClient() }, loadConfig: () => view });

describe('mail-autopilot login', () => {
  it('signs in once for IMAP and SMTP together, shows the code, and a second run skips both', async () => {
    const view = config('first');
    const first = console_();
    expect(await runLoginCommand(['--config', 'autopilot.yaml'], first.io, deps(view))).toBe(0);
    const shown = first.out.join('');
    expect(shown).toContain('mailbox support: sign in as alice@example.test for IMAP and SMTP.');
    expect(shown).toMatch(/https:\/\/microsoft\.com\/devicelogin and enter the code \S+/);
    expect(shown).toContain('mailbox support: IMAP signed in: signed in as alice@example.test');
    expect(shown).toContain('mailbox support: SMTP signed in: signed in as alice@example.test');
    expect(first.err).toEqual([]);

    const second = console_();
    expect(await runLoginCommand(['-c', 'autopilot.yaml', '--mailbox', 'support'], second.io, deps(view))).toBe(0);
    expect(second.out.join('')).not.toContain('enter the code');
    expect(second.out.join('')).toMatch(/IMAP skipped: already signed in as alice@example\.test/);
    expect(second.out.join('')).toMatch(/SMTP skipped: already signed in as alice@example\.test/);
  });

  it('--protocol limits the sign-in, and says so for a protocol the mailbox does not use', async () => {
    const view = config('protocol');
    const run = console_();
    expect(await runLoginCommand(['-c', 'x', '-m', 'support', '-p', 'smtp', '-p', 'pop3'], run.io, deps(view))).toBe(0);
    const shown = run.out.join('');
    expect(shown).toContain('for SMTP.');
    expect(shown).not.toContain('IMAP');
    expect(shown).toContain('mailbox support: POP3 skipped: the mailbox does not use it with OAuth2');
  });

  it('a declined sign-in exits 1 and explains on stderr', async () => {
    const run = console_('decline');
    expect(await runLoginCommand(['-c', 'x', '-p', 'imap'], run.io, deps(config('declined')))).toBe(1);
    expect(run.err.join('')).toMatch(/^mailbox support: OAuth2 \(IMAP\): the sign-in was declined/);
  });

  it.each([
    [['-c', 'x', '--mailbox', 'nope'], /no mailbox nope in x \(it has support, legacy\)/],
    [['-c', 'x', '--mailbox', 'legacy'], /mailbox legacy does not use OAuth2/],
    [['-c', 'x', '--protocol', 'mapi'], /--protocol must be imap, pop or smtp/],
    [['-c', 'x', '--timeout', 'soon'], /--timeout expects a duration/],
    [['--mailbox', 'support'], /--config FILE is required/],
  ])('%j is a usage error (64)', async (args, message) => {
    const run = console_();
    expect(await runLoginCommand(args, run.io, deps(config('usage')))).toBe(64);
    expect(run.err.join('')).toMatch(message);
  });

  it('a configuration without any oauth2 mailbox is a configuration error (78), read by the real loader', async () => {
    const file = join(fx.dir, 'plain.json');
    await writeFile(
      file,
      JSON.stringify({
        mailboxes: [{ id: 'a', server: 'imaps://mail.example.test', user: 'a@example.test', password: 'x' }],
      }),
    );
    const run = console_();
    expect(await runLoginCommand(['--config', file], run.io, {})).toBe(78);
    expect(run.err.join('')).toMatch(/no mailbox of .*plain\.json uses OAuth2/);
  });
});

describe('loginTargets', () => {
  const oauth2 = { clientId: 'c' };
  it('one target for reading and sending with the same account; two when SMTP signs in as another', () => {
    expect(loginTargets({ id: 'p', service: 'pop3', user: 'a@x.test', oauth2, smtp: {} })).toEqual([
      { id: 'p', user: 'a@x.test', oauth2, protocols: ['pop', 'smtp'] },
    ]);
    expect(loginTargets({ id: 'p', service: 'imap', user: 'a@x.test', oauth2, smtp: { user: 'send@x.test' } })).toEqual(
      [
        { id: 'p', user: 'a@x.test', oauth2, protocols: ['imap'] },
        { id: 'p', user: 'send@x.test', oauth2, protocols: ['smtp'] },
      ],
    );
    expect(loginTargets({ id: 'p', service: 'imap', user: 'a@x.test', oauth2, smtp: { password: 'pw' } })).toEqual([
      { id: 'p', user: 'a@x.test', oauth2, protocols: ['imap'] },
    ]);
  });
});
