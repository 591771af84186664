/**
 * The decision of `npm test`'s global setup (issue 13.12): install Debian's packages when root with apt-get, else
 * skip the tests that need what is missing, with a line that says which and why. The machine is a probe here.
 */
import { describe, expect, it } from 'vitest';
import type { SystemProbe } from '../../scripts/demo/install.js';
import { ensureTestPrerequisites, findMissing, planTestSetup, skipLine } from '../../scripts/harness/prerequisites.js';

const DOVECOT = ['/usr/sbin/dovecot', '/usr/lib/dovecot/imap', '/usr/lib/dovecot/pop3', '/usr/lib/dovecot/lmtp'];

function probe(files: readonly string[], isRoot: boolean): SystemProbe {
  return { isExecutable: (path) => files.includes(path), path: '/usr/bin:/bin', isRoot };
}

describe('findMissing', () => {
  it('finds nothing missing on a machine with Dovecot, openssl and Chromium', () => {
    expect(findMissing(probe([...DOVECOT, '/usr/bin/openssl', '/usr/bin/chromium'], false))).toEqual({});
  });

  it('names what is missing, by need', () => {
    expect(findMissing(probe(['/usr/bin/openssl'], false))).toEqual({
      dovecot: ['dovecot', 'dovecot imap', 'dovecot pop3', 'dovecot lmtp'],
      chromium: ['chromium'],
    });
  });
});

describe('planTestSetup', () => {
  it('installs the Debian packages of everything missing as root with apt-get', () => {
    expect(planTestSetup({ dovecot: ['dovecot'], chromium: ['chromium'] }, { isRoot: true, hasApt: true })).toEqual({
      kind: 'install',
      needs: ['chromium', 'dovecot'],
      packages: ['chromium', 'dovecot-imapd', 'dovecot-pop3d', 'dovecot-lmtpd', 'openssl'],
    });
  });

  it('skips with the command to run when not root, and says so in one line', () => {
    const plan = planTestSetup({ chromium: ['chromium'] }, { isRoot: false, hasApt: true });
    expect(plan).toEqual({
      kind: 'skip',
      unavailable: {
        chromium:
          'Chromium (/usr/bin/chromium) missing (installing it needs root: sudo apt-get install -y --no-install-recommends chromium)',
      },
    });
    expect(skipLine(plan.kind === 'skip' ? plan.unavailable : {})).toBe(
      'test setup: skipping the status-page browser test (test/e2e-browser): Chromium (/usr/bin/chromium) missing ' +
        '(installing it needs root: sudo apt-get install -y --no-install-recommends chromium)',
    );
  });

  it('skips when there is no apt-get, even as root', () => {
    const plan = planTestSetup({ dovecot: ['dovecot'] }, { isRoot: true, hasApt: false });
    expect(plan).toMatchObject({ kind: 'skip', unavailable: { dovecot: expect.stringMatching(/no apt-get/) } });
  });
});

describe('ensureTestPrerequisites', () => {
  it('says nothing and installs nothing when everything is there', () => {
    const lines: string[] = [];
    const all = probe([...DOVECOT, '/usr/bin/openssl', '/usr/bin/chromium'], true);
    expect(ensureTestPrerequisites((line) => lines.push(line), all)).toEqual({});
    expect(lines).toEqual([]);
  });

  it('prints one line naming the skipped tests when it cannot install (not root)', () => {
    const lines: string[] = [];
    const unavailable = ensureTestPrerequisites((line) => lines.push(line), probe(['/usr/bin/apt-get'], false));
    expect(Object.keys(unavailable).sort()).toEqual(['chromium', 'dovecot']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^test setup: skipping the status-page browser test \(test\/e2e-browser\) and every test that starts mail servers \(scripts\/harness\): .*needs root: sudo apt-get install/,
    );
  });
});
