/**
 * `${NAME}` substitution in configuration values, from the environment. `$${` writes a literal `${`.
 *
 * @module
 */

/**
 * A config value referred to an environment variable that is not set.
 *
 * @example
 * ```ts
 * try { substituteEnv(raw, {}); } catch (e) { if (e instanceof MissingEnvError) console.error(e.path, e.variable); }
 * ```
 */
export class MissingEnvError extends Error {
  override readonly name = 'MissingEnvError';
  constructor(
    readonly path: string,
    readonly variable: string,
  ) {
    super(`${path}: environment variable ${variable} is not set (referenced as \${${variable}})`);
  }
}

const REFERENCE = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function substituteString(text: string, env: Readonly<Record<string, string | undefined>>, path: string): string {
  return text.replace(REFERENCE, (whole, escaped: string | undefined, name: string, fallback: string | undefined) => {
    if (escaped) return whole.slice(1);
    const value = env[name];
    if (value !== undefined) return value;
    if (fallback !== undefined) return fallback;
    throw new MissingEnvError(path, name);
  });
}

/**
 * Returns a copy of a parsed config with `${NAME}` (and `${NAME:-default}`) in every string replaced from `env`.
 * Keys are not substituted. Throws {@link MissingEnvError} naming the field path for an unset variable.
 *
 * @example
 * ```ts
 * substituteEnv({ password: '${PW}' }, { PW: 's3cret' }); // { password: 's3cret' }
 * ```
 */
export function substituteEnv<T>(value: T, env: Readonly<Record<string, string | undefined>>, path = ''): T {
  if (typeof value === 'string') return substituteString(value, env, path || '(root)') as T;
  if (Array.isArray(value)) return value.map((item, index) => substituteEnv(item, env, `${path}[${index}]`)) as T;
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value))
      copy[key] = substituteEnv(inner, env, path ? `${path}.${key}` : key);
    return copy as T;
  }
  return value;
}

/**
 * One `${NAME}` a config refers to: where, and whether it is set now.
 *
 * @example
 * ```ts
 * const reference: EnvReference = { path: 'mailboxes[0].password', variable: 'SUPPORT_PASSWORD', set: false };
 * ```
 */
export interface EnvReference {
  readonly path: string;
  readonly variable: string;
  /** Set in the environment given, or given a `:-default`. */
  readonly set: boolean;
}

/**
 * Like {@link substituteEnv}, but never throws: an unset variable (without a `:-default`) becomes the empty string
 * and is listed in `unset` by field path, so a caller can decide whether that field matters (read-only commands need
 * no secrets, issue 13 point 6). `references` lists every variable the config uses.
 *
 * @example
 * ```ts
 * const { value, unset } = substituteEnvCollecting({ password: '${PW}' }, {});
 * // value.password === '', unset: [{ path: 'password', variable: 'PW', set: false }]
 * ```
 */
export function substituteEnvCollecting<T>(
  value: T,
  env: Readonly<Record<string, string | undefined>>,
): { readonly value: T; readonly references: readonly EnvReference[]; readonly unset: readonly EnvReference[] } {
  const references: EnvReference[] = [];
  const walk = (inner: unknown, path: string): unknown => {
    if (typeof inner === 'string') {
      return inner.replace(REFERENCE, (whole, escaped: string | undefined, name: string, fallback?: string) => {
        if (escaped) return whole.slice(1);
        const found = env[name];
        references.push({ path: path || '(root)', variable: name, set: found !== undefined || fallback !== undefined });
        return found ?? fallback ?? '';
      });
    }
    if (Array.isArray(inner)) return inner.map((item, index) => walk(item, `${path}[${index}]`));
    if (inner && typeof inner === 'object') {
      const copy: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(inner)) copy[key] = walk(item, path ? `${path}.${key}` : key);
      return copy;
    }
    return inner;
  };
  const substituted = walk(value, '') as T;
  return { value: substituted, references, unset: references.filter((reference) => !reference.set) };
}
