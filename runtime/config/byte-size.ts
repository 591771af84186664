/**
 * The one size grammar of the project (rule `size:` conditions): `500`, `500B`, `100KB`, `5MB`, `1.5GB` (units in
 * any case, `KiB`/`MiB`/`GiB` accepted as synonyms), or a number of bytes. Units are binary — 1 KB = 1,024 bytes —
 * because that is how mail clients and servers show sizes (Thunderbird, Outlook, Dovecot's quota).
 *
 * @module
 */

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?$/i;

/**
 * Parses a size into bytes; `undefined` when the value is not a size. A number is taken as bytes.
 *
 * @example
 * ```ts
 * parseByteSize('5MB'); // 5_242_880
 * parseByteSize('100 KB'); // 102_400
 * parseByteSize(2048); // 2048
 * parseByteSize('big'); // undefined
 * ```
 */
export function parseByteSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const match = SIZE.exec(value.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? 'b').toLowerCase().replace('i', '');
  return Math.round(Number(match[1]) * UNITS[unit]!);
}
