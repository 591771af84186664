/**
 * The snapshot format (issue 16): the projections a start needs, as one versioned document, compressed, with a
 * checksum. Bytes: gzip of a header line `{"version":1,"position":N,"sha256":"…"}` followed by `\n` and the JSON of
 * the projections; the checksum is over those JSON bytes. A reader that finds another version, a position other
 * than the one the store filed it under, bytes gzip cannot inflate, a checksum mismatch or JSON it cannot parse
 * gets a reason instead of content, and folds the journal from the start (slower, never wrong).
 *
 * Change {@link SNAPSHOT_VERSION} whenever a projection's fold or its exported shape changes: a snapshot is only
 * valid for the fold that made it.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { MailboxStatus } from './mailbox-projection.js';
import type { MessageProjectionState } from './message-projection.js';

/**
 * The version this program writes and the only one it reads.
 *
 * @example
 * ```ts
 * if (header.version !== SNAPSHOT_VERSION) ignore();
 * ```
 */
export const SNAPSHOT_VERSION = 1;

/**
 * What a snapshot holds: the journal's own projections and those of the extra projections that can be saved (by
 * their `snapshotKey`).
 *
 * @example
 * ```ts
 * const p: SnapshotProjections = { messages: messages.exportState(), mailboxes: mailboxes.exportState(), extra: {} };
 * ```
 */
export interface SnapshotProjections {
  readonly messages: MessageProjectionState;
  readonly mailboxes: readonly MailboxStatus[];
  /** Per extra projection's `snapshotKey`: its exported state. */
  readonly extra: Readonly<Record<string, unknown>>;
}

/**
 * A decoded snapshot.
 *
 * @example
 * ```ts
 * const content: SnapshotContent = { version: 1, position: 42, projections };
 * ```
 */
export interface SnapshotContent {
  readonly version: typeof SNAPSHOT_VERSION;
  readonly position: number;
  readonly projections: SnapshotProjections;
}

/**
 * The outcome of {@link decodeSnapshot}: the content, or why it cannot be used.
 *
 * @example
 * ```ts
 * const decoded = decodeSnapshot(stored.data, stored.position);
 * if (!decoded.ok) log.warn(`snapshot ignored: ${decoded.reason}`);
 * ```
 */
export type DecodedSnapshot =
  | { readonly ok: true; readonly content: SnapshotContent }
  | { readonly ok: false; readonly reason: string };

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Encodes projections covering the journal up to `position`. Compression level 1: the document is mostly keys and
 * numbers, level 1 already shrinks it several times, and the writer runs beside the message path.
 *
 * @example
 * ```ts
 * await store.writeSnapshot({ position, at: Date.now(), data: encodeSnapshot(position, projections) });
 * ```
 */
export function encodeSnapshot(position: number, projections: SnapshotProjections): Uint8Array {
  const body = Buffer.from(JSON.stringify(projections), 'utf8');
  const header = Buffer.from(`${JSON.stringify({ version: SNAPSHOT_VERSION, position, sha256: sha256(body) })}\n`);
  return new Uint8Array(gzipSync(Buffer.concat([header, body]), { level: 1 }));
}

/**
 * Decodes and checks a snapshot the store filed under `position`. Never throws: a damaged snapshot is a reason.
 *
 * @example
 * ```ts
 * const decoded = decodeSnapshot(data, 42);
 * if (decoded.ok) restore(decoded.content.projections);
 * ```
 */
export function decodeSnapshot(data: Uint8Array, position: number): DecodedSnapshot {
  let raw: Buffer;
  try {
    raw = gunzipSync(data);
  } catch (error) {
    return { ok: false, reason: `not readable as gzip (${(error as Error).message})` };
  }
  const newline = raw.indexOf(0x0a);
  if (newline < 0) return { ok: false, reason: 'no header line' };
  let header: { version?: unknown; position?: unknown; sha256?: unknown };
  try {
    header = JSON.parse(raw.subarray(0, newline).toString('utf8'));
  } catch {
    return { ok: false, reason: 'header is not JSON' };
  }
  if (header?.version !== SNAPSHOT_VERSION) {
    return { ok: false, reason: `version ${JSON.stringify(header?.version)} (this program reads ${SNAPSHOT_VERSION})` };
  }
  if (header.position !== position) {
    return { ok: false, reason: `it says position ${header.position} but is stored as ${position}` };
  }
  const body = raw.subarray(newline + 1);
  if (header.sha256 !== sha256(body)) return { ok: false, reason: 'checksum mismatch' };
  let projections: SnapshotProjections;
  try {
    projections = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  if (typeof projections !== 'object' || projections === null || typeof projections.extra !== 'object') {
    return { ok: false, reason: 'body has no projections' };
  }
  return { ok: true, content: { version: SNAPSHOT_VERSION, position, projections } };
}
