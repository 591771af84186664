/**
 * The PostgreSQL schema of the journal and of mailbox ownership, as an ordered list of migrations. They are
 * TypeScript (not `.sql` files) so the build ships them with the code, and they take the schema name because each
 * deployment (and each test run) may use its own schema. A migration is applied once, in its own transaction, and
 * recorded in `schema_migrations`; see `migrate.ts` for the locking.
 *
 * Never edit a migration that was released: add the next one.
 *
 * @module
 */
import { channels, quoteSchema } from './location.js';

/**
 * First key of the transaction-level advisory lock every journal append takes (the second is `hashtext(schema)`).
 * Appends are serialised by it so positions are dense and commit in order (docs/scale-out.md, "positions").
 *
 * @example
 * ```ts
 * await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [JOURNAL_LOCK, 'mail_autopilot']);
 * ```
 */
export const JOURNAL_LOCK = 0x4d414a4c; // 'MAJL'

/**
 * First key of the session-level advisory lock held while migrating (the second is `hashtext(schema)`).
 *
 * @example
 * ```ts
 * await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [MIGRATION_LOCK, 'mail_autopilot']);
 * ```
 */
export const MIGRATION_LOCK = 0x4d414d47; // 'MAMG'

/**
 * One migration: a number (applied in ascending order), a name for people, and its SQL for a schema.
 *
 * @example
 * ```ts
 * const m: Migration = { id: 9, name: 'an index', sql: (s) => `CREATE INDEX ON "${s}".journal_events (at)` };
 * ```
 */
