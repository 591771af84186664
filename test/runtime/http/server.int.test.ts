/**
 * The HTTP endpoint with a real autopilot (issue 6, items 5 and 8): a mailbox whose server refuses connections goes
 * to `backoff` and /healthz (degraded, 200) and /metrics (state, attempts, last error code) say so; a mailbox that
 * gives up by S9 (a shortened test-only schedule) makes /healthz fail with 503; a mailbox whose session connects
 * and then never reports a check fails /healthz once `staleAfter` has passed on the autopilot's clock (the
 * silent-death case), and recovers when a check comes in. The page, /api/status and the plain HTTP rules too.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DiscoverySink, MailService, MailSession } from '../../../adapters/contract.js';
import { type Autopilot, type AutopilotOptions, createAutopilot } from '../../../runtime/autopilot.js';
import { validateConfig } from '../../../runtime/config/load.js';
import { type HttpServer, startHttpServer } from '../../../runtime/http/server.js';
import { MemoryJournalStore } from '../../../runtime/journal/memory-store.js';
import type { RuntimeClock } from '../../../runtime/mailbox-runner.js';
import { freePorts } from '../../../scripts/harness/free-ports.js';
import { parseExposition, sampleValue } from './exposition.js';

const dir = mkdtempSync(join(tmpdir(), 'http-int-'));
const running: { autopilot: Autopilot; server: HttpServer }[] = [];

afterEach(async () => {
  for (const { autopilot, server } of running.splice(0)) {
    await server.stop();
    await autopilot.stop({ deadlineMs: 1_000 });
  }
});

async function eventually<T>(read: () => Promise<T | undefined | false>, what: string, tries = 200): Promise<T> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      const value = await read();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never happened: ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

function config(mailbox: Record<string, unknown>, staleAfter = '15m') {
  return validateConfig(
    {
      http: { enabled: true, port: 0, staleAfter },
      mailboxes: [{ user: 'watch@example.test', password: 'pw-never-shown', ...mailbox }],
    },
    { baseDir: dir, env: {}, platform: 'linux' },
  );
}

async function start(
  mailbox: Record<string, unknown>,
  options: AutopilotOptions & { staleAfter?: string; now?: () => number } = {},
) {
  const resolved = config(mailbox, options.staleAfter);
  const autopilot = createAutopilot(resolved, { journalStore: new MemoryJournalStore(), ...options });
  await autopilot.start();
  const server = await startHttpServer(autopilot, resolved.http, { now: options.now });
  running.push({ autopilot, server });
  return { autopilot, server };
}

async function get(server: HttpServer, path: string, init?: RequestInit) {
  const response = await fetch(new URL(path, server.url), init);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

async function closedPort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

describe('a mailbox whose server refuses connections (backoff)', () => {
  it('is degraded in /healthz (200) and shows backoff, attempts and CONNECTION_REFUSED in /metrics', async () => {
    const { server } = await start({ id: 'refused', server: `imaps://127.0.0.1:${await closedPort()}` });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    const health = await eventually(async () => {
      const r = await get(server, '/healthz');
      const body = JSON.parse(r.text);
      return body.mailboxes[0].state === 'backoff' && { status: r.status, body };
    }, 'healthz shows backoff');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.mailboxes[0]).toMatchObject({ mailbox: 'refused', state: 'backoff', health: 'degraded' });
    expect(health.body.reasons[0]).toContain('mailbox refused is reconnecting');
    expect(health.body.reasons[0]).toContain('CONNECTION_REFUSED');

    const metrics = await get(server, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const samples = parseExposition(metrics.text);
    const mailbox = { mailbox: 'refused' };
    expect(sampleValue(samples, 'mail_autopilot_mailbox_state', { ...mailbox, state: 'backoff' })).toBe(1);
    expect(sampleValue(samples, 'mail_autopilot_mailbox_state', { ...mailbox, state: 'polling' })).toBe(0);
    expect(sampleValue(samples, 'mail_autopilot_mailbox_attempt', mailbox)).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'mail_autopilot_mailbox_connection_attempts_total', mailbox)).toBeGreaterThanOrEqual(1);
    expect(
      sampleValue(samples, 'mail_autopilot_mailbox_last_error_info', { ...mailbox, code: 'CONNECTION_REFUSED' }),
    ).toBe(1);
    expect(sampleValue(samples, 'mail_autopilot_mailbox_next_attempt_timestamp_seconds', mailbox)).toBeGreaterThan(0);

    const status = await get(server, '/api/status');
    expect(JSON.parse(status.text).mailboxes[0]).toMatchObject({
      mailboxId: 'refused',
      state: 'backoff',
      lastError: { code: 'CONNECTION_REFUSED' },
    });
    for (const body of [status.text, metrics.text, JSON.stringify(health.body)]) {
      expect(body).not.toContain('pw-never-shown');
      expect(body).not.toContain('watch@example.test');
    }
  });

  it('serves the page with its CSP, answers 404 for unknown paths and 405 for anything but GET/HEAD', async () => {
    const { server } = await start({ id: 'refused', server: `imaps://127.0.0.1:${await closedPort()}` });
    const page = await get(server, '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.text).toContain('<h1>mail-autopilot status</h1>');
    expect((await get(server, '/nothing-here')).status).toBe(404);
    const post = await get(server, '/healthz', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('a mailbox that gives up (S9, test-only short schedule)', () => {
  it('fails /healthz with 503 naming the mailbox and its last error', async () => {
    const { server } = await start(
      { id: 'doomed', server: `imaps://127.0.0.1:${await closedPort()}` },
      { machineInput: { schedule: [10, 10] } },
    );
    const health = await eventually(async () => {
      const r = await get(server, '/healthz');
      return r.status === 503 && JSON.parse(r.text);
    }, 'healthz fails');
    expect(health.status).toBe('failing');
    expect(health.mailboxes[0]).toMatchObject({ mailbox: 'doomed', state: 'stopped', health: 'failing' });
    expect(health.reasons).toEqual([
      expect.stringMatching(/^mailbox doomed is stopped: it gave up .*SPEC S9.*CONNECTION_REFUSED/),
    ]);
    const samples = parseExposition((await get(server, '/metrics')).text);
    expect(sampleValue(samples, 'mail_autopilot_mailbox_state', { mailbox: 'doomed', state: 'stopped' })).toBe(1);
    expect(sampleValue(samples, 'mail_autopilot_mailbox_connection_attempts_total', { mailbox: 'doomed' })).toBe(3);
  });
});

describe('a mailbox that claims to be connected but never completes a check (silent death)', () => {
  /** A service whose session connects, then watches without ever reporting a check until the test says so. */
  function silentService(sinks: DiscoverySink[]): AutopilotOptions['services'] {
    return (mailbox) => {
      const session: MailSession = {
        watch: (sink, signal) => {
          sinks.push(sink);
          return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        },
        fetchSource: () => Promise.reject(new Error('not used')),
        fetchBody: () => Promise.reject(new Error('not used')),
        markRead: async () => undefined,
        flag: async () => undefined,
        moveTo: async () => undefined,
        delete: async () => undefined,
        close: async () => undefined,
      };
      const service: MailService = {
        kind: 'imap',
        mailboxId: mailbox.id,
        capabilities: {
          unreadOnly: true,
          markRead: true,
          flag: true,
          move: true,
          delete: true,
          folders: true,
          rawMime: true,
          push: true,
          send: false,
        },
        connect: async () => session,
      };
      return service;
    };
  }

  it('fails /healthz with 503 naming the mailbox once staleAfter passes, and recovers on the next check', async () => {
    let skew = 0;
    const now = () => Date.now() + skew;
    // The autopilot's clock: real timers, a time that the test moves forward (lastCheckAt follows it).
    const clock: RuntimeClock = {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (id) => clearTimeout(id),
      now,
    };
    const sinks: DiscoverySink[] = [];
    const { server } = await start(
      // A short connectTimeout: it also bounds the first start's count (issue 15), which this service never finishes.
      { id: 'silent', server: 'imaps://mail.example.test', connectTimeout: '1s' },
      { services: silentService(sinks), clock, now, staleAfter: '30s' },
    );

    const fresh = await eventually(async () => {
      const r = await get(server, '/healthz');
      const body = JSON.parse(r.text);
      return body.mailboxes[0].state === 'polling' && { status: r.status, body };
    }, 'mailbox polling');
    expect(fresh.status).toBe(200);
    expect(fresh.body.status).toBe('ok');

    skew += 31_000;
    const stale = await get(server, '/healthz');
    expect(stale.status).toBe(503);
    const body = JSON.parse(stale.text);
    expect(body.mailboxes[0]).toMatchObject({ mailbox: 'silent', state: 'polling', health: 'failing' });
    expect(body.reasons[0]).toMatch(
      /^mailbox silent claims to be connected \(polling\) but completed no successful check for 3\d s \(staleAfter 30 s\)$/,
    );
    const samples = parseExposition((await get(server, '/metrics')).text);
    expect(
      sampleValue(samples, 'mail_autopilot_mailbox_last_check_age_seconds', { mailbox: 'silent' }),
    ).toBeGreaterThan(30);
    expect(sampleValue(samples, 'mail_autopilot_mailbox_health', { mailbox: 'silent', level: 'failing' })).toBe(1);

    // The last sink is the mailbox's own (the first one was the first start's count, given up).
    sinks.at(-1)!.checked?.();
    const recovered = await eventually(async () => {
      const r = await get(server, '/healthz');
      return r.status === 200 && JSON.parse(r.text);
    }, 'healthz recovers after a check');
    expect(recovered.status).toBe('ok');
  });
});
