/**
 * The Date header (RFC 5322 §3.3) as a Date, by one rule.
 *
 * @module
 */

/**
 * Parses a Date header value; a trailing comment (`(UTC)`) is dropped first, since `Date.parse` refuses it. Null
 * when missing or unreadable, never an invalid Date.
 *
 * @example
 * ```ts
 * parseHeaderDate('Tue, 01 Jul 2025 10:00:00 +0000 (UTC)'); // 2025-07-01T10:00:00.000Z
 * parseHeaderDate('soon'); // null
 * ```
 */
export function parseHeaderDate(value: Date | string | null | undefined): Date | null {
  if (value === undefined || value === null) return null;
  const time = value instanceof Date ? value.getTime() : Date.parse(value.replace(/\s*\([^)]*\)\s*$/, ''));
  return Number.isNaN(time) ? null : new Date(time);
}
