/**
 * PostgreSQL for tests: the server at 127.0.0.1:5432 (`.ci/run` starts it), one fresh schema per test so runs and
 * parallel test files never see each other's rows, dropped afterwards.
 *
 * @example
 * ```ts
 * const db = await freshSchema('contract');
 * const store = await PostgresJournalStore.open(db.url);
 * // …
 * await db.drop();
 * ```
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The test database (override with MAIL_AUTOPILOT_TEST_PG). */
export const PG_BASE_URL = process.env.MAIL_AUTOPILOT_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema made for one test. */
export interface TestSchema {
  readonly schema: string;
  /** The journal URL with `?schema=`. */
  readonly url: string;
  /** Runs one query on a short-lived connection. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/** Runs `text` on a fresh connection to the test database, with a clear message when the server is not there. */
export async function pgQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  text: string,
  values?: unknown[],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: PG_BASE_URL });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${PG_BASE_URL} (${(error as Error).message}); start it with ` +
        '`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` (.ci/run does)',
    );
  }
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/**
 * Names a new schema `t_<label>_<random>` (not created: the store's migration creates it) and returns its URL.
 *
 * @example
 * ```ts
 * const { url, drop } = await freshSchema('ownership');
 * ```
 */
export async function freshSchema(label: string): Promise<TestSchema> {
  const schema = `t_${label.replace(/[^a-z0-9_]/g, '_').slice(0, 24)}_${randomBytes(5).toString('hex')}`;
  await pgQuery('SELECT 1');
  return {
    schema,
    url: `${PG_BASE_URL}?schema=${schema}`,
    query: (text, values) => pgQuery(text.replaceAll('$schema', `"${schema}"`), values),
    drop: async () => {
      await pgQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
  };
}
