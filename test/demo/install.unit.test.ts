/**
 * The demo's install step (issue 6, item 7): what it finds missing, and what it does about it — install Debian's
 * packages as root, or tell a non-root user the exact command and stop. Decided on a described machine, without
 * touching the real one.
 */
import { describe, expect, it } from 'vitest';
import {
  APT_PACKAGES,
  ensurePrerequisites,
  findPrerequisites,
  PrerequisiteError,
  planInstall,
  type SystemProbe,
} from '../../scripts/demo/install.js';

const DEBIAN_WITH_DOVECOT = [
  '/usr/sbin/dovecot',
  '/usr/lib/dovecot/imap',
  '/usr/lib/dovecot/pop3',
  '/usr/lib/dovecot/lmtp',
  '/usr/bin/openssl',
  '/usr/bin/apt-get',
];

function machine(files: readonly string[], options: { isRoot?: boolean; path?: string } = {}): SystemProbe {
  const set = new Set(files);
  return {
    isExecutable: (path) => set.has(path),
    path: options.path ?? '/usr/local/bin:/usr/bin:/bin',
    isRoot: options.isRoot ?? false,
  };
}

describe('findPrerequisites', () => {
  it('finds dovecot in /usr/sbin even when the PATH of a normal user lacks it', () => {
    expect(findPrerequisites(machine(DEBIAN_WITH_DOVECOT))).toEqual({ missing: [], dovecot: '/usr/sbin/dovecot' });
  });

  it('names each missing piece, including a protocol package installed without the others', () => {
    const found = findPrerequisites(machine(['/usr/sbin/dovecot', '/usr/lib/dovecot/imap']));
    expect(found.missing).toEqual(['dovecot pop3', 'dovecot lmtp', 'openssl']);
  });

  it('accepts the libexec layout of other systems', () => {
    const files = [
      '/usr/sbin/dovecot',
      '/usr/bin/openssl',
      ...['imap', 'pop3', 'lmtp'].map((p) => `/usr/libexec/dovecot/${p}`),
    ];
    expect(findPrerequisites(machine(files)).missing).toEqual([]);
  });
});

describe('planInstall', () => {
  const missing = { missing: ['dovecot', 'dovecot imap', 'dovecot pop3', 'dovecot lmtp'], dovecot: null };

  it('does nothing when everything is there', () => {
    expect(planInstall({ missing: [], dovecot: '/usr/sbin/dovecot' }, { isRoot: false, hasApt: true })).toEqual({
      kind: 'ready',
    });
  });

  it('as root installs exactly the Debian packages, without recommends, after apt-get update', () => {
    expect(planInstall(missing, { isRoot: true, hasApt: true })).toEqual({
      kind: 'install',
      commands: [
        ['apt-get', 'update'],
        [
          'apt-get',
          'install',
          '-y',
          '--no-install-recommends',
          'dovecot-imapd',
          'dovecot-pop3d',
          'dovecot-lmtpd',
          'openssl',
        ],
      ],
    });
    expect(APT_PACKAGES).toEqual(['dovecot-imapd', 'dovecot-pop3d', 'dovecot-lmtpd', 'openssl']);
  });

  it('as a normal user prints the exact command to run and what is missing', () => {
    const plan = planInstall(missing, { isRoot: false, hasApt: true });
    expect(plan.kind).toBe('refuse');
    const message = plan.kind === 'refuse' ? plan.message : '';
    expect(message).toContain('missing: dovecot, dovecot imap, dovecot pop3, dovecot lmtp');
    expect(message).toContain(
      'sudo apt-get update && sudo apt-get install -y --no-install-recommends dovecot-imapd dovecot-pop3d dovecot-lmtpd openssl',
    );
  });

  it('without apt-get says to use the system package manager', () => {
    const plan = planInstall(missing, { isRoot: true, hasApt: false });
    expect(plan.kind === 'refuse' && plan.message).toMatch(/no apt-get: install them with its package manager/);
  });
});

describe('ensurePrerequisites', () => {
  it('throws a PrerequisiteError with the command for a normal user, and runs nothing', () => {
    const said: string[] = [];
    const probe = machine(['/usr/bin/openssl', '/usr/bin/apt-get'], { isRoot: false });
    expect(() => ensurePrerequisites((line) => said.push(line), probe)).toThrow(PrerequisiteError);
    expect(() => ensurePrerequisites((line) => said.push(line), probe)).toThrow(
      /sudo apt-get update && sudo apt-get install/,
    );
    expect(said).toEqual([]);
  });

  it('returns what it found when nothing is missing', () => {
    expect(ensurePrerequisites(() => undefined, machine(DEBIAN_WITH_DOVECOT)).dovecot).toBe('/usr/sbin/dovecot');
  });
});