export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: (schema: string) => string;
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * Every migration, in order.
 *
 * @example
 * ```ts
 * const newest = MIGRATIONS.at(-1)!.id;
 * ```
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'journal events',
    sql: (schema) => {
      const s = quoteSchema(schema);
      return `
CREATE TABLE ${s}.journal_events (
  position bigint  PRIMARY KEY,
  stream   text    NOT NULL,
  version  integer NOT NULL,
  type     text    NOT NULL,
  msg_key  text,
  at       bigint  NOT NULL,
  data     json    NOT NULL,
  writer   text,
  epoch    bigint
);
CREATE UNIQUE INDEX journal_events_stream_version ON ${s}.journal_events (stream, version);
CREATE INDEX journal_events_key ON ${s}.journal_events (msg_key, stream) WHERE msg_key IS NOT NULL;
COMMENT ON COLUMN ${s}.journal_events.writer IS 'host that appended the event (diagnostics)';
COMMENT ON COLUMN ${s}.journal_events.epoch IS 'ownership epoch of the stream the writer held (fencing token)';
`;
    },
  },
  {
    id: 2,
    name: 'cluster hosts and mailbox leases',
    sql: (schema) => {
      const s = quoteSchema(schema);
      return `
CREATE TABLE ${s}.cluster_hosts (
  host_id      text        PRIMARY KEY,
  started_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  heartbeat_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  lease_until  timestamptz NOT NULL,
  lease_ms     integer     NOT NULL,
  info         jsonb       NOT NULL DEFAULT '{}'
);
CREATE TABLE ${s}.cluster_mailboxes (
  mailbox_id  text   PRIMARY KEY,
  owner       text,
  epoch       bigint NOT NULL DEFAULT 0,
  acquired_at timestamptz,
  released_at timestamptz
);
CREATE INDEX cluster_mailboxes_owner ON ${s}.cluster_mailboxes (owner) WHERE owner IS NOT NULL;
`;
    },
  },
  {
    id: 3,
    name: 'append and acquire functions',
    sql: (schema) => {
      const s = quoteSchema(schema);
      const lock = `PERFORM pg_advisory_xact_lock(${JOURNAL_LOCK}, hashtext(${literal(schema)}));`;
      const channel = literal(channels(schema).journal);
      // One round trip per append: the lock is held from the first statement to the commit, never across a
      // client's think time (a paused client cannot stall other hosts' appends while holding it).
      return `
CREATE OR REPLACE FUNCTION ${s}.journal_append(
  p_events json,
  p_expect_streams text[], p_expect_versions integer[],
  p_fence_owner text, p_fence_streams text[], p_fence_epochs bigint[],
  p_writer text
) RETURNS TABLE (out_position bigint, out_version integer)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_head   bigint;
  v_actual integer;
  v_owner  text;
  v_epoch  bigint;
  v_count  integer := coalesce(json_array_length(p_events), 0);
BEGIN
  ${lock}
  FOR i IN 1 .. coalesce(array_length(p_fence_streams, 1), 0) LOOP
    v_owner := NULL;
    v_epoch := NULL;
    SELECT m.owner, m.epoch INTO v_owner, v_epoch FROM ${s}.cluster_mailboxes m WHERE m.mailbox_id = p_fence_streams[i];
    IF v_owner IS DISTINCT FROM p_fence_owner OR v_epoch IS DISTINCT FROM p_fence_epochs[i] THEN
      RAISE EXCEPTION 'mailbox % is no longer owned by %', p_fence_streams[i], p_fence_owner
        USING ERRCODE = 'MA403',
              DETAIL = json_build_object('stream', p_fence_streams[i], 'epoch', p_fence_epochs[i],
                                         'owner', v_owner, 'currentEpoch', v_epoch)::text;
    END IF;
  END LOOP;
  FOR i IN 1 .. coalesce(array_length(p_expect_streams, 1), 0) LOOP
    SELECT coalesce(max(e.version), 0) INTO v_actual FROM ${s}.journal_events e WHERE e.stream = p_expect_streams[i];
    IF v_actual <> p_expect_versions[i] THEN
      RAISE EXCEPTION 'journal stream % is at version %, expected %', p_expect_streams[i], v_actual, p_expect_versions[i]
        USING ERRCODE = 'MA409',
              DETAIL = json_build_object('stream', p_expect_streams[i], 'expected', p_expect_versions[i],
                                         'actual', v_actual)::text;
    END IF;
  END LOOP;
  IF v_count = 0 THEN
    RETURN;
  END IF;
  SELECT coalesce(max(e.position), 0) INTO v_head FROM ${s}.journal_events e;
  RETURN QUERY
  WITH batch AS (
    SELECT t.ord, t.data->>'mailboxId' AS stream, t.data->>'type' AS type, t.data->>'key' AS msg_key,
           trunc((t.data->>'at')::numeric)::bigint AS at, t.data
    FROM json_array_elements(p_events) WITH ORDINALITY AS t(data, ord)
  ), heads AS MATERIALIZED (
    -- Materialised: read each stream's head once, before the insert below adds rows the lookup would have to skip.
    SELECT d.stream, (SELECT coalesce(max(e.version), 0) FROM ${s}.journal_events e WHERE e.stream = d.stream) AS head
    FROM (SELECT DISTINCT b.stream FROM batch b) d
  ), numbered AS (
    SELECT b.ord, b.stream, b.type, b.msg_key, b.at, b.data, v_head + b.ord AS pos,
           (h.head + row_number() OVER (PARTITION BY b.stream ORDER BY b.ord))::integer AS ver
    FROM batch b JOIN heads h ON h.stream = b.stream
  ), inserted AS (
    INSERT INTO ${s}.journal_events (position, stream, version, type, msg_key, at, data, writer, epoch)
    SELECT n.pos, n.stream, n.ver, n.type, n.msg_key, n.at, n.data, p_writer, f.epoch
    FROM numbered n
    LEFT JOIN unnest(p_fence_streams, p_fence_epochs) AS f(stream, epoch) ON f.stream = n.stream
    RETURNING position, version
  )
  SELECT ins.position, ins.version FROM inserted ins ORDER BY ins.position;
  PERFORM pg_notify(${channel}, (v_head + v_count)::text);
END
$fn$;

CREATE OR REPLACE FUNCTION ${s}.cluster_acquire(p_host text, p_mailboxes text[])
RETURNS TABLE (out_mailbox text, out_epoch bigint)
LANGUAGE plpgsql AS $fn$
BEGIN
  -- Ordered with appends: an append either commits before the new epoch (and the new owner's refresh sees it)
  -- or runs after it (and is fenced).
  ${lock}
  IF NOT EXISTS (SELECT 1 FROM ${s}.cluster_hosts h WHERE h.host_id = p_host AND h.lease_until > clock_timestamp()) THEN
    RETURN;
  END IF;
  RETURN QUERY
  WITH candidates AS (
    SELECT m.mailbox_id FROM ${s}.cluster_mailboxes m
    WHERE m.mailbox_id = ANY (p_mailboxes)
      AND (m.owner IS NULL OR m.owner = p_host OR NOT EXISTS (
            SELECT 1 FROM ${s}.cluster_hosts h WHERE h.host_id = m.owner AND h.lease_until > clock_timestamp()))
    ORDER BY m.mailbox_id
    FOR UPDATE SKIP LOCKED
  )
  UPDATE ${s}.cluster_mailboxes m
  SET owner = p_host, epoch = m.epoch + 1, acquired_at = clock_timestamp(), released_at = NULL
  FROM candidates c
  WHERE m.mailbox_id = c.mailbox_id
  RETURNING m.mailbox_id, m.epoch;
END
$fn$;
`;
    },
  },
  {
    id: 4,
    name: 'group append',
    sql: (schema) => appendGroupFunction(schema),
  },
  {
    id: 5,
    name: 'journal snapshots',
    sql: (schema) => `
CREATE TABLE ${quoteSchema(schema)}.journal_snapshots (
  position bigint PRIMARY KEY,
  at       bigint NOT NULL,
  data     bytea  NOT NULL
);
COMMENT ON TABLE ${quoteSchema(schema)}.journal_snapshots IS 'checkpoints of the projections (issue 16), newest kept';
`,
  },
  {
    id: 6,
    name: 'journal retention passes',
    sql: (schema) => `
CREATE TABLE ${quoteSchema(schema)}.journal_prunes (
  id               bigserial PRIMARY KEY,
  at               bigint NOT NULL,
  through_position bigint NOT NULL,
  before_at        bigint NOT NULL,
  removed          bigint NOT NULL
);
COMMENT ON TABLE ${quoteSchema(schema)}.journal_prunes IS 'retention passes that removed events (issue 16)';
`,
  },
];

