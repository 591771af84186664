/**
 * The canary end to end (issue 15 point 5) on a real Dovecot and the harness SMTP relay (which delivers over LMTP):
 * a canary sent through the mailbox's smtp is discovered, its latency recorded, removed from the server, and never
 * journaled as a message; a canary the relay drops (an address outside the harness domains is only recorded) is
 * missed, counted and degrades health.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Autopilot, createAutopilot } from '../../../runtime/autopilot.js';
import { validateConfig } from '../../../runtime/config/load.js';
import { renderMetrics } from '../../../runtime/http/metrics.js';
import { buildStatus } from '../../../runtime/http/status.js';
import type { StoredEvent } from '../../../runtime/journal/events.js';
import { MemoryJournalStore } from '../../../runtime/journal/memory-store.js';
import { type MailServers, startMailServers } from '../../../scripts/harness/mail-servers.js';
import { connectImap } from '../../support/imap-folder.js';

let servers: MailServers;
let autopilot: Autopilot;
const events: StoredEvent[] = [];

async function eventually<T>(read: () => T | undefined | Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await read();
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never happened: ${what}`);
}

async function subjectsIn(name: string): Promise<string[]> {
  const client = await connectImap(servers, name);
  try {
    await client.mailboxOpen('INBOX');
    const subjects: string[] = [];
    for await (const m of client.fetch('1:*', { envelope: true })) subjects.push(m.envelope?.subject ?? '');
    return subjects;
  } catch {
    return [];
  } finally {
    await client.logout().catch(() => undefined);
  }
}

const status = () => buildStatus(autopilot, { now: Date.now(), staleAfterMs: 900_000 });

beforeAll(async () => {
  servers = await startMailServers({ users: ['alive', 'lost', 'popped'] });
  const mailbox = (name: string, canary: object, service: 'imap' | 'pop3' = 'imap') => {
    const user = servers.user(name);
    return {
      id: name,
      service,
      server: `${service}://127.0.0.1:${servers.ports[service]}`,
      user: user.user,
      password: user.password,
      tlsCa: servers.caFile,
      pollInterval: '1s',
      smtp: { server: `smtp://127.0.0.1:${servers.ports.smtp}`, tlsCa: servers.caFile },
      canary,
      // A rule that would match a canary if rules ever saw one.
      rules: [{ name: 'everything', subject: { contains: 'canary' }, run: ['node', '-e', 'process.exit(0)'] }],
    };
  };
  const config = validateConfig(
    {
      mailboxes: [
        mailbox('alive', { every: '1s', within: '20s' }),
        // The relay only records mail for other domains: this canary never arrives.
        mailbox('lost', { every: '1s', within: '300ms', to: 'nobody@elsewhere.test' }),
        mailbox('popped', { every: '1s', within: '20s' }, 'pop3'),
      ],
    },
    { baseDir: process.cwd(), platform: 'linux' },
  );
  autopilot = createAutopilot(config, { journalStore: new MemoryJournalStore() });
  autopilot.events$.subscribe((event) => events.push(event));
  await autopilot.start();
});

afterAll(async () => {
  await autopilot?.stop({ deadlineMs: 5_000 });
  await servers?.stop();
});

describe('canary (issue 15 point 5)', () => {
  it('records the latency of an arrived canary, counts a dropped one as missed (health degraded), removes canaries and never shows them to rules', async () => {
    const alive = await eventually(() => {
      const entry = status().mailboxes.find((m) => m.mailboxId === 'alive');
      return entry?.canary?.latencySeconds != null ? entry : undefined;
    }, 'a canary latency for alive');
    expect(alive.canary?.latencySeconds).toBeGreaterThanOrEqual(0);
    expect(alive.canary?.missedTotal).toBe(0);
    expect(alive.health.level).toBe('ok');
    // POP3 too: discovered in a cycle, taken away, DELE at the cycle's QUIT.
    const popped = await eventually(() => {
      const entry = status().mailboxes.find((m) => m.mailboxId === 'popped');
      return entry?.canary?.latencySeconds != null ? entry : undefined;
    }, 'a canary latency for popped');
    expect(popped.canary?.missedTotal).toBe(0);
    const lost = await eventually(() => {
      const entry = status().mailboxes.find((m) => m.mailboxId === 'lost');
      return (entry?.canary?.missedTotal ?? 0) > 0 ? entry : undefined;
    }, 'a missed canary for lost');
    expect(lost.canary?.latencySeconds).toBeNull();
    expect(lost.health.level).toBe('degraded');
    expect(lost.health.reason).toMatch(/missed its canary/);
    expect(status().health.status).toBe('degraded');
    const metrics = renderMetrics(status(), []);
    expect(metrics).toMatch(/mail_autopilot_canary_latency_seconds\{mailbox="alive"\} \d/);
    expect(metrics).toMatch(/mail_autopilot_canary_missed_total\{mailbox="alive"\} 0/);
    expect(metrics).toMatch(/mail_autopilot_canary_missed_total\{mailbox="lost"\} [1-9]/);
    // The relay took the canaries: alive's into Dovecot over LMTP, lost's only recorded.
    expect(servers.smtpReceived.some((m) => m.rcptTo.includes(servers.user('alive').user))).toBe(true);
    expect(servers.smtpReceived.some((m) => m.rcptTo.includes('nobody@elsewhere.test'))).toBe(true);
    await autopilot.stop({ deadlineMs: 5_000 });
    // Removed on discovery (the one sent just before the stop may still be on its way: wait for the removals).
    for (const name of ['alive', 'popped']) {
      const sent = servers.smtpReceived.filter((m) => m.rcptTo.includes(servers.user(name).user)).length;
      const left = await eventually(async () => {
        const found = (await subjectsIn(name)).filter((subject) => subject.includes('canary')).length;
        return found <= 1 ? found : undefined;
      }, `canaries removed from ${name}`);
      expect(left).toBeLessThan(sent);
    }
    // Never journaled as a message: no discovery, no match, nothing handled.
    expect(events.filter((e) => e.type.startsWith('message.'))).toEqual([]);
  });
});
