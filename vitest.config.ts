import { defineConfig } from 'vitest/config';

/**
 * Tiers (see docs/testing.md): `*.unit.test.ts` and `*.model.test.ts` are pure and use simulated clocks;
 * `*.int.test.ts` start real servers through the harness in `scripts/harness/`; `*.e2e.test.ts` run the CLI.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/summary-reporter.ts'],
    // Issue 13.12: installs Dovecot and Chromium from Debian's packages when missing (as root), or skips the tests
    // that need them with the reason (test/setup/).
    globalSetup: ['./test/setup/global-setup.ts'],
    setupFiles: ['./test/setup/skip-unavailable.ts'],
  },
});
