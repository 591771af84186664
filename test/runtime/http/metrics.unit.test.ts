/**
 * /metrics rendering (issue 6, item 5) from fake mailboxes, a fake journal projection and a fake clock: the state
 * gauge, attempts, the journal's message counters, the handler-duration histogram, the age of the last check, the
 * next attempt and the last error code, in a text format a strict reader accepts (HELP/TYPE, label escaping).
 */
import { describe, expect, it } from 'vitest';
import { HandlerDurations } from '../../../runtime/http/handler-durations.js';
import { MAILBOX_STATES, renderMetrics } from '../../../runtime/http/metrics.js';
import { escapeLabelValue, formatValue, sampleLine } from '../../../runtime/http/prometheus.js';
import { type AutopilotView, buildStatus } from '../../../runtime/http/status.js';
import type { MailboxCounters, MailboxStatus } from '../../../runtime/journal/mailbox-projection.js';
import type { MailboxStateView } from '../../../runtime/mailbox-runner.js';
import { parseExposition, sampleValue } from './exposition.js';

const NOW = 1_900_000_000_000;

function counters(overrides: Partial<MailboxCounters> = {}): MailboxCounters {
  return {
    attempts: 0,
    connections: 0,
    connectionsLost: 0,
    discovered: 0,
    matched: 0,
    unmatched: 0,
    handlerRuns: 0,
    handlerSucceeded: 0,
    handlerFailed: 0,
    actionsDone: 0,
    actionsSkipped: 0,
    actionsFailed: 0,
    handled: 0,
    deadLettered: 0,
    retryRequested: 0,
    reidentified: 0,
    interrupted: 0,
    ...overrides,
  };
}

function journaled(mailboxId: string, c: Partial<MailboxCounters>): MailboxStatus {
  return {
    mailboxId,
    state: 'unknown',
    attempt: 0,
    examinedThrough: {},
    baseline: null,
    firstPass: null,
    lastError: null,
    connectedAt: null,
    lastConnectedAt: null,
    nextAttemptAt: null,
    stopReason: null,
    version: 1,
    updatedAt: NOW,
    counters: counters(c),
  };
}

const live: MailboxStateView[] = [
  {
    mailboxId: 'support',
    state: 'polling',
    attempt: 0,
    everConnected: true,
    lastError: null,
    nextAttemptAt: null,
    connectedAt: NOW - 120_000,
    lastCheckAt: NOW - 30_000,
    stopReason: null,
  },
  {
    mailboxId: 'sales',
    state: 'backoff',
    attempt: 3,
    everConnected: false,
    lastError: { code: 'CONNECTION_REFUSED', message: 'connection refused', retryable: true, at: NOW - 2_000 },
    nextAttemptAt: NOW + 4_000,
    connectedAt: null,
    lastCheckAt: null,
    stopReason: null,
  },
];

const journal = new Map([
  [
    'support',
    journaled('support', {
      attempts: 1,
      connections: 1,
      discovered: 7,
      handled: 5,
      handlerFailed: 2,
      actionsFailed: 1,
      deadLettered: 1,
      unmatched: 1,
    }),
  ],
  ['sales', journaled('sales', { attempts: 3 })],
]);

const autopilot: AutopilotView = {
  config: {
    mailboxes: [
      { id: 'support', service: 'imap' },
      { id: 'sales', service: 'pop3' },
    ],
  },
  states: () => live,
  journal: { mailboxes: journal },
};

function render(options: { owners?: Map<string, string | null> } = {}) {
  const durations = new HandlerDurations([0.1, 1, 10]);
  const handler = { mailboxId: 'support', key: 'imap:INBOX:1:1', messageId: null, rule: 'bounces' };
  durations.observe({ type: 'handler.started', ...handler, attempt: 1, at: NOW - 10_000 });
  durations.observe({ type: 'handler.succeeded', ...handler, attempt: 1, at: NOW - 9_950 }); // 0.05 s
  durations.observe({ type: 'handler.started', ...handler, key: 'k2', attempt: 1, at: NOW - 8_000 });
  durations.observe({ type: 'handler.succeeded', ...handler, key: 'k2', attempt: 1, at: NOW - 5_500 }); // 2.5 s
  durations.observe({ type: 'handler.started', ...handler, key: 'k3', attempt: 2, at: NOW - 4_000 });
  durations.observe({
    type: 'handler.failed',
    ...handler,
    key: 'k3',
    attempt: 2,
    at: NOW - 3_500,
    code: 'HANDLER_EXIT',
    reason: 'exit code 3',
    retryable: true,
  }); // 0.5 s
  const status = buildStatus(autopilot, { now: NOW, staleAfterMs: 900_000, owners: options.owners });
  return renderMetrics(status, durations.series());
}

