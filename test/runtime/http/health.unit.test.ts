/**
 * The health rules of /healthz (issue 6, item 5) on fake mailboxes and a fake clock: `stopped` fails (S9/S10),
 * `polling` without a successful check within `staleAfter` fails (the silent-death case), `backoff` and
 * `unlimitedRetry` are degraded but not failing (S8/S11 are normal operation), mailboxes not run here do not count.
 */
import { describe, expect, it } from 'vitest';
import { evaluateHealth, type HealthInput, mailboxHealth } from '../../../runtime/http/health.js';

const NOW = 1_900_000_000_000;
const STALE = 15 * 60_000;
const rules = { now: NOW, staleAfterMs: STALE };

function mailbox(overrides: Partial<HealthInput> = {}): HealthInput {
  return {
    mailboxId: 'support',
    state: 'polling',
    running: true,
    lastCheckAt: NOW - 1_000,
    connectedAt: NOW - 60_000,
    nextAttemptAt: null,
    stopReason: null,
    lastError: null,
    ...overrides,
  };
}

describe('mailboxHealth', () => {
  it('is ok for a polling mailbox that checked recently', () => {
    expect(mailboxHealth(mailbox(), rules)).toEqual({
      mailboxId: 'support',
      state: 'polling',
      level: 'ok',
      reason: null,
    });
  });

  it('fails for a polling mailbox whose last successful check is older than staleAfter (silent death)', () => {
    const health = mailboxHealth(mailbox({ lastCheckAt: NOW - STALE - 1 }), rules);
    expect(health.level).toBe('failing');
    expect(health.reason).toContain('mailbox support claims to be connected (polling)');
    expect(health.reason).toContain('staleAfter 900 s');
  });

  it('is degraded while the completeness check finds messages never examined (issue 15 point 4)', () => {
    const health = mailboxHealth(mailbox({ unexamined: 2 }), rules);
    expect(health.level).toBe('degraded');
    expect(health.reason).toMatch(/2 message\(s\) on the server that were never examined/);
    expect(mailboxHealth(mailbox({ unexamined: 0 }), rules).level).toBe('ok');
  });

  it('is still ok exactly at staleAfter', () => {
    expect(mailboxHealth(mailbox({ lastCheckAt: NOW - STALE }), rules).level).toBe('ok');
  });

  it('counts the connection as the first check, and fails without either', () => {
    expect(mailboxHealth(mailbox({ lastCheckAt: null, connectedAt: NOW - 5_000 }), rules).level).toBe('ok');
    expect(mailboxHealth(mailbox({ lastCheckAt: null, connectedAt: NOW - STALE - 5_000 }), rules).level).toBe(
      'failing',
    );
    expect(mailboxHealth(mailbox({ lastCheckAt: null, connectedAt: null }), rules).level).toBe('failing');
  });

  it('fails for a stopped mailbox and names the S9 give-up and the last error', () => {
    const health = mailboxHealth(
      mailbox({
        state: 'stopped',
        stopReason: 'gaveUp',
        lastError: { code: 'CONNECTION_REFUSED', message: 'connection refused' },
      }),
      rules,
    );
    expect(health.level).toBe('failing');
    expect(health.reason).toBe(
      'mailbox support is stopped: it gave up after the reconnect schedule (SPEC S9); last error CONNECTION_REFUSED: connection refused',
    );
  });

  it('fails for a mailbox the host stopped', () => {
    const health = mailboxHealth(mailbox({ state: 'stopped', stopReason: 'requested' }), rules);
    expect(health.level).toBe('failing');
    expect(health.reason).toContain('stopped by the host');
  });

  it('is degraded, not failing, in backoff and unlimitedRetry, with the next attempt', () => {
    const backoff = mailboxHealth(
      mailbox({ state: 'backoff', nextAttemptAt: NOW + 4_000, lastError: { code: 'CONNECTION_LOST', message: 'x' } }),
      rules,
    );
    expect(backoff.level).toBe('degraded');
    expect(backoff.reason).toContain('SPEC S8; next attempt in 4 s; last error CONNECTION_LOST');
    const hourly = mailboxHealth(mailbox({ state: 'unlimitedRetry', nextAttemptAt: NOW + 3_600_000 }), rules);
    expect(hourly.level).toBe('degraded');
    expect(hourly.reason).toContain('SPEC S11');
  });

  it('is ok while connecting', () => {
    expect(mailboxHealth(mailbox({ state: 'connecting', lastCheckAt: null, connectedAt: null }), rules).level).toBe(
      'ok',
    );
  });

  it('does not judge a mailbox this process does not run', () => {
    expect(mailboxHealth(mailbox({ running: false, state: 'stopped' }), rules)).toMatchObject({
      level: 'notRunning',
      reason: null,
    });
  });
});

describe('evaluateHealth', () => {
  it('is ok (200) when every mailbox is healthy', () => {
    const report = evaluateHealth([mailbox(), mailbox({ mailboxId: 'sales', state: 'connecting' })], rules);
    expect(report).toMatchObject({ status: 'ok', httpStatus: 200, reasons: [] });
  });

  it('is degraded (still 200) when a mailbox is in backoff', () => {
    const report = evaluateHealth([mailbox(), mailbox({ mailboxId: 'sales', state: 'backoff' })], rules);
    expect(report.status).toBe('degraded');
    expect(report.httpStatus).toBe(200);
    expect(report.reasons).toHaveLength(1);
  });

  it('fails (503) when any mailbox fails, failing reasons first', () => {
    const report = evaluateHealth(
      [
        mailbox({ mailboxId: 'sales', state: 'backoff' }),
        mailbox({ mailboxId: 'billing', lastCheckAt: NOW - STALE - 60_000 }),
        mailbox(),
      ],
      rules,
    );
    expect(report.status).toBe('failing');
    expect(report.httpStatus).toBe(503);
    expect(report.reasons[0]).toContain('mailbox billing claims to be connected');
    expect(report.reasons[1]).toContain('mailbox sales is reconnecting');
  });

  it('ignores mailboxes not run here', () => {
    const report = evaluateHealth(
      [mailbox(), mailbox({ mailboxId: 'elsewhere', running: false, state: 'stopped' })],
      rules,
    );
    expect(report.status).toBe('ok');
  });
});
