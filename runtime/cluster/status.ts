/**
 * The cluster's state as people and monitoring see it (issue 9, item 3): which host owns which mailbox and since
 * when, and every host's last heartbeat. `readClusterStatus` is the data the CLI `status` command prints and
 * `clusterStatusMetrics` renders it for `/metrics` (Prometheus text format).
 *
 * @module
 */
import pg from 'pg';
import { DEFAULT_SCHEMA, parsePostgresLocation, quoteSchema } from '../journal/postgres/location.js';

/**
 * One host as the hosts table knows it.
 *
 * @example
 * ```ts
 * const host: HostStatus = { hostId: 'web-1-4242-a1b2', live: true, mailboxes: 12, leaseMs: 30000,
 *   startedAt: new Date(), lastHeartbeatAt: new Date(), leaseUntil: new Date(Date.now() + 30000), info: {} };
 * ```
 */
export interface HostStatus {
  readonly hostId: string;
  readonly startedAt: Date;
  readonly lastHeartbeatAt: Date;
  /** When its lease runs out unless renewed (by the database's clock). */
  readonly leaseUntil: Date;
  readonly leaseMs: number;
  /** Whether the lease is still valid (by the database's clock). */
  readonly live: boolean;
  /** Mailboxes it owns. */
  readonly mailboxes: number;
  /** What the host reported about itself (host name, pid, mailbox count and digest of its configuration). */
  readonly info: Readonly<Record<string, unknown>>;
}

/**
 * One mailbox's owner.
 *
 * @example
 * ```ts
 * const row: MailboxOwnerStatus = { mailboxId: 'support', owner: 'web-1-4242-a1b2', ownerLive: true, epoch: 3,
 *   since: new Date() };
 * ```
 */
export interface MailboxOwnerStatus {
  readonly mailboxId: string;
  /** `null` when released and not yet taken (or never taken). */
  readonly owner: string | null;
  /** False when the owner's lease expired: another host will take the mailbox over. */
  readonly ownerLive: boolean;
  /** Grows by one every time the mailbox changes hands (the fencing token). */
  readonly epoch: number;
  /** When the current owner acquired it. */
  readonly since: Date | null;
}

/**
 * The whole picture at one moment.
 *
 * @example
 * ```ts
 * const status = await readClusterStatus('postgres://postgres@127.0.0.1:5432/test');
 * console.log(status.hosts.filter((h) => h.live).length, 'live hosts,', status.unowned, 'mailboxes unowned');
 * ```
 */
export interface ClusterStatus {
  /** The database's clock when this was read. */
  readonly at: Date;
  readonly hosts: readonly HostStatus[];
  readonly mailboxes: readonly MailboxOwnerStatus[];
  /** Mailboxes without a live owner. */
  readonly unowned: number;
}

/** Something that runs queries: a pool or a connected client. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

interface HostRow {
  host_id: string;
  started_at: Date;
  heartbeat_at: Date;
  lease_until: Date;
  lease_ms: number;
  info: Record<string, unknown>;
  live: boolean;
  mailboxes: number;
}

interface MailboxRow {
  mailbox_id: string;
  owner: string | null;
  epoch: string;
  acquired_at: Date | null;
  owner_live: boolean | null;
}

/**
 * Reads the cluster's state from a journal URL (connects, reads, disconnects) or through an open pool/client with
 * the schema given. A schema that was never migrated reads as an empty cluster.
 *
 * @example
 * ```ts
 * const status = await readClusterStatus(config.journal); // postgres://…?schema=…
 * for (const m of status.mailboxes) console.log(m.mailboxId, m.owner ?? '(nobody)', m.since?.toISOString());
 * ```
 */