describe('renderMetrics', () => {
  const text = render();
  const samples = parseExposition(text);

  it('writes a valid exposition with HELP and TYPE for every family', () => {
    expect(text).toContain('# TYPE mail_autopilot_mailbox_state gauge');
    expect(text).toContain('# TYPE mail_autopilot_messages_handled_total counter');
    expect(text).toContain('# TYPE mail_autopilot_handler_duration_seconds histogram');
    expect(samples.length).toBeGreaterThan(20);
  });

  it('sets the current state to 1 and every other state to 0', () => {
    for (const state of MAILBOX_STATES) {
      expect(sampleValue(samples, 'mail_autopilot_mailbox_state', { mailbox: 'sales', state })).toBe(
        state === 'backoff' ? 1 : 0,
      );
      expect(sampleValue(samples, 'mail_autopilot_mailbox_state', { mailbox: 'support', state })).toBe(
        state === 'polling' ? 1 : 0,
      );
    }
  });

  it('exports attempts and the journal counters', () => {
    expect(sampleValue(samples, 'mail_autopilot_mailbox_attempt', { mailbox: 'sales' })).toBe(3);
    expect(sampleValue(samples, 'mail_autopilot_mailbox_connection_attempts_total', { mailbox: 'sales' })).toBe(3);
    expect(sampleValue(samples, 'mail_autopilot_messages_discovered_total', { mailbox: 'support' })).toBe(7);
    expect(sampleValue(samples, 'mail_autopilot_messages_handled_total', { mailbox: 'support' })).toBe(5);
    expect(sampleValue(samples, 'mail_autopilot_messages_failed_total', { mailbox: 'support' })).toBe(3);
    expect(sampleValue(samples, 'mail_autopilot_messages_dead_lettered_total', { mailbox: 'support' })).toBe(1);
    expect(sampleValue(samples, 'mail_autopilot_messages_handled_total', { mailbox: 'sales' })).toBe(0);
  });

  it('exports the handler durations as a cumulative histogram per outcome', () => {
    const ok = { mailbox: 'support', outcome: 'succeeded' };
    expect(sampleValue(samples, 'mail_autopilot_handler_duration_seconds_bucket', { ...ok, le: '0.1' })).toBe(1);
    expect(sampleValue(samples, 'mail_autopilot_handler_duration_seconds_bucket', { ...ok, le: '1' })).toBe(1);
    expect(sampleValue(samples, 'mail_autopilot_handler_duration_seconds_bucket', { ...ok, le: '10' })).toBe(2);
    expect(sampleValue(samples, 'mail_autopilot_handler_duration_seconds_bucket', { ...ok, le: '+Inf' })).toBe(2);
    expect(sampleValue(samples, 'mail_autopilot_handler_duration_seconds_count', ok)).toBe(2);
    expect(sampleValue(samples, 'mail_autopilot_handler_duration_seconds_sum', ok)).toBeCloseTo(2.55, 6);
    const failed = { mailbox: 'support', outcome: 'failed' };
    expect(sampleValue(samples, 'mail_autopilot_handler_duration_seconds_bucket', { ...failed, le: '1' })).toBe(1);
    expect(sampleValue(samples, 'mail_autopilot_handler_duration_seconds_sum', failed)).toBeCloseTo(0.5, 6);
  });

  it('exports the seconds since the last successful check, only while connected', () => {
    expect(sampleValue(samples, 'mail_autopilot_mailbox_last_check_age_seconds', { mailbox: 'support' })).toBe(30);
    expect(sampleValue(samples, 'mail_autopilot_mailbox_last_check_age_seconds', { mailbox: 'sales' })).toBeUndefined();
  });

  it('exports the next attempt as a Unix timestamp and the last error code as a label', () => {
    expect(sampleValue(samples, 'mail_autopilot_mailbox_next_attempt_timestamp_seconds', { mailbox: 'sales' })).toBe(
      (NOW + 4_000) / 1000,
    );
    expect(
      sampleValue(samples, 'mail_autopilot_mailbox_last_error_info', { mailbox: 'sales', code: 'CONNECTION_REFUSED' }),
    ).toBe(1);
    expect(sampleValue(samples, 'mail_autopilot_mailbox_last_error_info', { mailbox: 'support' })).toBeUndefined();
  });

  it('exports the health verdict of each mailbox', () => {
    expect(sampleValue(samples, 'mail_autopilot_mailbox_health', { mailbox: 'sales', level: 'degraded' })).toBe(1);
    expect(sampleValue(samples, 'mail_autopilot_mailbox_health', { mailbox: 'support', level: 'ok' })).toBe(1);
  });

  it('escapes label values it takes from outside (an owner host name with quotes and a line feed)', () => {
    const withOwners = render({ owners: new Map([['support', 'web-"2"\\a\nb']]) });
    expect(withOwners).toContain('mail_autopilot_mailbox_owner_info{mailbox="support",host="web-\\"2\\"\\\\a\\nb"} 1');
    const parsed = parseExposition(withOwners);
    expect(sampleValue(parsed, 'mail_autopilot_mailbox_owner_info', { mailbox: 'support' })).toBe(1);
    expect(parsed.find((s) => s.name === 'mail_autopilot_mailbox_owner_info')?.labels.host).toBe('web-"2"\\a\nb');
  });
});

describe('text format helpers', () => {
  it('escapes backslash, quote and line feed in label values', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });
  it('formats special values', () => {
    expect(formatValue(Number.POSITIVE_INFINITY)).toBe('+Inf');
    expect(formatValue(Number.NaN)).toBe('NaN');
    expect(sampleLine('x', {}, 1.5)).toBe('x 1.5');
  });
});
