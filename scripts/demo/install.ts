/**
 * The demo's install step: finds Dovecot (IMAP, POP3, LMTP) and `openssl`, and when something is missing installs
 * exactly Debian's packages for them with apt-get, as root only. Nothing else is ever downloaded.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The Debian packages the test servers need (docs/testing.md), installed without recommends.
 *
 * @example
 * ```ts
 * spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...APT_PACKAGES]);
 * ```
 */
export const APT_PACKAGES = ['dovecot-imapd', 'dovecot-pop3d', 'dovecot-lmtpd', 'openssl'] as const;

/** Where Dovecot's protocol binaries live: Debian's path first, then the usual libexec path of other systems. */
const DOVECOT_LIBEXEC_DIRS = ['/usr/lib/dovecot', '/usr/libexec/dovecot'];
/** Debian keeps `dovecot` in /usr/sbin, which is not on a normal user's PATH. */
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/**
 * What the machine offers, as the install step sees it (injected so the decision is testable without a machine).
 *
 * @example
 * ```ts
 * const probe: SystemProbe = { isExecutable: (p) => p === '/usr/sbin/dovecot', path: '/usr/bin:/bin', isRoot: false };
 * ```
 */
export interface SystemProbe {
  isExecutable(path: string): boolean;
  /** The PATH to search. */
  readonly path: string;
  readonly isRoot: boolean;
}

/**
 * The result of looking: what is missing, and where `dovecot` was found.
 *
 * @example
 * ```ts
 * const found: Prerequisites = { missing: [], dovecot: '/usr/sbin/dovecot' };
 * ```
 */
export interface Prerequisites {
  /** Human names of what is missing: `dovecot`, `dovecot imap`, `dovecot pop3`, `dovecot lmtp`, `openssl`, `apt-get`. */
  readonly missing: readonly string[];
  readonly dovecot: string | null;
}

function findOnPath(name: string, probe: SystemProbe, extraDirs: readonly string[] = []): string | null {
  const dirs = [...probe.path.split(delimiter).filter((d) => d !== ''), ...extraDirs];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (probe.isExecutable(candidate)) return candidate;
  }
  return null;
}

/**
 * Looks for `dovecot`, its imap/pop3/lmtp protocol binaries and `openssl`.
 *
 * @example
 * ```ts
 * const { missing } = findPrerequisites(systemProbe());
 * if (missing.length === 0) console.log('ready');
 * ```
 */
export function findPrerequisites(probe: SystemProbe): Prerequisites {
  const missing: string[] = [];
  const dovecot = findOnPath('dovecot', probe, SBIN_DIRS);
  if (!dovecot) missing.push('dovecot');
  for (const protocol of ['imap', 'pop3', 'lmtp']) {
    // A missing protocol makes the harness's Dovecot refuse its config, long after a clear message could be given.
    if (!DOVECOT_LIBEXEC_DIRS.some((dir) => probe.isExecutable(join(dir, protocol)))) {
      missing.push(`dovecot ${protocol}`);
    }
  }
  if (!findOnPath('openssl', probe)) missing.push('openssl');
  return { missing, dovecot };
}

/**
 * What to do about the prerequisites.
 *
 * - `ready`: nothing is missing.
 * - `install`: run these commands (root, apt-get present).
 * - `refuse`: cannot install from here; `message` says what to run, the demo exits non-zero.
 *
 * @example
 * ```ts
 * const plan: InstallPlan = { kind: 'refuse', message: 'run: sudo apt-get …' };
 * ```
 */
export type InstallPlan =
  | { readonly kind: 'ready' }
  | { readonly kind: 'install'; readonly commands: readonly (readonly string[])[] }
  | { readonly kind: 'refuse'; readonly message: string };

/**
 * The two apt-get commands of the install step.
 *
 * @example
 * ```ts
 * aptCommands()[1]; // ['apt-get', 'install', '-y', '--no-install-recommends', 'dovecot-imapd', …]
 * ```
 */
