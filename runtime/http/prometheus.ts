/**
 * The Prometheus text exposition format (version 0.0.4), just what `/metrics` needs: metric families with their
 * `# HELP` and `# TYPE` lines, escaped label values and numbers as Prometheus parses them.
 *
 * @module
 */

/**
 * The content type of the text exposition format.
 *
 * @example
 * ```ts
 * response.setHeader('content-type', PROMETHEUS_CONTENT_TYPE);
 * ```
 */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * A label value escaped for the text format: backslash, double quote and line feed are the characters it escapes.
 *
 * @example
 * ```ts
 * escapeLabelValue('say "hi"\n'); // 'say \\"hi\\"\\n'
 * ```
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * A `# HELP` text escaped for the text format (backslash and line feed; quotes stay as they are there).
 *
 * @example
 * ```ts
 * escapeHelp('a\\b'); // 'a\\\\b'
 * ```
 */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/**
 * A sample value as the text format writes it (`+Inf`, `-Inf`, `NaN`, or a plain decimal number).
 *
 * @example
 * ```ts
 * formatValue(Number.POSITIVE_INFINITY); // '+Inf'
 * formatValue(0.25); // '0.25'
 * ```
 */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/**
 * Label names and values of one sample, in the order they are written.
 *
 * @example
 * ```ts
 * const labels: Labels = { mailbox: 'support', state: 'polling' };
 * ```
 */
export type Labels = Readonly<Record<string, string>>;

/**
 * One sample line: `name{label="value",…} value`.
 *
 * @example
 * ```ts
 * sampleLine('mail_autopilot_mailbox_attempt', { mailbox: 'support' }, 3); // 'mail_autopilot_mailbox_attempt{mailbox="support"} 3'
 * ```
 */
export function sampleLine(name: string, labels: Labels, value: number): string {
  const pairs = Object.entries(labels).map(([key, v]) => `${key}="${escapeLabelValue(v)}"`);
  return `${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`;
}

/**
 * The metric types `/metrics` uses.
 *
 * @example
 * ```ts
 * const type: MetricType = 'counter';
 * ```
 */
export type MetricType = 'gauge' | 'counter' | 'histogram';

/**
 * A metric family: its name, help, type and sample lines (already formatted, e.g. by {@link sampleLine}).
 *
 * @example
 * ```ts
 * const family: MetricFamily = { name: 'up', help: 'Whether it runs.', type: 'gauge', samples: ['up 1'] };
 * ```
 */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly string[];
}

/**
 * Renders families in the text format: each one's `# HELP` and `# TYPE` lines, then its samples, with a final line
 * feed. A family without samples still gets its HELP/TYPE lines, so scrapers learn its type.
 *
 * @example
 * ```ts
 * renderFamilies([{ name: 'up', help: 'Whether it runs.', type: 'gauge', samples: ['up 1'] }]);
 * // '# HELP up Whether it runs.\n# TYPE up gauge\nup 1\n'
 * ```
 */
export function renderFamilies(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    lines.push(...family.samples);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
