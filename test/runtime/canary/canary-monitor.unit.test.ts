/**
 * The canary monitor on a simulated clock (issue 15 point 5): what it sends, how an arrival and a miss change what
 * the status shows, and that a refused send counts as missed. The real servers are in canary.int.test.ts.
 */

import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { DiscoveredMessage, MailSession, SmtpMessage } from '../../../adapters/contract.js';
import { CanaryMonitor } from '../../../runtime/canary/canary-monitor.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function monitor(send: (mail: SmtpMessage) => Promise<unknown>) {
  const clock = new SimulatedClock();
  const warnings: string[] = [];
  const canary = new CanaryMonitor({
    mailboxId: 'support',
    every: 10_000,
    within: 2_000,
    from: 'support@example.test',
    to: 'support@example.test',
    send,
    logger: { ...quiet, warn: (fields, msg) => warnings.push(`${msg} ${JSON.stringify(fields)}`) },
    now: () => clock.now(),
    clock,
  });
  return { canary, clock, warnings };
}

const arrived = (mail: SmtpMessage) =>
  ({
    headers: new Map([['x-mail-autopilot-canary', [mail.headers!['X-Mail-Autopilot-Canary']!]]]),
  }) as unknown as DiscoveredMessage;

describe('CanaryMonitor', () => {
  it('sends a marked message every `every`, records the latency of its arrival and removes it', async () => {
    const sent: SmtpMessage[] = [];
    const { canary, clock } = monitor(async (mail) => sent.push(mail));
    canary.start();
    clock.increment(10_000);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.subject).toMatch(/^\[mail-autopilot canary\] support\//);
    const deleted: DiscoveredMessage[] = [];
    const session = { delete: async (m: DiscoveredMessage) => void deleted.push(m) } as unknown as MailSession;
    clock.increment(1_500);
    const message = arrived(sent[0]!);
    await canary.divert(message, session);
    expect(deleted).toEqual([message]);
    expect(canary.view).toEqual({ latencySeconds: 1.5, missedTotal: 0, missed: null });
    // An unmarked message is not the canary's.
    expect(canary.divert({ headers: new Map() } as unknown as DiscoveredMessage, session)).toBeUndefined();
    canary.stop();
  });

  it('counts a canary not discovered within `within`, and one the SMTP server refused, as missed', async () => {
    let refuse = false;
    const { canary, clock, warnings } = monitor(async () => {
      if (refuse) throw Object.assign(new Error('550 no'), { code: 'RECIPIENT_REJECTED' });
    });
    canary.start();
    clock.increment(10_000);
    clock.increment(2_000);
    expect(canary.view.missedTotal).toBe(1);
    expect(canary.view.missed?.reason).toMatch(/not discovered within 2000 ms/);
    refuse = true;
    clock.increment(8_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(canary.view.missedTotal).toBe(2);
    expect(canary.view.missed?.reason).toMatch(/could not be sent: RECIPIENT_REJECTED/);
    expect(warnings.every((w) => w.includes('"mailboxId":"support"'))).toBe(true);
    canary.stop();
  });
});
