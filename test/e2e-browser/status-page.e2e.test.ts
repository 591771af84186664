/**
 * The status page in headless Chromium (issue 6, items 5 and 8): a mailbox on the harness Dovecot shows `polling`
 * on its state diagram with its handled message; Dovecot is stopped and the card goes to `backoff` with the
 * CONNECTION_LOST error and a countdown; Dovecot comes back and the card returns to `polling` — all without a
 * reload (Server-Sent Events). The page never shows the message body or the password, and raises no error (a
 * Content-Security-Policy violation would be one).
 */
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Autopilot, createAutopilot } from '../../runtime/autopilot.js';
import { validateConfig } from '../../runtime/config/load.js';
import { type HttpServer, startHttpServer } from '../../runtime/http/server.js';
import { MemoryJournalStore } from '../../runtime/journal/memory-store.js';
import { type Chromium, launchChromium } from '../../scripts/harness/chromium.js';
import { type MailServers, startMailServers } from '../../scripts/harness/mail-servers.js';

const BODY = 'Please confirm my subscription, my customer number is 4711-secret';

let servers: MailServers;
let autopilot: Autopilot;
let http: HttpServer;
let browser: Chromium;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  servers = await startMailServers({ users: ['watch', 'customer'], smtp: false });
  const watch = servers.user('watch');
  await servers.deliver(watch.user, {
    subject: 'Newsletter confirmation',
    from: 'customer@example.test',
    text: BODY,
  });
  const config = validateConfig(
    {
      http: { enabled: true, port: 0 },
      mailboxes: [
        {
          id: 'watch',
          server: `imaps://127.0.0.1:${servers.ports.imaps}`,
          tlsCa: servers.caFile,
          user: watch.user,
          password: watch.password,
          rules: [{ name: 'optin', subject: { equals: 'Newsletter confirmation' }, actions: ['markRead'] }],
        },
      ],
    },
    { baseDir: mkdtempSync(join(tmpdir(), 'status-page-')), env: {}, platform: 'linux' },
  );
  autopilot = createAutopilot(config, { journalStore: new MemoryJournalStore() });
  await autopilot.start();
  http = await startHttpServer(autopilot, config.http);
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await http?.stop();
  await autopilot?.stop({ deadlineMs: 1_000 });
  await servers?.stop();
});

const card = '[data-mailbox="watch"]';

async function text(selector: string): Promise<string> {
  return (await page.locator(selector).textContent()) ?? '';
}

interface CardView {
  state: string;
  diagram: string | null;
  ariaLabel: string | null;
  health: string;
  error: string;
  next: string;
  events: string;
}

/**
 * Waits until the card is in `state` and reads it in one go in the page: the page's script updates a card in one
 * step, so the values are consistent (a 1 s backoff may end between two separate reads). A function, not a string:
 * the page's CSP forbids eval, which string predicates need.
 */
async function cardIn(state: string, timeout: number): Promise<CardView> {
  const handle = await page.waitForFunction(
    ([selector, wanted]) => {
      // Runs in the browser; the DOM types are not in this project's lib.
      const found = (globalThis as any).document.querySelector(selector);
      if (!found || found.dataset.state !== wanted) return null;
      const field = (name: string): string => found.querySelector(`[data-field="${name}"]`)?.textContent ?? '';
      return {
        state: field('state'),
        diagram: found.querySelector('.sd-state.current')?.getAttribute('data-state') ?? null,
        ariaLabel: found.querySelector('svg.state-diagram')?.getAttribute('aria-label') ?? null,
        health: field('health'),
        error: field('error'),
        next: field('next'),
        events: field('events'),
      };
    },
    [card, state] as const,
    { timeout },
  );
  return (await handle.jsonValue()) as CardView;
}

describe('status page', () => {
  it('shows the state change polling → backoff → polling live, on the diagram, without a reload', async () => {
    await page.goto(http.url);
    const polling = await cardIn('polling', 30_000);
    expect(polling).toMatchObject({ state: 'polling', diagram: 'polling', health: 'Healthy' });
    await page.evaluate('window.__sameDocument = true');

    // The message is handled and named by its subject and sender; its body never reaches the page.
    await page.waitForFunction(
      (selector) => (globalThis as any).document.querySelector(selector)?.textContent === '1',
      `${card} [data-field="counter-handled"]`,
      { timeout: 30_000 },
    );
    const events = await text(`${card} [data-field="events"]`);
    expect(events).toContain('“Newsletter confirmation” from customer@example.test');
    expect(events).toContain('handled');

    await servers.stopDovecot();
    const backoff = await cardIn('backoff', 30_000);
    expect(backoff.diagram).toBe('backoff');
    expect(backoff.ariaLabel).toContain('current state: backoff');
    expect(backoff.error).toMatch(/^(CONNECTION_LOST|CONNECTION_REFUSED) /);
    expect(backoff.next).toMatch(/^in \d+ s$/);
    expect(backoff.health).toMatch(/^Degraded: mailbox watch is reconnecting/);
    expect(backoff.events).toContain('connection lost');

    await servers.startDovecot();
    const back = await cardIn('polling', 60_000);
    expect(back).toMatchObject({ diagram: 'polling', health: 'Healthy', next: '—' });
    expect(await page.evaluate('window.__sameDocument')).toBe(true);

    const shot = join(mkdtempSync(join(tmpdir(), 'status-page-shot-')), 'status-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(existsSync(shot) && statSync(shot).size).toBeGreaterThan(10_000);
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');

    const content = await page.content();
    expect(content).not.toContain('4711-secret');
    expect(content).not.toContain(servers.user('watch').password);
    expect(problems).toEqual([]);
  });
});
