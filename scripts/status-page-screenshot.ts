/**
 * Regenerates docs/status-page.png (docs/status-page.md): starts the test Dovecot of `scripts/harness/`, runs an
 * autopilot with two mailboxes — `support` on that Dovecot with a handled, a dead-lettered and an unmatched
 * message, and `billing` pointing at a port where nothing listens (so it is in `backoff`) — opens the status page
 * in headless Chromium and saves a screenshot. Needs Dovecot and Debian's `chromium` (see docs/testing.md).
 *
 * Run with `npx tsx scripts/status-page-screenshot.ts [--out FILE]`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createAutopilot } from '../runtime/autopilot.js';
import { validateConfig } from '../runtime/config/load.js';
import { startHttpServer } from '../runtime/http/server.js';
import { MemoryJournalStore } from '../runtime/journal/memory-store.js';
import { launchChromium } from './harness/chromium.js';
import { freePorts } from './harness/free-ports.js';
import { startMailServers } from './harness/mail-servers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = resolve(values.out ?? join(root, 'docs/status-page.png'));

const servers = await startMailServers({ users: ['support', 'customer'], smtp: false });
const cleanups: (() => Promise<unknown>)[] = [() => servers.stop()];
try {
  const support = servers.user('support');
  for (const message of [
    { subject: 'Newsletter confirmation', from: 'customer@example.test', text: 'Yes, please.' },
    { subject: 'Undelivered Mail Returned to Sender', from: 'mailer-daemon@example.test', text: 'bounce' },
    { subject: 'Lunch on Friday?', from: 'customer@example.test', text: 'Hi!' },
  ]) {
    await servers.deliver(support.user, message);
  }
  const [closedPort] = await freePorts(1);
  const config = validateConfig(
    {
      http: { enabled: true, port: 0 },
      mailboxes: [
        {
          id: 'support',
          server: `imaps://127.0.0.1:${servers.ports.imaps}`,
          tlsCa: servers.caFile,
          user: support.user,
          password: support.password,
          handler: { retries: 0 },
          rules: [
            { name: 'optin', subject: { equals: 'Newsletter confirmation' }, actions: ['markRead'] },
            { name: 'bounces', subject: { startsWith: 'Undelivered' }, run: ['node', '-e', 'process.exit(3)'] },
          ],
        },
        {
          id: 'billing',
          server: `imaps://127.0.0.1:${closedPort}`,
          user: 'billing@example.test',
          password: 'not-shown',
        },
      ],
    },
    { baseDir: mkdtempSync(join(tmpdir(), 'status-page-shot-')), env: {}, platform: 'linux' },
  );
  const autopilot = createAutopilot(config, { journalStore: new MemoryJournalStore() });
  await autopilot.start();
  cleanups.unshift(() => autopilot.stop({ deadlineMs: 1_000 }));
  const http = await startHttpServer(autopilot, config.http);
  cleanups.unshift(() => http.stop());
  const browser = await launchChromium({ viewport: { width: 1280, height: 900 } });
  cleanups.unshift(() => browser.close());

  const page = await browser.context.newPage();
  await page.goto(http.url);
  // A function, not a string: the page's CSP forbids eval, which string predicates need.
  await page.waitForFunction(
    () => {
      // Runs in the browser; the DOM types are not in this project's lib.
      // No named helpers inside: tsx would wrap them in its `__name`, which the page does not have.
      const doc = (globalThis as any).document;
      return (
        doc.querySelector('[data-mailbox="support"]')?.dataset.state === 'polling' &&
        doc.querySelector('[data-mailbox="support"] [data-field="counter-handled"]')?.textContent === '1' &&
        doc.querySelector('[data-mailbox="support"] [data-field="counter-deadLettered"]')?.textContent === '1' &&
        doc.querySelector('[data-mailbox="billing"]')?.dataset.state === 'backoff'
      );
    },
    undefined,
    { timeout: 60_000 },
  );
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
}
