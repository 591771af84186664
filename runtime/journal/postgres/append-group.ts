/**
 * One group of journal appends as one call of `journal_append_group` (migration 4): how the calls are written into
 * the statement's JSON, and how its rows become each call's stored events or its own error (issue 12, item 4).
 *
 * @module
 */
import type { JournalEvent, StoredEvent } from '../events.js';
import { JournalConflictError } from '../store.js';
import { type AppendFence, JournalFencedError } from './fence.js';

/**
 * One `append()` call, prepared for its group: the events already serialised once (the database splits the JSON,
 * and parsing it back gives the caller fresh copies that share nothing with what it passed in).
 *
 * @example
 * ```ts
 * const call = prepareAppend(events, { support: 12 }, { owner: 'host-a', epochs: { support: 3 } });
 * ```
 */
export interface PreparedAppend {
  /** This call's element of the group's array of calls (its checks and event count; the events go apart). */
  readonly json: string;
  /** The events, serialised: a JSON array (its elements go into the group's events; parsed back for the result). */
  readonly eventsJson: string;
  readonly count: number;
  /** The first event's stream, named by errors that cannot tell which stream caused them. */
  readonly firstStream: string;
}

/** One row of `journal_append_group`. */
export interface AppendGroupRow {
  out_call: number;
  out_error: 'fenced' | 'conflict' | null;
  out_detail: string | null;
  out_first: string | null;
  out_versions: number[] | null;
}

/**
 * Serialises one call for {@link appendGroupQuery}.
 *
 * @example
 * ```ts
 * prepareAppend([{ type: 'mailbox.attempt', mailboxId: 'support', at: 0, attempt: 1 }], { support: 0 }).count; // 1
 * ```
 */
export function prepareAppend(
  events: readonly JournalEvent[],
  expected: Readonly<Record<string, number>> | undefined,
  fence?: AppendFence,
): PreparedAppend {
  const eventsJson = JSON.stringify(events);
  const json =
    `{"n":${events.length},"expect":${JSON.stringify(expected ?? {})},` +
    `"owner":${JSON.stringify(fence?.owner ?? null)},"fence":${JSON.stringify(fence?.epochs ?? {})}}`;
  return { json, eventsJson, count: events.length, firstStream: events[0]?.mailboxId ?? '' };
}

/**
 * The statement and values that commit `calls` as one group.
 *
 * @example
 * ```ts
 * const { rows } = await pool.query({ ...appendGroupQuery('"mail_autopilot"', calls, 'host-a'), name: 'group' });
 * ```
 */
export function appendGroupQuery(
  quotedSchema: string,
  calls: readonly PreparedAppend[],
  writer: string | null,
): { text: string; values: [string, string, string | null] } {
  // The calls' event arrays joined into one, without parsing them again: drop each one's brackets.
  const events = calls
    .filter((call) => call.count > 0)
    .map((call) => call.eventsJson.slice(1, -1))
    .join(',');
  return {
    text:
      'SELECT out_call, out_error, out_detail, out_first, out_versions ' +
      `FROM ${quotedSchema}.journal_append_group($1::json, $2::json, $3)`,
    values: [`[${calls.map((call) => call.json).join(',')}]`, `[${events}]`, writer],
  };
}

/**
 * Turns the statement's rows into one outcome per call, in order: its stored events, or its own error.
 *
 * @example
 * ```ts
 * const outcomes = appendGroupOutcomes(calls, rows); // (StoredEvent[] | JournalConflictError)[]
 * ```
 */
export function appendGroupOutcomes(
  calls: readonly PreparedAppend[],
  rows: readonly AppendGroupRow[],
): (readonly StoredEvent[] | Error)[] {
  const outcomes = new Array<readonly StoredEvent[] | Error>(calls.length);
  for (const row of rows) {
    const index = Number(row.out_call) - 1;
    const call = calls[index];
    if (!call) continue;
    if (row.out_error !== null) {
      outcomes[index] = appendCheckError(row.out_error, row.out_detail, call.firstStream);
      continue;
    }
    const stored = JSON.parse(call.eventsJson) as { position: number; version: number }[];
    const first = Number(row.out_first ?? 0);
    const versions = row.out_versions ?? [];
    for (let i = 0; i < stored.length; i++) {
      stored[i]!.position = first + i;
      stored[i]!.version = versions[i]!;
    }
    outcomes[index] = stored as unknown as StoredEvent[];
  }
  return outcomes;
}

/**
 * The error of a call whose check failed in the database (`fenced`: not the lease's owner and epoch; `conflict`:
 * an expected version did not hold).
 *
 * @example
 * ```ts
 * appendCheckError('conflict', '{"stream":"support","expected":1,"actual":2}', 'support'); // JournalConflictError
 * ```
 */
export function appendCheckError(
  kind: 'fenced' | 'conflict',
  detailText: string | null,
  firstStream: string,
): JournalConflictError {
  const detail = JSON.parse(detailText ?? '{}') as {
    stream?: string;
    expected?: number;
    actual?: number;
    epoch?: number | null;
    owner?: string | null;
    currentEpoch?: number | null;
  };
  const stream = detail.stream ?? firstStream;
  if (kind === 'conflict') return new JournalConflictError(stream, detail.expected ?? -1, detail.actual ?? -1);
  return new JournalFencedError(
    stream,
    detail.owner
      ? `owned by ${detail.owner} at epoch ${detail.currentEpoch}, not by this host at epoch ${detail.epoch}`
      : `released (this host held epoch ${detail.epoch})`,
    { currentOwner: detail.owner ?? null, claimedEpoch: detail.epoch ?? null },
  );
}