export function aptCommands(): readonly (readonly string[])[] {
  return [
    ['apt-get', 'update'],
    ['apt-get', 'install', '-y', '--no-install-recommends', ...APT_PACKAGES],
  ];
}

/**
 * Decides the install step from what is missing, whether we are root and whether apt-get exists.
 *
 * @example
 * ```ts
 * planInstall({ missing: ['dovecot'], dovecot: null }, { isRoot: false, hasApt: true });
 * // { kind: 'refuse', message: '… sudo apt-get update && sudo apt-get install -y --no-install-recommends …' }
 * ```
 */
export function planInstall(found: Prerequisites, context: { isRoot: boolean; hasApt: boolean }): InstallPlan {
  if (found.missing.length === 0) return { kind: 'ready' };
  const what = found.missing.join(', ');
  if (!context.hasApt) {
    return {
      kind: 'refuse',
      message:
        `The demo needs Dovecot 2.3 (IMAP, POP3 and LMTP) and openssl; missing: ${what}.\n` +
        'This system has no apt-get: install them with its package manager, then run `npm run demo` again.',
    };
  }
  if (!context.isRoot) {
    const command = aptCommands()
      .map((c) => `sudo ${c.join(' ')}`)
      .join(' && ');
    return {
      kind: 'refuse',
      message:
        `The demo needs Dovecot 2.3 (IMAP, POP3 and LMTP) and openssl; missing: ${what}.\n` +
        `Installing them needs root. Run:\n\n    ${command}\n\nthen run \`npm run demo\` again.`,
    };
  }
  return { kind: 'install', commands: aptCommands() };
}

/**
 * The real machine as a {@link SystemProbe}.
 *
 * @example
 * ```ts
 * findPrerequisites(systemProbe());
 * ```
 */
export function systemProbe(): SystemProbe {
  return {
    isExecutable(path) {
      try {
        accessSync(path, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
    path: process.env.PATH ?? '',
    isRoot: process.getuid?.() === 0,
  };
}

/**
 * Makes sure Dovecot and openssl are there: checks, installs with apt-get when root, or explains what to run.
 * Resolves the directory of `dovecot`, which must be on the PATH for the harness (Debian puts it in /usr/sbin).
 * Throws {@link PrerequisiteError} when the demo cannot go on.
 *
 * @example
 * ```ts
 * const { dovecot } = ensurePrerequisites((line) => console.log(line));
 * ```
 */
export function ensurePrerequisites(say: (line: string) => void, probe: SystemProbe = systemProbe()): Prerequisites {
  const found = findPrerequisites(probe);
  const hasApt = findOnPath('apt-get', probe, SBIN_DIRS) !== null;
  const plan = planInstall(found, { isRoot: probe.isRoot, hasApt });
  if (plan.kind === 'ready') return found;
  if (plan.kind === 'refuse') throw new PrerequisiteError(plan.message);
  say(`Missing: ${found.missing.join(', ')}. Installing Debian's packages (as root):`);
  for (const command of plan.commands) {
    say(`  $ ${command.join(' ')}`);
    const result = spawnSync(command[0]!, command.slice(1), {
      stdio: ['ignore', 'inherit', 'inherit'],
      // Debian's maintainer scripts must not stop to ask questions in a demo.
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (result.status !== 0) {
      throw new PrerequisiteError(
        `\`${command.join(' ')}\` failed (${result.error?.message ?? `exit code ${result.status}`}); see its output above.`,
      );
    }
  }
  const after = findPrerequisites(probe);
  if (after.missing.length > 0) {
    throw new PrerequisiteError(`Still missing after the install: ${after.missing.join(', ')}.`);
  }
  return after;
}

/**
 * The demo cannot run on this machine as it is; the message says what to do.
 *
 * @example
 * ```ts
 * try { ensurePrerequisites(say); } catch (e) { if (e instanceof PrerequisiteError) process.exitCode = 2; }
 * ```
 */
export class PrerequisiteError extends Error {
  override readonly name = 'PrerequisiteError';
}
