/**
 * Small address helpers for loop protection: normalising, comparing with our own addresses, and reading the
 * address out of `Return-Path`.
 *
 * @module
 */

/**
 * Lower-cases an address and strips angle brackets and spaces. The local part is case-sensitive in theory
 * (RFC 5321) and never in practice; loop protection errs on the side of "same address".
 *
 * @example
 * ```ts
 * normalizeAddress(' <Ada@Example.TEST> '); // 'ada@example.test'
 * ```
 */
export function normalizeAddress(address: string): string {
  let a = address.trim();
  if (a.startsWith('<') && a.endsWith('>')) a = a.slice(1, -1).trim();
  return a.toLowerCase();
}

/**
 * An address without its `+tag` sub-address (`support+web@x` → `support@x`), normalised.
 *
 * @example
 * ```ts
 * baseAddress('Support+Forms@example.test'); // 'support@example.test'
 * ```
 */
export function baseAddress(address: string): string {
  const a = normalizeAddress(address);
  const at = a.lastIndexOf('@');
  if (at <= 0) return a;
  const local = a.slice(0, at);
  const plus = local.indexOf('+');
  return plus > 0 ? `${local.slice(0, plus)}${a.slice(at)}` : a;
}

/**
 * The local part of an address (before the last `@`), normalised.
 *
 * @example
 * ```ts
 * localPart('MAILER-DAEMON@mx.example.test'); // 'mailer-daemon'
 * ```
 */
export function localPart(address: string): string {
  const a = normalizeAddress(address);
  const at = a.lastIndexOf('@');
  return at === -1 ? a : a.slice(0, at);
}

/**
 * A set of our own addresses that also recognises their `+tag` variants.
 *
 * @example
 * ```ts
 * const own = new AddressSet(['support@example.test']);
 * own.has('Support+web@example.test'); // true
 * ```
 */
export class AddressSet {
  readonly #bases: ReadonlySet<string>;

  constructor(addresses: Iterable<string>) {
    this.#bases = new Set([...addresses].map(baseAddress));
  }

  has(address: string): boolean {
    return this.#bases.has(baseAddress(address));
  }

  /** Whether any of our addresses occurs in a free-text header value (`X-Loop: support@example.test`). */
  occursIn(value: string): boolean {
    const lower = value.toLowerCase();
    for (const base of this.#bases) if (lower.includes(base)) return true;
    return false;
  }
}

/**
 * The address in a `Return-Path` value: `''` for the null reverse-path `<>` (bounces and other automatic mail),
 * `null` when the value holds no address at all.
 *
 * @example
 * ```ts
 * returnPathAddress('<>');                     // ''
 * returnPathAddress('<bounce@list.example>');  // 'bounce@list.example'
 * ```
 */
export function returnPathAddress(value: string): string | null {
  const v = value.trim();
  const angle = /<([^<>]*)>/.exec(v);
  if (angle) return normalizeAddress(angle[1]!);
  if (v === '') return null;
  return v.includes('@') ? normalizeAddress(v) : null;
}
