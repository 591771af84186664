/**
 * `/metrics` (issue 6, item 5): the status of every mailbox in the Prometheus text format. Pure: it renders a
 * {@link StatusSnapshot} and the handler-duration histograms; the server gathers them. The list of metrics is in
 * docs/status-page.md.
 *
 * @module
 */
import type { DurationSeries } from './handler-durations.js';
import { type Labels, type MetricFamily, type MetricType, renderFamilies, sampleLine } from './prometheus.js';
import type { MailboxStatusCounters, MailboxStatusEntry, StatusSnapshot } from './status.js';

/**
 * The states of SPEC S12, each a sample of `mail_autopilot_mailbox_state` (1 for the current one, 0 for the others).
 *
 * @example
 * ```ts
 * MAILBOX_STATES.includes('backoff'); // true
 * ```
 */
export const MAILBOX_STATES = ['connecting', 'polling', 'backoff', 'stopped', 'unlimitedRetry'] as const;

const HEALTH_LEVELS = ['ok', 'degraded', 'failing', 'notRunning'] as const;

const COUNTERS: readonly [keyof MailboxStatusCounters, string, string][] = [
  ['attempts', 'mail_autopilot_mailbox_connection_attempts_total', 'Connection attempts (journal).'],
  ['connections', 'mail_autopilot_mailbox_connections_total', 'Successful connections (journal).'],
  ['connectionsLost', 'mail_autopilot_mailbox_connections_lost_total', 'Established connections that were lost.'],
  ['discovered', 'mail_autopilot_messages_discovered_total', 'Messages discovered (each message once).'],
  ['handled', 'mail_autopilot_messages_handled_total', 'Messages whose handler and actions all succeeded.'],
  [
    'failed',
    'mail_autopilot_messages_failed_total',
    'Failed handler runs and failed actions (a failure may be retried; see dead-lettered for the final ones).',
  ],
  ['deadLettered', 'mail_autopilot_messages_dead_lettered_total', 'Messages dead-lettered after their retries.'],
  ['unmatched', 'mail_autopilot_messages_unmatched_total', 'Messages no rule matched.'],
];

function family(name: string, type: MetricType, help: string, samples: string[]): MetricFamily {
  return { name, help, type, samples };
}

function perMailbox(
  mailboxes: readonly MailboxStatusEntry[],
  name: string,
  value: (m: MailboxStatusEntry) => number | null,
  extra: (m: MailboxStatusEntry) => Labels = () => ({}),
): string[] {
  return mailboxes.flatMap((m) => {
    const v = value(m);
    return v === null ? [] : [sampleLine(name, { mailbox: m.mailboxId, ...extra(m) }, v)];
  });
}

function histogramSamples(series: readonly DurationSeries[]): string[] {
  const name = 'mail_autopilot_handler_duration_seconds';
  return series.flatMap((s) => {
    const labels = { mailbox: s.mailboxId, outcome: s.outcome };
    return [
      ...s.buckets.map((bound, i) => sampleLine(`${name}_bucket`, { ...labels, le: String(bound) }, s.cumulative[i]!)),
      sampleLine(`${name}_bucket`, { ...labels, le: '+Inf' }, s.count),
      sampleLine(`${name}_sum`, labels, s.sum),
      sampleLine(`${name}_count`, labels, s.count),
    ];
  });
}

/**
 * Renders the metrics of a status snapshot and the handler durations; `extra` (already in the text format, e.g.
 * `clusterStatusMetrics(...)` under scale-out) is appended as it is.
 *
 * @example
 * ```ts
 * const text = renderMetrics(buildStatus(autopilot, options), durations.series());
 * response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(text);
 * ```
 */
