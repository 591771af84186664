/**
 * The one duration grammar of the project (config fields, rule timeouts, CLI options): `500ms`, `30s`, `5m`,
 * `2min`, `1h`, `1d`, combinations such as `1h30m` or `1m 30s` (units in any case), or a number of milliseconds.
 *
 * @module
 */

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)\s*(ms|min|s|m|h|d)/giy;

/**
 * How strict {@link parseDuration} is.
 *
 * @example
 * ```ts
 * const strict: DurationOptions = { unitlessText: false };
 * ```
 */
export interface DurationOptions {
  /**
   * Whether a string of digits alone (`"30"`) counts as milliseconds. Default true (config fields). Rule timeouts
   * pass false: in a command's `timeout: "30"` seconds and milliseconds are both likely, so a unit is required.
   */
  readonly unitlessText?: boolean;
}

/**
 * Parses a duration into milliseconds; returns `undefined` when the value is not a duration. A number is taken as
 * milliseconds.
 *
 * @example
 * ```ts
 * parseDuration('30s'); // 30_000
 * parseDuration('1h30m'); // 5_400_000
 * parseDuration(250); // 250
 * parseDuration('30', { unitlessText: false }); // undefined
 * ```
 */
export function parseDuration(value: unknown, options: DurationOptions = {}): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return options.unitlessText === false ? undefined : Number(text);
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let match = PART.exec(text); match; match = PART.exec(text)) {
    total += Number(match[1]) * (UNITS[(match[2] as string).toLowerCase()] ?? Number.NaN);
    consumed = PART.lastIndex;
    while (text[consumed] === ' ') consumed += 1;
    PART.lastIndex = consumed;
  }
  return consumed === text.length && consumed > 0 && Number.isFinite(total) ? Math.round(total) : undefined;
}
