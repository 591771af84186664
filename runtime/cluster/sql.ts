/**
 * The SQL of mailbox ownership (issue 9; kept apart from the decisions in issue 14, item 4): every statement the
 * PostgreSQL driver runs against `cluster_hosts` and `cluster_mailboxes`, for one schema, and the rows they return.
 * The functions they call (`cluster_acquire`) are created by the journal's migrations (`journal/postgres/`).
 *
 * @module
 */
import { quoteSchema } from '../journal/postgres/location.js';

/**
 * The row of the heartbeat statement.
 *
 * @example
 * ```ts
 * const { rows } = await pool.query<HeartbeatRow>(sql.heartbeat, [hostId, leaseMs, info]);
 * ```
 */
export interface HeartbeatRow {
  was_expired: boolean | null;
  held: number;
  held_epochs: string;
  hosts: { id: string; remainingMs: number; digest: string | null }[];
}

/**
 * The statements for one schema, with their parameters:
 *
 * - `register($1 mailbox ids)`: a row per mailbox of the configuration (existing rows untouched).
 * - `heartbeat($1 host, $2 lease ms, $3 info json)`: renews this host's lease by the database's clock and reports
 *   whether it had expired, this host's rows (count, epoch sum) and the other hosts' remaining lease — one
 *   statement per heartbeat, however many mailboxes the host owns.
 * - `hosts($1 host)`: the other hosts' remaining lease only.
 * - `acquire($1 host, $2 mailbox ids)`: takes the free or expired ones (`cluster_acquire`), epoch + 1.
 * - `owned($1 host)`: the rows in this host's name.
 * - `release($1 host, $2 ids, $3 epochs, $4 channel)`: frees rows still held at those epochs, and notifies.
 * - `leave($1 host, $2 channel)`: frees every row of the host, deletes its host row, and notifies.
 * - `notify($1 channel, $2 payload)`.
 *
 * @example
 * ```ts
 * const sql = ownershipStatements('mail_autopilot');
 * await pool.query(sql.register, [['support', 'sales']]);
 * ```
 */
export function ownershipStatements(schema: string) {
  const s = quoteSchema(schema);
  return {
    register: `INSERT INTO ${s}.cluster_mailboxes (mailbox_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`,
    heartbeat: `
      WITH prev AS (
        SELECT lease_until < clock_timestamp() AS expired FROM ${s}.cluster_hosts WHERE host_id = $1
      ), beat AS (
        INSERT INTO ${s}.cluster_hosts AS h (host_id, lease_until, lease_ms, info)
        VALUES ($1, clock_timestamp() + $2::int * interval '1 millisecond', $2::int, $3::jsonb)
        ON CONFLICT (host_id) DO UPDATE
          SET heartbeat_at = clock_timestamp(), lease_until = excluded.lease_until, lease_ms = excluded.lease_ms,
              info = excluded.info
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM beat)::int AS beat,
             (SELECT expired FROM prev) AS was_expired,
             (SELECT count(*) FROM ${s}.cluster_mailboxes WHERE owner = $1)::int AS held,
             (SELECT coalesce(sum(epoch), 0) FROM ${s}.cluster_mailboxes WHERE owner = $1)::text AS held_epochs,
             ${hostsJson(s)} AS hosts`,
    hosts: `SELECT ${hostsJson(s)} AS hosts`,
    acquire: `SELECT out_mailbox, out_epoch FROM ${s}.cluster_acquire($1, $2::text[])`,
    owned: `SELECT mailbox_id, epoch FROM ${s}.cluster_mailboxes WHERE owner = $1`,
    release: `
      WITH released AS (
        UPDATE ${s}.cluster_mailboxes m SET owner = NULL, released_at = clock_timestamp()
        FROM unnest($2::text[], $3::bigint[]) AS r(mailbox_id, epoch)
        WHERE m.mailbox_id = r.mailbox_id AND m.owner = $1 AND m.epoch = r.epoch
        RETURNING m.mailbox_id
      )
      SELECT count(*)::int AS released, pg_notify($4, 'release:' || $1) FROM released`,
    leave: `
      WITH released AS (
        UPDATE ${s}.cluster_mailboxes SET owner = NULL, released_at = clock_timestamp() WHERE owner = $1
        RETURNING 1
      ), gone AS (
        DELETE FROM ${s}.cluster_hosts WHERE host_id = $1 RETURNING 1
      )
      SELECT (SELECT count(*) FROM released)::int AS released, pg_notify($2, 'leave:' || $1)`,
    notify: 'SELECT pg_notify($1, $2)',
  };
}

/** The other hosts with the milliseconds left on their lease (negative: expired), by the database's clock. */
function hostsJson(s: string): string {
  return `(SELECT coalesce(json_agg(json_build_object(
            'id', host_id,
            'remainingMs', floor(extract(epoch FROM lease_until - clock_timestamp()) * 1000),
            'digest', info->>'digest')), '[]'::json)
          FROM ${s}.cluster_hosts WHERE host_id <> $1)`;
}
