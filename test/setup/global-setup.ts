/**
 * vitest global setup (issue 13.12): makes a fresh Debian machine ready for `npm test` — Dovecot and Chromium from
 * Debian's packages when root — or says in one line which tests cannot run and why, and hands that on to the test
 * files (`inject('unavailable')`), which skip those tests with the reason.
 *
 * @module
 */
import type { TestProject } from 'vitest/node';
import { ensureTestPrerequisites, type Unavailable } from '../../scripts/harness/prerequisites.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Why tests needing Dovecot or Chromium cannot run here (absent: they can). */
    unavailable: Unavailable;
  }
}

/**
 * Runs once before all test files.
 *
 * @example
 * ```ts
 * // vitest.config.ts: test: { globalSetup: ['./test/setup/global-setup.ts'] }
 * ```
 */
export default function setup(project: TestProject): void {
  project.provide(
    'unavailable',
    ensureTestPrerequisites((line) => process.stdout.write(`${line}\n`)),
  );
}
