/**
 * Durations as people write them in a config: `500ms`, `30s`, `5m`, `1h`, `1d`, combinations such as `1h30m`, or a
 * number of milliseconds.
 *
 * @module
 */

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)\s*(ms|min|s|m|h|d)/gy;

/**
 * Parses a duration into milliseconds; returns `undefined` when the text is not a duration.
 *
 * @example
 * ```ts
 * parseDuration('30s'); // 30_000
 * parseDuration('1h30m'); // 5_400_000
 * parseDuration(250); // 250
 * ```
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let match = PART.exec(text); match; match = PART.exec(text)) {
    total += Number(match[1]) * (UNITS[match[2] as string] ?? Number.NaN);
    consumed = PART.lastIndex;
    while (text[consumed] === ' ') consumed += 1;
    PART.lastIndex = consumed;
  }
  return consumed === text.length && consumed > 0 && Number.isFinite(total) ? Math.round(total) : undefined;
}
