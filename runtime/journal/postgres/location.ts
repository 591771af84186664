/**
 * Where a PostgreSQL journal lives: the `postgres://` URL of the config, with an optional `schema` query parameter
 * that names the schema holding the journal and cluster tables (several deployments, or test runs, can share one
 * database that way). The parameter is taken out before the URL reaches the driver.
 *
 * @module
 */

/** The schema used when the URL names none. */
export const DEFAULT_SCHEMA = 'mail_autopilot';

/** Schema names are plain lower-case identifiers, short enough that the notification channels derived from them fit. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

/**
 * A parsed PostgreSQL journal location.
 *
 * @example
 * ```ts
 * const location: PostgresLocation = { connectionString: 'postgres://app@db/mail', schema: 'mail_autopilot' };
 * ```
 */
export interface PostgresLocation {
  /** The URL for the driver, without the `schema` parameter. */
  readonly connectionString: string;
  /** The schema of the journal's tables. */
  readonly schema: string;
}

/**
 * Whether a `journal` value of the config is a PostgreSQL URL (else it is a SQLite file).
 *
 * @example
 * ```ts
 * isPostgresUrl('postgres://db.example.test/mail'); // true
 * isPostgresUrl('./autopilot.db'); // false
 * ```
 */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/**
 * Splits a journal URL into the driver's connection string and the schema (`?schema=name`, default
 * {@link DEFAULT_SCHEMA}; an explicit `schema` option wins over both). Throws a `TypeError` for a schema name that is
 * not a plain lower-case identifier of at most 48 characters.
 *
 * @example
 * ```ts
 * parsePostgresLocation('postgres://postgres@127.0.0.1:5432/test?schema=team_a');
 * // { connectionString: 'postgres://postgres@127.0.0.1:5432/test', schema: 'team_a' }
 * ```
 */
export function parsePostgresLocation(url: string, schema?: string): PostgresLocation {
  if (!isPostgresUrl(url)) throw new TypeError('expected a postgres:// or postgresql:// URL');
  const parsed = new URL(url);
  const fromUrl = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  const chosen = schema ?? fromUrl ?? DEFAULT_SCHEMA;
  assertSchemaName(chosen);
  return { connectionString: parsed.toString(), schema: chosen };
}

/**
 * Throws a `TypeError` unless `name` is a schema name this project accepts (`[a-z_][a-z0-9_]*`, at most 48).
 *
 * @example
 * ```ts
 * assertSchemaName('mail_autopilot'); // ok
 * ```
 */
export function assertSchemaName(name: string): void {
  if (!SCHEMA_NAME.test(name)) {
    throw new TypeError(
      `schema ${JSON.stringify(name)} is not a plain lower-case identifier ([a-z_][a-z0-9_]*, at most 48 characters)`,
    );
  }
}

/**
 * The SQL identifier of a validated schema, quoted.
 *
 * @example
 * ```ts
 * quoteSchema('mail_autopilot'); // '"mail_autopilot"'
 * ```
 */
export function quoteSchema(schema: string): string {
  assertSchemaName(schema);
  return `"${schema}"`;
}

/**
 * The LISTEN/NOTIFY channels of a schema: one for journal appends (payload: the new head position) and one for
 * ownership changes (hosts joining or leaving, mailboxes released).
 *
 * @example
 * ```ts
 * channels('mail_autopilot').journal; // 'ma_journal_mail_autopilot'
 * ```
 */
export function channels(schema: string): { readonly journal: string; readonly cluster: string } {
  assertSchemaName(schema);
  return { journal: `ma_journal_${schema}`, cluster: `ma_cluster_${schema}` };
}
