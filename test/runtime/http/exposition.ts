/**
 * A strict reader of the Prometheus text format for the tests of /metrics: it throws on anything a scraper would
 * reject (a sample before its `# TYPE`, a family split in two, a bad label escape, a bad value) and returns the
 * samples for assertions.
 */

/** One sample as read. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/;

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  if (!/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text)) throw new Error(`bad value in: ${line}`);
  return Number(text);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const match = LABEL.exec(rest);
    if (!match) throw new Error(`bad labels in: ${line}`);
    const [whole, name, raw] = match;
    if (name! in labels) throw new Error(`duplicate label ${name} in: ${line}`);
    labels[name!] = raw!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(whole.length);
  }
  return labels;
}

/**
 * Parses an exposition and checks its structure.
 *
 * @example
 * ```ts
 * const samples = parseExposition(await (await fetch(`${url}metrics`)).text());
 * ```
 */
export function parseExposition(text: string): Sample[] {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const finished = new Set<string>();
  let current: string | undefined;
  const samples: Sample[] = [];
  const enter = (family: string) => {
    if (current === family) return;
    if (finished.has(family)) throw new Error(`family ${family} appears in two places`);
    if (current) finished.add(current);
    current = family;
  };
  for (const line of text.split('\n').slice(0, -1)) {
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (help) {
      if (helps.has(help[1]!)) throw new Error(`second HELP for ${help[1]}`);
      helps.add(help[1]!);
      enter(help[1]!);
      continue;
    }
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      if (types.has(type[1]!)) throw new Error(`second TYPE for ${type[1]}`);
      types.set(type[1]!, type[2]!);
      enter(type[1]!);
      continue;
    }
    if (line.startsWith('#')) throw new Error(`unexpected comment: ${line}`);
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const name = match[1]!;
    const base = name.replace(/_(bucket|sum|count)$/, '');
    const family = types.get(name) !== undefined ? name : types.get(base) === 'histogram' ? base : undefined;
    if (family === undefined) throw new Error(`sample before its TYPE: ${line}`);
    if (types.get(family) === 'counter' && !name.endsWith('_total')) throw new Error(`counter without _total: ${name}`);
    enter(family);
    samples.push({ name, labels: parseLabels(match[2] ?? '', line), value: parseValue(match[3]!, line) });
  }
  return samples;
}

/**
 * The value of the one sample with this name and these labels (the sample may have more labels), or undefined.
 *
 * @example
 * ```ts
 * sampleValue(samples, 'mail_autopilot_mailbox_state', { mailbox: 'support', state: 'backoff' }); // 1
 * ```
 */
export function sampleValue(
  samples: readonly Sample[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}