/**
 * `journal_append_group(calls, events, writer)`: the appends of one group commit (issue 12, item 4) in one statement
 * and one transaction, under the journal lock taken once. `calls` is a small JSON array, one object per `append()`
 * call in arrival order: `{"n": event count, "expect": {stream: version}, "owner": host | null, "fence": {stream:
 * epoch}}`; `events` is one JSON array of every call's events, in order. The events are split and their columns
 * extracted once, before the lock is taken (so parsing does not lengthen the time all hosts wait). Then each call
 * is checked (fence first, then expected versions) against the journal as the earlier calls of the group left it,
 * and its events are inserted by one `INSERT … SELECT` over its slice of the arrays. A call that fails a check
 * writes nothing and gets one row with `out_error` ('fenced' or 'conflict') and the JSON detail; the others go on.
 * A successful call gets one row with its first position (its positions are consecutive) and its versions.
 */
function appendGroupFunction(schema: string): string {
  const s = quoteSchema(schema);
  const channel = literal(channels(schema).journal);
  return `
CREATE OR REPLACE FUNCTION ${s}.journal_append_group(p_calls json, p_events json, p_writer text)
RETURNS TABLE (out_call integer, out_error text, out_detail text, out_first bigint, out_versions integer[])
LANGUAGE plpgsql AS $fn$
DECLARE
  v_data   json[];
  v_stream text[];
  v_type   text[];
  v_key    text[];
  v_at     bigint[];
  v_head   bigint;
  v_start  bigint;
  v_from   integer := 1;
  v_call   json;
  v_ord    bigint;
  v_owner  text;
  v_epoch  bigint;
  v_actual integer;
  v_count  integer;
  v_check  record;
BEGIN
  SELECT array_agg(t.data ORDER BY t.ord), array_agg(t.data->>'mailboxId' ORDER BY t.ord),
         array_agg(t.data->>'type' ORDER BY t.ord), array_agg(t.data->>'key' ORDER BY t.ord),
         array_agg(trunc((t.data->>'at')::numeric)::bigint ORDER BY t.ord)
    INTO v_data, v_stream, v_type, v_key, v_at
    FROM json_array_elements(p_events) WITH ORDINALITY AS t(data, ord);
  PERFORM pg_advisory_xact_lock(${JOURNAL_LOCK}, hashtext(${literal(schema)}));
  SELECT coalesce(max(e.position), 0) INTO v_head FROM ${s}.journal_events e;
  v_start := v_head;
  FOR v_call, v_ord IN SELECT c.value, c.ordinality FROM json_array_elements(p_calls) WITH ORDINALITY AS c LOOP
    out_call := v_ord;
    out_error := NULL;
    out_detail := NULL;
    out_first := NULL;
    out_versions := NULL;
    v_count := (v_call->>'n')::integer;
    FOR v_check IN SELECT f.key AS stream, (f.value::text)::bigint AS epoch FROM json_each(v_call->'fence') f LOOP
      v_owner := NULL;
      v_epoch := NULL;
      SELECT m.owner, m.epoch INTO v_owner, v_epoch FROM ${s}.cluster_mailboxes m WHERE m.mailbox_id = v_check.stream;
      IF v_owner IS DISTINCT FROM (v_call->>'owner') OR v_epoch IS DISTINCT FROM v_check.epoch THEN
        out_error := 'fenced';
        out_detail := json_build_object('stream', v_check.stream, 'epoch', v_check.epoch, 'owner', v_owner,
                                        'currentEpoch', v_epoch)::text;
        EXIT;
      END IF;
    END LOOP;
    IF out_error IS NULL THEN
      FOR v_check IN SELECT x.key AS stream, (x.value::text)::integer AS version FROM json_each(v_call->'expect') x LOOP
        SELECT coalesce(max(e.version), 0) INTO v_actual FROM ${s}.journal_events e WHERE e.stream = v_check.stream;
        IF v_actual <> v_check.version THEN
          out_error := 'conflict';
          out_detail := json_build_object('stream', v_check.stream, 'expected', v_check.version,
                                          'actual', v_actual)::text;
          EXIT;
        END IF;
      END LOOP;
    END IF;
    IF out_error IS NULL AND v_count > 0 THEN
      WITH batch AS (
        SELECT b.ord, b.stream, b.type, b.msg_key, b.at, b.data
        FROM unnest(v_data[v_from : v_from + v_count - 1], v_stream[v_from : v_from + v_count - 1],
                    v_type[v_from : v_from + v_count - 1], v_key[v_from : v_from + v_count - 1],
                    v_at[v_from : v_from + v_count - 1]) WITH ORDINALITY AS b(data, stream, type, msg_key, at, ord)
      ), heads AS MATERIALIZED (
        -- Materialised: each stream's head is read once, before the insert adds rows the lookup would have to skip.
        SELECT d.stream, (SELECT coalesce(max(e.version), 0) FROM ${s}.journal_events e WHERE e.stream = d.stream) AS head
        FROM (SELECT DISTINCT b.stream FROM batch b) d
      ), fence AS (
        SELECT f.key AS stream, (f.value::text)::bigint AS epoch FROM json_each(v_call->'fence') f
      ), inserted AS (
        INSERT INTO ${s}.journal_events (position, stream, version, type, msg_key, at, data, writer, epoch)
        SELECT v_head + b.ord, b.stream,
               (h.head + row_number() OVER (PARTITION BY b.stream ORDER BY b.ord))::integer,
               b.type, b.msg_key, b.at, b.data, p_writer, f.epoch
        FROM batch b JOIN heads h ON h.stream = b.stream LEFT JOIN fence f ON f.stream = b.stream
        RETURNING position, version
      )
      SELECT array_agg(i.version ORDER BY i.position) INTO out_versions FROM inserted i;
      out_first := v_head + 1;
      v_head := v_head + v_count;
    END IF;
    v_from := v_from + v_count;
    RETURN NEXT;
  END LOOP;
  IF v_head > v_start THEN
    PERFORM pg_notify(${channel}, v_head::text);
  END IF;
END
$fn$;
`;
}