export async function readClusterStatus(target: string | Queryable, schema?: string): Promise<ClusterStatus> {
  if (typeof target === 'string') {
    const location = parsePostgresLocation(target, schema);
    const client = new pg.Client({
      connectionString: location.connectionString,
      application_name: 'mail-autopilot status',
    });
    await client.connect();
    try {
      return await readClusterStatus(client, location.schema);
    } finally {
      await client.end();
    }
  }
  const s = quoteSchema(schema ?? DEFAULT_SCHEMA);
  const exists = await target.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [
    `${s}.cluster_mailboxes`,
  ]);
  if (!exists.rows[0]?.ok) return { at: new Date(), hosts: [], mailboxes: [], unowned: 0 };
  // One statement, so hosts and mailboxes are one consistent snapshot.
  const { rows } = await target.query<{ now: Date; hosts: HostRow[] | null; mailboxes: MailboxRow[] | null }>(
    `SELECT clock_timestamp() AS now,
       (SELECT json_agg(h ORDER BY h.host_id) FROM (
          SELECT host_id, started_at, heartbeat_at, lease_until, lease_ms, info,
                 lease_until > clock_timestamp() AS live,
                 (SELECT count(*) FROM ${s}.cluster_mailboxes m WHERE m.owner = x.host_id)::int AS mailboxes
          FROM ${s}.cluster_hosts x) h) AS hosts,
       (SELECT json_agg(m ORDER BY m.mailbox_id) FROM (
          SELECT y.mailbox_id, y.owner, y.epoch::text AS epoch, y.acquired_at,
                 (z.lease_until > clock_timestamp()) AS owner_live
          FROM ${s}.cluster_mailboxes y LEFT JOIN ${s}.cluster_hosts z ON z.host_id = y.owner) m) AS mailboxes`,
  );
  const row = rows[0]!;
  const hosts = (row.hosts ?? []).map(
    (h): HostStatus => ({
      hostId: h.host_id,
      startedAt: new Date(h.started_at),
      lastHeartbeatAt: new Date(h.heartbeat_at),
      leaseUntil: new Date(h.lease_until),
      leaseMs: h.lease_ms,
      live: h.live,
      mailboxes: h.mailboxes,
      info: h.info ?? {},
    }),
  );
  const mailboxes = (row.mailboxes ?? []).map(
    (m): MailboxOwnerStatus => ({
      mailboxId: m.mailbox_id,
      owner: m.owner,
      ownerLive: m.owner !== null && m.owner_live === true,
      epoch: Number(m.epoch),
      since: m.owner !== null && m.acquired_at ? new Date(m.acquired_at) : null,
    }),
  );
  return { at: new Date(row.now), hosts, mailboxes, unowned: mailboxes.filter((m) => !m.ownerLive).length };
}

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * Renders a status in the Prometheus text format: per host whether it is live, the age of its last heartbeat and
 * its mailbox count; the number of mailboxes without a live owner; and (unless `perMailbox: false`) per mailbox its
 * owner and since when, as the acquisition time in Unix seconds.
 *
 * @example
 * ```ts
 * response.end(clusterStatusMetrics(await ownership.status()));
 * ```
 */
export function clusterStatusMetrics(status: ClusterStatus, options: { perMailbox?: boolean } = {}): string {
  const now = status.at.getTime();
  const lines = [
    '# HELP mail_autopilot_cluster_host_live Whether the host holds a valid lease (1) or not (0).',
    '# TYPE mail_autopilot_cluster_host_live gauge',
    ...status.hosts.map((h) => `mail_autopilot_cluster_host_live{host="${label(h.hostId)}"} ${h.live ? 1 : 0}`),
    '# HELP mail_autopilot_cluster_host_heartbeat_age_seconds Seconds since the host last renewed its lease.',
    '# TYPE mail_autopilot_cluster_host_heartbeat_age_seconds gauge',
    ...status.hosts.map(
      (h) =>
        `mail_autopilot_cluster_host_heartbeat_age_seconds{host="${label(h.hostId)}"} ${Math.max(0, (now - h.lastHeartbeatAt.getTime()) / 1000)}`,
    ),
    '# HELP mail_autopilot_cluster_host_mailboxes Mailboxes the host owns.',
    '# TYPE mail_autopilot_cluster_host_mailboxes gauge',
    ...status.hosts.map((h) => `mail_autopilot_cluster_host_mailboxes{host="${label(h.hostId)}"} ${h.mailboxes}`),
    '# HELP mail_autopilot_cluster_mailboxes_unowned Mailboxes without a live owner.',
    '# TYPE mail_autopilot_cluster_mailboxes_unowned gauge',
    `mail_autopilot_cluster_mailboxes_unowned ${status.unowned}`,
  ];
  if (options.perMailbox !== false) {
    lines.push(
      '# HELP mail_autopilot_cluster_mailbox_owned_since_seconds When the owner acquired the mailbox (Unix time).',
      '# TYPE mail_autopilot_cluster_mailbox_owned_since_seconds gauge',
      ...status.mailboxes
        .filter((m) => m.owner !== null && m.since !== null)
        .map(
          (m) =>
            `mail_autopilot_cluster_mailbox_owned_since_seconds{mailbox="${label(m.mailboxId)}",host="${label(m.owner!)}"} ${m.since!.getTime() / 1000}`,
        ),
    );
  }
  return `${lines.join('\n')}\n`;
}
