/**
 * What the test suite needs of the machine beyond `npm ci` (issue 13.12): Dovecot 2.3 with openssl for every test
 * that starts mail servers (`scripts/harness/`), Chromium for the status-page test. The decision (install, or say why
 * not) is pure and unit-tested; {@link ensureTestPrerequisites} carries it out for vitest's global setup.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { delimiter, dirname } from 'node:path';
import { APT_PACKAGES, findPrerequisites, type SystemProbe, systemProbe } from '../demo/install.js';

/**
 * A thing some tests need: `dovecot` (the mail-server harness) or `chromium` (the browser test).
 *
 * @example
 * ```ts
 * const need: TestNeed = 'dovecot';
 * ```
 */
export type TestNeed = 'dovecot' | 'chromium';

/**
 * Why the tests that need a thing cannot run, by thing (absent: it is there). Given to the test files through
 * vitest's `provide`/`inject`.
 *
 * @example
 * ```ts
 * const unavailable: Unavailable = { chromium: 'Chromium (/usr/bin/chromium) is missing and …' };
 * ```
 */
export type Unavailable = Partial<Record<TestNeed, string>>;

/** Where Debian's chromium package puts the browser (scripts/harness/chromium.ts launches it from there). */
export const CHROMIUM_BINARY = '/usr/bin/chromium';

const PACKAGES: Record<TestNeed, readonly string[]> = { dovecot: APT_PACKAGES, chromium: ['chromium'] };
const WHO: Record<TestNeed, string> = {
  dovecot: 'every test that starts mail servers (scripts/harness)',
  chromium: 'the status-page browser test (test/e2e-browser)',
};
const WHAT: Record<TestNeed, string> = {
  dovecot: 'Dovecot 2.3 (IMAP, POP3, LMTP) and openssl',
  chromium: `Chromium (${CHROMIUM_BINARY})`,
};

/**
 * What is missing on the machine, by need, with the details of the demo's probe (e.g. `dovecot lmtp`).
 *
 * @example
 * ```ts
 * findMissing(systemProbe()); // { dovecot: ['dovecot lmtp'] }
 * ```
 */
export function findMissing(probe: SystemProbe): Partial<Record<TestNeed, readonly string[]>> {
  const missing: Partial<Record<TestNeed, readonly string[]>> = {};
  const dovecot = findPrerequisites(probe).missing;
  if (dovecot.length > 0) missing.dovecot = dovecot;
  if (!probe.isExecutable(CHROMIUM_BINARY)) missing.chromium = ['chromium'];
  return missing;
}

/**
 * The global setup's plan: nothing, install these packages (root with apt-get), or skip with these reasons.
 *
 * @example
 * ```ts
 * planTestSetup({ chromium: ['chromium'] }, { isRoot: false, hasApt: true });
 * // { kind: 'skip', unavailable: { chromium: 'Chromium (/usr/bin/chromium) is missing; installing it needs root …' } }
 * ```
 */
export function planTestSetup(
  missing: Partial<Record<TestNeed, readonly string[]>>,
  context: { readonly isRoot: boolean; readonly hasApt: boolean },
):
  | { readonly kind: 'ready' }
  | { readonly kind: 'install'; readonly needs: readonly TestNeed[]; readonly packages: readonly string[] }
  | { readonly kind: 'skip'; readonly unavailable: Unavailable } {
  const needs = (Object.keys(missing) as TestNeed[]).sort();
  if (needs.length === 0) return { kind: 'ready' };
  const packages = needs.flatMap((need) => PACKAGES[need]);
  if (context.isRoot && context.hasApt) return { kind: 'install', needs, packages };
  const how = context.hasApt
    ? `installing it needs root: sudo apt-get install -y --no-install-recommends ${packages.join(' ')}`
    : 'this system has no apt-get: install it with its package manager';
  return { kind: 'skip', unavailable: unavailableFor(needs, how) };
}

function unavailableFor(needs: readonly TestNeed[], why: string): Unavailable {
  const unavailable: Unavailable = {};
  for (const need of needs) unavailable[need] = `${WHAT[need]} missing (${why})`;
  return unavailable;
}

/**
 * The one line that says which tests cannot run and why.
 *
 * @example
 * ```ts
 * skipLine({ chromium: 'Chromium (/usr/bin/chromium) missing (…)' });
 * // 'test setup: skipping the status-page browser test (test/e2e-browser): Chromium (/usr/bin/chromium) missing (…)'
 * ```
 */
export function skipLine(unavailable: Unavailable): string {
  const needs = (Object.keys(unavailable) as TestNeed[]).sort();
  return `test setup: skipping ${needs.map((need) => WHO[need]).join(' and ')}: ${needs.map((need) => unavailable[need]).join('; ')}`;
}

/**
 * Makes the machine ready for the whole suite where it can, as the demo's install step does: installs Debian's
 * packages with apt-get when root, quietly, saying in one line what it does; otherwise says in one line per missing
 * thing which tests cannot run and why. Resolves what stays unavailable.
 *
 * @example
 * ```ts
 * const unavailable = ensureTestPrerequisites((line) => console.log(line));
 * ```
 */
export function ensureTestPrerequisites(say: (line: string) => void, probe: SystemProbe = systemProbe()): Unavailable {
  const hasApt = probe.isExecutable('/usr/bin/apt-get') || probe.isExecutable('/bin/apt-get');
  const plan = planTestSetup(findMissing(probe), { isRoot: probe.isRoot, hasApt });
  if (plan.kind === 'ready') return withDovecotOnPath(probe);
  if (plan.kind === 'skip') {
    say(skipLine(plan.unavailable));
    return plan.unavailable;
  }
  say(
    `test setup: ${plan.needs.map((need) => WHAT[need]).join(' and ')} missing; installing Debian's packages ${plan.packages.join(' ')} (apt-get, as root)`,
  );
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const command of [
    ['apt-get', 'update', '-qq'],
    ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...plan.packages],
  ]) {
    const result = spawnSync(command[0]!, command.slice(1), { env, encoding: 'utf8' });
    if (result.status !== 0) {
      const detail = `${result.stderr ?? ''}${result.error?.message ?? ''}`.trim().split('\n').slice(-3).join(' | ');
      const unavailable = unavailableFor(
        plan.needs,
        `\`${command.join(' ')}\` failed: ${detail || `exit ${result.status}`}`,
      );
      say(skipLine(unavailable));
      return unavailable;
    }
  }
  const still = planTestSetup(findMissing(probe), { isRoot: false, hasApt: false });
  if (still.kind === 'skip') {
    const unavailable = unavailableFor(
      Object.keys(still.unavailable) as TestNeed[],
      'still missing after apt-get install',
    );
    say(skipLine(unavailable));
    return unavailable;
  }
  return withDovecotOnPath(probe);
}

/** Debian keeps `dovecot` in /usr/sbin, not on a normal user's PATH; the harness starts it by name. */
function withDovecotOnPath(probe: SystemProbe): Unavailable {
  const found = findPrerequisites(probe).dovecot;
  const path = process.env.PATH ?? '';
  if (found && !path.split(delimiter).includes(dirname(found)))
    process.env.PATH = `${path}${delimiter}${dirname(found)}`;
  return {};
}
