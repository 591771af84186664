/**
 * How a test module says what it needs of the machine (issue 13.12), so that `npm test` skips — with the reason —
 * instead of failing with a stack trace where Dovecot or Chromium cannot be had. The harness and the Chromium
 * helper declare their need when imported; `test/setup/skip-unavailable.ts` reads the declarations per test file.
 * Outside vitest (scripts, benches) a declaration is just a set entry, without effect.
 *
 * @module
 */
import type { TestNeed } from './prerequisites.js';

const KEY = Symbol.for('mail-autopilot.test-needs');

/**
 * The needs declared by the modules of the test file being run.
 *
 * @example
 * ```ts
 * declaredTestNeeds().has('dovecot');
 * ```
 */
export function declaredTestNeeds(): Set<TestNeed> {
  const holder = globalThis as { [KEY]?: Set<TestNeed> };
  holder[KEY] ??= new Set();
  return holder[KEY];
}

/**
 * Declares that importing modules need `need` (called at the top of the harness and the Chromium helper).
 *
 * @example
 * ```ts
 * declareTestNeed('dovecot');
 * ```
 */
export function declareTestNeed(need: TestNeed): void {
  declaredTestNeeds().add(need);
}
