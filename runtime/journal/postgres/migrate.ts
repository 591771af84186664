/**
 * Creates and upgrades the PostgreSQL schema of the journal. Several hosts may start at the same moment against an
 * empty database: a session-level advisory lock (per schema) makes them migrate one after the other, so exactly one
 * applies each migration and the others find it recorded. `CREATE SCHEMA IF NOT EXISTS` alone is not safe under
 * concurrency (two sessions can both pass the "not exists" check), which is why the lock comes first.
 *
 * @module
 */
import type pg from 'pg';
import { quoteSchema } from './location.js';
import { MIGRATION_LOCK, MIGRATIONS, type Migration } from './migrations.js';

/**
 * What {@link migrate} did.
 *
 * @example
 * ```ts
 * const { applied, version } = await migrate(client, 'mail_autopilot'); // applied: [1, 2, 3] on a fresh database
 * ```
 */
export interface MigrationResult {
  /** Ids of the migrations this call applied (empty when the schema was current). */
  readonly applied: readonly number[];
  /** The schema's version afterwards: the id of its newest migration. */
  readonly version: number;
}

/**
 * Brings `schema` up to the newest migration, on one client (not a pool: the advisory lock is per session).
 * Throws when the database was migrated by a newer program (a migration id this code does not know), instead of
 * writing into a layout it does not understand.
 *
 * @example
 * ```ts
 * const client = await pool.connect();
 * try { await migrate(client, 'mail_autopilot'); } finally { client.release(); }
 * ```
 */
export async function migrate(
  client: pg.ClientBase,
  schema: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationResult> {
  const s = quoteSchema(schema);
  await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [MIGRATION_LOCK, schema]);
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
         id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
    );
    const { rows } = await client.query<{ id: number }>(`SELECT id FROM ${s}.schema_migrations`);
    const done = new Set(rows.map((row) => row.id));
    const known = new Set(migrations.map((m) => m.id));
    const unknown = [...done].filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new Error(
        `journal schema ${schema} has migration(s) ${unknown.sort((a, b) => a - b).join(', ')} that this program ` +
          `does not know (it knows up to ${Math.max(0, ...known)}): it was written by a newer version`,
      );
    }
    const applied: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.id - b.id)) {
      if (done.has(migration.id)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql(schema));
        await client.query(`INSERT INTO ${s}.schema_migrations (id, name) VALUES ($1, $2)`, [
          migration.id,
          migration.name,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
      applied.push(migration.id);
    }
    return { applied, version: Math.max(0, ...done, ...applied) };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [MIGRATION_LOCK, schema]).catch(() => undefined);
  }
}
