/**
 * The status page's building blocks (issue 6, item 5), without a server: the diagram is generated from the mailbox
 * machine with the current state marked; the page's Content-Security-Policy admits exactly its inline style and
 * script; the recent events keep only what the page may show (subject and sender, never bodies, headers, Message-IDs
 * or a handler's free text); the status entry merges the live actor view with the journal.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mailboxMachine } from '../../../machines/mailbox.machine.js';
import { machineEdges } from '../../../runtime/diagram.js';
import { PAGE_CSP, statusPageHtml } from '../../../runtime/http/page.js';
import { RecentEvents, summarizeEvent } from '../../../runtime/http/recent-events.js';
import { stateDiagramSvg } from '../../../runtime/http/state-diagram-svg.js';
import { buildStatus } from '../../../runtime/http/status.js';
import type { StoredEvent } from '../../../runtime/journal/events.js';

describe('stateDiagramSvg', () => {
  const svg = stateDiagramSvg(mailboxMachine, { current: 'backoff', label: 'support' });

  it('draws every state of the machine and marks the current one', () => {
    for (const state of Object.keys(mailboxMachine.root.states)) expect(svg).toContain(`data-state="${state}"`);
    expect(svg).toMatch(/class="sd-state sd-backoff current" data-state="backoff"/);
    expect(svg.match(/ current"/g)).toHaveLength(1);
    expect(svg).toContain('aria-label="State diagram of mailbox support; current state: backoff"');
  });

  it('draws the edges of machineEdges except STOP, which the caption names', () => {
    const drawn = machineEdges(mailboxMachine).filter((e) => e.labels.some((l) => l !== 'STOP'));
    for (const edge of drawn) expect(svg).toContain(`<title>${edge.source} → ${edge.target}:`);
    expect(svg).not.toContain('<title>polling → stopped');
    expect(svg).toContain('STOP leads from every state to stopped');
  });
});

describe('status page HTML', () => {
  const html = statusPageHtml();

  it('allows exactly its inline style and script by hash, and nothing from elsewhere', () => {
    const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
    const style = /<style>([\s\S]*)<\/style>/.exec(html)![1]!;
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    expect(PAGE_CSP).toContain(`script-src ${hash(script)}`);
    expect(PAGE_CSP).toContain(`style-src ${hash(style)}`);
    expect(PAGE_CSP).toContain("default-src 'none'");
    expect(PAGE_CSP).toContain("connect-src 'self'");
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('has a heading, a language and a live region for the overall health', () => {
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<h1>');
    expect(html).toMatch(/id="overall"[^>]*role="status"[^>]*aria-live="polite"/);
  });
});

let position = 0;
function stored<E extends object>(event: E): StoredEvent {
  position++;
  return { ...event, position, version: position } as unknown as StoredEvent;
}

describe('recent events', () => {
  const base = { mailboxId: 'support', key: 'imap:INBOX:1:7', messageId: '<secret-id@example.test>' };

  it('keeps subject and sender of a discovered message and nothing else from the mail', () => {
    const discovered = summarizeEvent(
      stored({ type: 'message.discovered', ...base, at: 1, subject: 'Order 42', from: 'ada@example.test' }),
    );
    expect(discovered).toEqual({
      position: expect.any(Number),
      at: 1,
      type: 'message.discovered',
      key: 'imap:INBOX:1:7',
      subject: 'Order 42',
      from: 'ada@example.test',
      text: 'discovered',
    });
  });

  it('shows a failure by its code, never the free text a handler wrote', () => {
    const failed = summarizeEvent(
      stored({
        type: 'handler.failed',
        ...base,
        at: 2,
        rule: 'bounces',
        attempt: 1,
        code: 'HANDLER_EXIT',
        reason: 'exit code 3: Dear customer, your password is hunter2',
        retryable: true,
      }),
    );
    expect(failed.text).toBe('handler of bounces failed: HANDLER_EXIT');
    expect(JSON.stringify(failed)).not.toContain('hunter2');
    expect(JSON.stringify(failed)).not.toContain('secret-id');
  });

  it('names later events of a message by its subject, keeps the last N per mailbox in order, once each', () => {
    const recent = new RecentEvents(3);
    const events = [
      stored({ type: 'message.discovered', ...base, at: 1, subject: 'Order 42', from: 'ada@example.test' }),
      stored({ type: 'message.matched', ...base, at: 2, rules: ['orders'] }),
      stored({ type: 'handler.started', ...base, at: 3, rule: 'orders', attempt: 1 }),
      stored({ type: 'handler.succeeded', ...base, at: 4, rule: 'orders', attempt: 1 }),
      stored({ type: 'message.handled', ...base, at: 5 }),
    ];
    // The live stream and the journal's tail overlap and arrive out of order at start.
    for (const event of [events[3]!, events[4]!, events[0]!, events[1]!, events[2]!, events[3]!, events[4]!]) {
      recent.add(event);
    }
    const list = recent.list('support');
    expect(list.map((e) => e.text)).toEqual([
      'handler of orders started (attempt 1)',
      'handler of orders succeeded',
      'handled',
    ]);
    expect(list.at(-1)).toMatchObject({ subject: 'Order 42', from: 'ada@example.test' });
    expect(recent.list('other')).toEqual([]);
  });
});

describe('buildStatus', () => {
  it('prefers the live actor view and takes counters and, for mailboxes not run here, the state from the journal', () => {
    const status = buildStatus(
      {
        config: {
          mailboxes: [
            { id: 'support', service: 'imap' },
            { id: 'remote', service: 'imap' },
          ],
        },
        states: () => [
          {
            mailboxId: 'support',
            state: 'polling',
            attempt: 0,
            everConnected: true,
            lastError: null,
            nextAttemptAt: null,
            connectedAt: 10,
            lastCheckAt: 20,
            stopReason: null,
          },
        ],
        journal: {
          mailboxes: {
            get: (id: string) =>
              ({
                mailboxId: id,
                state: id === 'remote' ? 'polling' : 'backoff',
                attempt: 0,
                lastError: { code: 'CONNECTION_LOST', message: 'gone', at: 5 },
                connectedAt: 10,
                lastConnectedAt: 10,
                nextAttemptAt: null,
                stopReason: null,
                version: 3,
                updatedAt: 10,
                counters: { attempts: 2, handled: 4, handlerFailed: 1, actionsFailed: 0, deadLettered: 0 },
              }) as never,
          },
        },
      },
      { now: 30, staleAfterMs: 1_000 },
    );
    const [support, remote] = status.mailboxes;
    expect(support).toMatchObject({ state: 'polling', running: true, lastError: null, lastCheckAt: 20 });
    expect(support!.counters).toMatchObject({ attempts: 2, handled: 4, failed: 1 });
    expect(support!.health).toEqual({ level: 'ok', reason: null });
    expect(remote).toMatchObject({ state: 'polling', running: false, health: { level: 'notRunning' } });
    expect(status.health.status).toBe('ok');
    expect(JSON.stringify(status)).not.toMatch(/password|server|user/);
  });
});
