/**
 * Starts Debian's Chromium (`apt-get install chromium`; `npm test`'s global setup installs it as root) headless through playwright-core,
 * with a new empty profile and everything that would reach the network switched off. Used by the status-page test
 * and `scripts/status-page-screenshot.ts`.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { declareTestNeed } from './needs.js';
import { CHROMIUM_BINARY } from './prerequisites.js';

// Issue 13.12: a test file that launches Chromium is skipped, with the reason, where Chromium cannot be had.
declareTestNeed('chromium');

/**
 * Where Debian's package puts the browser.
 *
 * @example
 * ```ts
 * if (!existsSync(CHROMIUM_PATH)) console.error('apt-get install -y chromium');
 * ```
 */
export const CHROMIUM_PATH = CHROMIUM_BINARY;

/**
 * A running browser with its own profile; `close()` ends it and removes the profile.
 *
 * @example
 * ```ts
 * const browser: Chromium = await launchChromium();
 * ```
 */
export interface Chromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches headless Chromium with a fresh user-data-dir (Playwright passes it as `--user-data-dir`).
 *
 * @example
 * ```ts
 * const browser = await launchChromium();
 * const page = await browser.context.newPage();
 * await browser.close();
 * ```
 */
export async function launchChromium(
  options: { viewport?: { width: number; height: number } } = {},
): Promise<Chromium> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: install it with "apt-get install -y chromium" (.ci/run does)`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport: options.viewport ?? { width: 1200, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