export function renderMetrics(status: StatusSnapshot, durations: readonly DurationSeries[], extra?: string): string {
  const mailboxes = status.mailboxes;
  const nowSeconds = status.now / 1000;
  const families: MetricFamily[] = [
    family(
      'mail_autopilot_mailbox_state',
      'gauge',
      'The state of the mailbox (SPEC S12): 1 for the current state, 0 for the others.',
      mailboxes.flatMap((m) =>
        MAILBOX_STATES.map((state) =>
          sampleLine('mail_autopilot_mailbox_state', { mailbox: m.mailboxId, state }, m.state === state ? 1 : 0),
        ),
      ),
    ),
    family(
      'mail_autopilot_mailbox_health',
      'gauge',
      'The /healthz verdict of the mailbox: 1 for the current level (ok, degraded, failing, notRunning), 0 for the others.',
      mailboxes.flatMap((m) =>
        HEALTH_LEVELS.map((level) =>
          sampleLine(
            'mail_autopilot_mailbox_health',
            { mailbox: m.mailboxId, level },
            m.health.level === level ? 1 : 0,
          ),
        ),
      ),
    ),
    family(
      'mail_autopilot_mailbox_attempt',
      'gauge',
      'Number of the current (or last) connection attempt in the current run of attempts (SPEC S8); 0 when connected.',
      perMailbox(mailboxes, 'mail_autopilot_mailbox_attempt', (m) => m.attempt),
    ),
    ...COUNTERS.map(([key, name, help]) =>
      family(
        name,
        'counter',
        help,
        perMailbox(mailboxes, name, (m) => m.counters[key]),
      ),
    ),
    family(
      'mail_autopilot_handler_duration_seconds',
      'histogram',
      'Time from a handler start to its success or failure, by outcome (handlers finished since this process started).',
      histogramSamples(durations),
    ),
    family(
      'mail_autopilot_mailbox_last_check_age_seconds',
      'gauge',
      'Seconds since the last successful check of the server (or since connecting); absent when not connected.',
      perMailbox(mailboxes, 'mail_autopilot_mailbox_last_check_age_seconds', (m) => {
        const last = m.state === 'polling' ? (m.lastCheckAt ?? m.connectedAt) : null;
        return last === null ? null : Math.max(0, (status.now - last) / 1000);
      }),
    ),
    family(
      'mail_autopilot_mailbox_last_check_timestamp_seconds',
      'gauge',
      'When the last successful check of the server completed (Unix time); absent before the first.',
      perMailbox(mailboxes, 'mail_autopilot_mailbox_last_check_timestamp_seconds', (m) =>
        m.lastCheckAt === null ? null : m.lastCheckAt / 1000,
      ),
    ),
    family(
      'mail_autopilot_mailbox_next_attempt_timestamp_seconds',
      'gauge',
      'When the next connection attempt is due (Unix time); absent when none is scheduled.',
      perMailbox(mailboxes, 'mail_autopilot_mailbox_next_attempt_timestamp_seconds', (m) =>
        m.nextAttemptAt === null ? null : m.nextAttemptAt / 1000,
      ),
    ),
    family(
      'mail_autopilot_mailbox_last_error_info',
      'gauge',
      'The last error of the mailbox: always 1, the code is a label; absent when the mailbox has no error.',
      perMailbox(
        mailboxes,
        'mail_autopilot_mailbox_last_error_info',
        (m) => (m.lastError ? 1 : null),
        (m) => ({ code: m.lastError?.code ?? '' }),
      ),
    ),
    family(
      'mail_autopilot_mailbox_last_error_timestamp_seconds',
      'gauge',
      'When the last error happened (Unix time); absent when the mailbox has no error.',
      perMailbox(mailboxes, 'mail_autopilot_mailbox_last_error_timestamp_seconds', (m) =>
        m.lastError?.at == null ? null : m.lastError.at / 1000,
      ),
    ),
    family(
      'mail_autopilot_canary_latency_seconds',
      'gauge',
      'Seconds from sending the last canary that arrived in time to its discovery (issue 15); absent without a canary or before the first.',
      perMailbox(mailboxes, 'mail_autopilot_canary_latency_seconds', (m) => m.canary?.latencySeconds ?? null),
    ),
    family(
      'mail_autopilot_canary_missed_total',
      'counter',
      'Canaries not discovered within their bound or not sent (since the process started); absent without a canary.',
      perMailbox(mailboxes, 'mail_autopilot_canary_missed_total', (m) => m.canary?.missedTotal ?? null),
    ),
    family(
      'mail_autopilot_unexamined_messages',
      'gauge',
      'Messages the latest completeness check found on the server, neither examined nor in flight beyond missedAfter (issue 15).',
      perMailbox(mailboxes, 'mail_autopilot_unexamined_messages', (m) => m.completeness?.unexamined ?? null),
    ),
    family(
      'mail_autopilot_missed_messages_total',
      'counter',
      'Messages the completeness check found missed and examined at once, each counted once (since the process started).',
      perMailbox(mailboxes, 'mail_autopilot_missed_messages_total', (m) => m.completeness?.missedTotal ?? null),
    ),
    family(
      'mail_autopilot_scrape_timestamp_seconds',
      'gauge',
      "The autopilot's clock when these metrics were rendered (Unix time).",
      [sampleLine('mail_autopilot_scrape_timestamp_seconds', {}, nowSeconds)],
    ),
  ];
  const owned = mailboxes.filter((m) => m.owner !== undefined);
  if (owned.length > 0) {
    families.push(
      family(
        'mail_autopilot_mailbox_owner_info',
        'gauge',
        'Under scale-out: the host that owns the mailbox (always 1; host="" when nobody owns it).',
        owned.map((m) =>
          sampleLine('mail_autopilot_mailbox_owner_info', { mailbox: m.mailboxId, host: m.owner ?? '' }, 1),
        ),
      ),
    );
  }
  return renderFamilies(families) + (extra ?? '');
}
