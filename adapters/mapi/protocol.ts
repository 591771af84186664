/**
 * The bridge protocol: one JSON object per line over the child's stdin (requests) and stdout (responses). The child
 * announces itself with a `ready` line, then answers each request in order with the request's `id`. Anything the
 * backend throws travels as a {@link BridgeFailure} and is typed by the parent (adapters/mapi/errors.ts), so the
 * child never needs to know about MailServiceError.
 *
 * @module
 */
import type { MapiFlavour, MapiOp } from './types.js';

/**
 * A failure as the child reports it.
 *
 * - `com`: a COM call failed (winax sets `errno` to the HRESULT of IDispatch::Invoke and `code` to EXCEPINFO.scode).
 * - `mapi`: a Simple MAPI function returned a non-zero code (`fn` names it).
 * - `not-found`: the message or folder does not exist (any backend).
 * - `unavailable`: the backend cannot load (no Windows, winax/koffi/MAPI32.DLL missing).
 * - `internal`: anything else (a bug, a bad argument).
 *
 * @example
 * ```ts
 * const failure: BridgeFailure = { kind: 'com', hresult: 0x8001010a, scode: null, message: 'Call was rejected' };
 * ```
 */
export type BridgeFailure =
  | { readonly kind: 'com'; readonly hresult: number; readonly scode: number | null; readonly message: string }
  | { readonly kind: 'mapi'; readonly fn: string; readonly code: number; readonly message: string }
  | { readonly kind: 'not-found'; readonly what: 'message' | 'folder' | 'profile'; readonly message: string }
  | { readonly kind: 'unavailable'; readonly message: string }
  | { readonly kind: 'internal'; readonly message: string };

/**
 * A request line.
 *
 * @example
 * ```ts
 * const request: BridgeRequest = { id: 7, op: 'list', args: { unreadOnly: true } };
 * ```
 */
export interface BridgeRequest {
  readonly id: number;
  readonly op: MapiOp;
  readonly args: unknown;
}

/**
 * A response line: the result, or the failure of the request with the same `id`.
 *
 * @example
 * ```ts
 * const ok: BridgeResponse = { id: 7, ok: true, result: [] };
 * ```
 */
export type BridgeResponse =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: BridgeFailure };

/**
 * The first line the child writes once its backend is loaded (or the reason it could not load).
 *
 * @example
 * ```ts
 * const hello: BridgeHello = { ready: true, flavour: 'simple', pid: 4242, fake: false, error: null };
 * ```
 */
export interface BridgeHello {
  readonly ready: true;
  readonly flavour: MapiFlavour;
  readonly pid: number;
  /** True when a test fake stands in for Outlook/MAPI32.DLL. */
  readonly fake: boolean;
  /** Set when the backend could not be loaded: the child stays up only to report it. */
  readonly error: BridgeFailure | null;
}

/**
 * One line of the protocol (no embedded newline: JSON.stringify escapes them).
 *
 * @example
 * ```ts
 * process.stdout.write(encodeLine({ id: 1, ok: true, result: null }));
 * ```
 */
export function encodeLine(message: BridgeRequest | BridgeResponse | BridgeHello): string {
  return `${JSON.stringify(message)}\n`;
}

/**
 * Parses one line the child wrote; returns null for a line that is not a protocol message (a stray write to stdout).
 *
 * @example
 * ```ts
 * decodeChildLine('{"id":1,"ok":true,"result":null}'); // { id: 1, ok: true, result: null }
 * ```
 */
export function decodeChildLine(line: string): BridgeResponse | BridgeHello | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  if (record.ready === true && (record.flavour === 'extended' || record.flavour === 'simple')) {
    return value as BridgeHello;
  }
  if (typeof record.id === 'number' && (record.ok === true || (record.ok === false && isFailure(record.error)))) {
    return value as BridgeResponse;
  }
  return null;
}

/**
 * Parses one request line (child side); null when it is not a request.
 *
 * @example
 * ```ts
 * decodeRequestLine('{"id":1,"op":"logoff","args":{}}')?.op; // 'logoff'
 * ```
 */
export function decodeRequestLine(line: string): BridgeRequest | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  if (typeof record.id !== 'number' || typeof record.op !== 'string') return null;
  return { id: record.id, op: record.op as MapiOp, args: record.args ?? {} };
}

function isFailure(value: unknown): value is BridgeFailure {
  if (typeof value !== 'object' || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  return kind === 'com' || kind === 'mapi' || kind === 'not-found' || kind === 'unavailable' || kind === 'internal';
}

/**
 * A failure thrown by child-side code to say exactly what went wrong (the child sends it as it is).
 *
 * @example
 * ```ts
 * throw new BridgeFailureError({ kind: 'not-found', what: 'folder', message: 'no folder "Archive"' });
 * ```
 */
export class BridgeFailureError extends Error {
  override readonly name = 'BridgeFailureError';
  readonly failure: BridgeFailure;

  constructor(failure: BridgeFailure) {
    super(failure.message);
    this.failure = failure;
  }
}

/**
 * What a COM error from winax (or the Outlook fake) looks like: `errno` is the HRESULT of IDispatch::Invoke,
 * `code` the EXCEPINFO scode when Invoke returned DISP_E_EXCEPTION.
 */
interface ComErrorLike {
  readonly errno?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly description?: unknown;
}

/**
 * Turns anything child-side code threw into a {@link BridgeFailure}; HRESULTs are normalised to unsigned 32 bit.
 *
 * @example
 * ```ts
 * toBridgeFailure(Object.assign(new Error('busy'), { errno: -2147417846 })); // { kind: 'com', hresult: 0x8001010a, … }
 * ```
 */
export function toBridgeFailure(error: unknown): BridgeFailure {
  if (error instanceof BridgeFailureError) return error.failure;
  const like = (typeof error === 'object' && error !== null ? error : {}) as ComErrorLike;
  const message =
    typeof like.description === 'string' && like.description.length > 0
      ? like.description
      : typeof like.message === 'string'
        ? like.message
        : String(error);
  if (typeof like.errno === 'number') {
    const scode = typeof like.code === 'number' && like.code !== 0 ? like.code >>> 0 : null;
    return { kind: 'com', hresult: like.errno >>> 0, scode, message };
  }
  return { kind: 'internal', message };
}
