/**
 * Durations as the config writes them: a number of milliseconds, or a string with a unit (`500ms`, `30s`, `2m`,
 * `1h`, also combined: `1m30s`).
 *
 * @module
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;

/**
 * Parses a duration to milliseconds, or returns `undefined` when the value is not one. A bare number is taken as
 * milliseconds; a string needs units (a bare `"30"` is refused, because seconds and milliseconds are both likely).
 *
 * @example
 * ```ts
 * parseDuration('30s');   // 30000
 * parseDuration('1m30s'); // 90000
 * parseDuration(250);     // 250
 * parseDuration('30');    // undefined
 * ```
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  if (text === '') return undefined;
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let match = PART.exec(text); match !== null; match = PART.exec(text)) {
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    consumed = PART.lastIndex;
  }
  return consumed === text.length ? Math.round(total) : undefined;
}
