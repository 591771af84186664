/**
 * Typed errors of the MAPI adapters: the bridge's own failures (timeout, crash), COM HRESULTs of the Outlook object
 * model and Simple MAPI return codes, each mapped to one {@link MailServiceError} with a stable code and whether
 * waiting can help. Values are from Microsoft's headers (winerror.h, mapi.h, mapicode.h); docs/mapi.md cites them.
 *
 * @module
 */
import { MailServiceError } from '../errors.js';
import type { BridgeFailure } from './protocol.js';

/**
 * COM HRESULTs the adapters recognise (unsigned 32 bit).
 *
 * @example
 * ```ts
 * if ((error.errno >>> 0) === HRESULT.RPC_E_SERVERCALL_RETRYLATER) retryLater();
 * ```
 */
export const HRESULT = {
  /** Invoke raised an exception; the real code is in EXCEPINFO.scode. */
  DISP_E_EXCEPTION: 0x80020009,
  DISP_E_BADINDEX: 0x8002000b,
  /** "Application is busy": Outlook's message filter asks the caller to retry later. */
  RPC_E_SERVERCALL_RETRYLATER: 0x8001010a,
  /** "Call was rejected by callee". */
  RPC_E_CALL_REJECTED: 0x80010001,
  /** The Outlook process went away under the caller. */
  RPC_E_DISCONNECTED: 0x80010108,
  RPC_S_SERVER_UNAVAILABLE: 0x800706ba,
  RPC_S_CALL_FAILED: 0x800706be,
  /** Outlook is not installed (no ProgID Outlook.Application). */
  REGDB_E_CLASSNOTREG: 0x80040154,
  /** Outlook could not be started (often: caller and Outlook run at different integrity levels). */
  CO_E_SERVER_EXEC_FAILURE: 0x80080005,
  E_ACCESSDENIED: 0x80070005,
  E_FAIL: 0x80004005,
  MAPI_E_BUSY: 0x8004010b,
  MAPI_E_NOT_FOUND: 0x8004010f,
  /** "The item has been moved or deleted." */
  MAPI_E_OBJECT_DELETED: 0x8004010a,
  /** The member does not exist on this object (e.g. SenderEmailAddress of a ReportItem). */
  DISP_E_UNKNOWNNAME: 0x80020006,
  DISP_E_MEMBERNOTFOUND: 0x80020003,
  MAPI_E_LOGON_FAILED: 0x80040111,
  MAPI_E_NETWORK_ERROR: 0x80040115,
} as const;

/**
 * Simple MAPI return codes (mapi.h).
 *
 * @example
 * ```ts
 * if (rc === SIMPLE_MAPI.MAPI_E_NO_MESSAGES) break; // enumeration complete
 * ```
 */
export const SIMPLE_MAPI = {
  SUCCESS_SUCCESS: 0,
  MAPI_E_USER_ABORT: 1,
  MAPI_E_FAILURE: 2,
  MAPI_E_LOGON_FAILURE: 3,
  MAPI_E_DISK_FULL: 4,
  MAPI_E_INSUFFICIENT_MEMORY: 5,
  MAPI_E_ACCESS_DENIED: 6,
  MAPI_E_TOO_MANY_SESSIONS: 8,
  MAPI_E_TOO_MANY_FILES: 9,
  MAPI_E_TOO_MANY_RECIPIENTS: 10,
  MAPI_E_ATTACHMENT_NOT_FOUND: 11,
  MAPI_E_ATTACHMENT_OPEN_FAILURE: 12,
  MAPI_E_ATTACHMENT_WRITE_FAILURE: 13,
  MAPI_E_UNKNOWN_RECIPIENT: 14,
  MAPI_E_BAD_RECIPTYPE: 15,
  MAPI_E_NO_MESSAGES: 16,
  MAPI_E_INVALID_MESSAGE: 17,
  MAPI_E_TEXT_TOO_LARGE: 18,
  MAPI_E_INVALID_SESSION: 19,
  MAPI_E_TYPE_NOT_SUPPORTED: 20,
  MAPI_E_AMBIGUOUS_RECIPIENT: 21,
  MAPI_E_MESSAGE_IN_USE: 22,
  MAPI_E_NETWORK_FAILURE: 23,
  MAPI_E_INVALID_EDITFIELDS: 24,
  MAPI_E_INVALID_RECIPS: 25,
  MAPI_E_NOT_SUPPORTED: 26,
} as const;

const SIMPLE_MAPI_NAMES = new Map<number, string>(Object.entries(SIMPLE_MAPI).map(([name, code]) => [code, name]));
const HRESULT_NAMES = new Map<number, string>(Object.entries(HRESULT).map(([name, code]) => [code, name]));

/**
 * The name of a Simple MAPI return code (`MAPI_E_NO_MESSAGES`), or `code N` when unknown.
 *
 * @example
 * ```ts
 * simpleMapiCodeName(16); // 'MAPI_E_NO_MESSAGES'
 * ```
 */
export function simpleMapiCodeName(code: number): string {
  return SIMPLE_MAPI_NAMES.get(code) ?? `code ${code}`;
}

/**
 * An HRESULT as `0x8001010A (RPC_E_SERVERCALL_RETRYLATER)`.
 *
 * @example
 * ```ts
 * hresultText(0x8004010f); // '0x8004010F (MAPI_E_NOT_FOUND)'
 * ```
 */
export function hresultText(hresult: number): string {
  const hex = `0x${(hresult >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
  const name = HRESULT_NAMES.get(hresult >>> 0);
  return name ? `${hex} (${name})` : hex;
}

/** Code, retryability and a hint per COM HRESULT. */
const COM_MAP = new Map<number, { code: string; retryable: boolean; hint: string }>([
  [HRESULT.RPC_E_SERVERCALL_RETRYLATER, { code: 'MAPI_BUSY', retryable: true, hint: 'Outlook is busy' }],
  [HRESULT.RPC_E_CALL_REJECTED, { code: 'MAPI_BUSY', retryable: true, hint: 'Outlook rejected the call (busy)' }],
  [HRESULT.MAPI_E_BUSY, { code: 'MAPI_BUSY', retryable: true, hint: 'the message store is busy' }],
  [HRESULT.RPC_E_DISCONNECTED, { code: 'OUTLOOK_GONE', retryable: true, hint: 'the Outlook process went away' }],
  [HRESULT.RPC_S_SERVER_UNAVAILABLE, { code: 'OUTLOOK_GONE', retryable: true, hint: 'Outlook is unavailable' }],
  [HRESULT.RPC_S_CALL_FAILED, { code: 'OUTLOOK_GONE', retryable: true, hint: 'the call to Outlook failed' }],
  [
    HRESULT.MAPI_E_NETWORK_ERROR,
    { code: 'MAPI_NETWORK_ERROR', retryable: true, hint: 'the mail server is not reachable' },
  ],
  [
    HRESULT.MAPI_E_LOGON_FAILED,
    { code: 'MAPI_LOGON_FAILED', retryable: false, hint: 'logon to the MAPI profile failed (check the profile name)' },
  ],
  [HRESULT.MAPI_E_NOT_FOUND, { code: 'MESSAGE_NOT_FOUND', retryable: false, hint: 'not found in the store' }],
  [
    HRESULT.MAPI_E_OBJECT_DELETED,
    { code: 'MESSAGE_NOT_FOUND', retryable: false, hint: 'the item has been moved or deleted' },
  ],
  [
    HRESULT.E_ACCESSDENIED,
    {
      code: 'MAPI_ACCESS_DENIED',
      retryable: false,
      hint: 'access denied (an Outlook security prompt set to deny? see docs/mapi.md)',
    },
  ],
  [
    HRESULT.REGDB_E_CLASSNOTREG,
    { code: 'MAPI_UNAVAILABLE', retryable: false, hint: 'Outlook is not installed (no Outlook.Application)' },
  ],
  [
    HRESULT.CO_E_SERVER_EXEC_FAILURE,
    {
      code: 'MAPI_UNAVAILABLE',
      retryable: false,
      hint: 'Outlook could not be started for this user (run both at the same integrity level, not elevated)',
    },
  ],
]);

/** Code and retryability per Simple MAPI return code. */
const SIMPLE_MAP = new Map<number, { code: string; retryable: boolean }>([
  [SIMPLE_MAPI.MAPI_E_LOGON_FAILURE, { code: 'MAPI_LOGON_FAILED', retryable: false }],
  [SIMPLE_MAPI.MAPI_E_USER_ABORT, { code: 'MAPI_USER_ABORT', retryable: false }],
  [SIMPLE_MAPI.MAPI_E_FAILURE, { code: 'MAPI_CALL_FAILED', retryable: true }],
  [SIMPLE_MAPI.MAPI_E_INSUFFICIENT_MEMORY, { code: 'MAPI_CALL_FAILED', retryable: true }],
  [SIMPLE_MAPI.MAPI_E_TOO_MANY_SESSIONS, { code: 'MAPI_BUSY', retryable: true }],
  [SIMPLE_MAPI.MAPI_E_MESSAGE_IN_USE, { code: 'MAPI_BUSY', retryable: true }],
  [SIMPLE_MAPI.MAPI_E_INVALID_SESSION, { code: 'MAPI_SESSION_LOST', retryable: true }],
  [SIMPLE_MAPI.MAPI_E_NETWORK_FAILURE, { code: 'MAPI_NETWORK_ERROR', retryable: true }],
  [SIMPLE_MAPI.MAPI_E_INVALID_MESSAGE, { code: 'MESSAGE_NOT_FOUND', retryable: false }],
  [SIMPLE_MAPI.MAPI_E_ACCESS_DENIED, { code: 'MAPI_ACCESS_DENIED', retryable: false }],
  [SIMPLE_MAPI.MAPI_E_DISK_FULL, { code: 'MAPI_DISK_FULL', retryable: false }],
  [SIMPLE_MAPI.MAPI_E_UNKNOWN_RECIPIENT, { code: 'SEND_REJECTED', retryable: false }],
  [SIMPLE_MAPI.MAPI_E_AMBIGUOUS_RECIPIENT, { code: 'SEND_REJECTED', retryable: false }],
  [SIMPLE_MAPI.MAPI_E_BAD_RECIPTYPE, { code: 'SEND_REJECTED', retryable: false }],
  [SIMPLE_MAPI.MAPI_E_INVALID_RECIPS, { code: 'SEND_REJECTED', retryable: false }],
  [SIMPLE_MAPI.MAPI_E_TOO_MANY_RECIPIENTS, { code: 'SEND_REJECTED', retryable: false }],
  [SIMPLE_MAPI.MAPI_E_TEXT_TOO_LARGE, { code: 'SEND_REJECTED', retryable: false }],
  [SIMPLE_MAPI.MAPI_E_ATTACHMENT_NOT_FOUND, { code: 'MAPI_ATTACHMENT_FAILED', retryable: false }],
  [SIMPLE_MAPI.MAPI_E_ATTACHMENT_OPEN_FAILURE, { code: 'MAPI_ATTACHMENT_FAILED', retryable: false }],
  [SIMPLE_MAPI.MAPI_E_ATTACHMENT_WRITE_FAILURE, { code: 'MAPI_ATTACHMENT_FAILED', retryable: false }],
  [SIMPLE_MAPI.MAPI_E_NOT_SUPPORTED, { code: 'MAPI_NOT_SUPPORTED', retryable: false }],
  [SIMPLE_MAPI.MAPI_E_TYPE_NOT_SUPPORTED, { code: 'MAPI_NOT_SUPPORTED', retryable: false }],
]);

/**
 * Where a failure happened, for the message: `Outlook profile "Support": list`.
 *
 * @example
 * ```ts
 * const context: MapiErrorContext = { mailboxId: 'support', where: 'Outlook profile "Support"', op: 'list' };
 * ```
 */
export interface MapiErrorContext {
  readonly mailboxId: string;
  readonly where: string;
  readonly op: string;
}

/**
 * Maps what the bridge child reported to a {@link MailServiceError}: COM "server busy"
 * (RPC_E_SERVERCALL_RETRYLATER, RPC_E_CALL_REJECTED, MAPI_E_BUSY) to MAPI_BUSY (retryable), logon failures
 * (MAPI_E_LOGON_FAILED, Simple MAPI's MAPI_E_LOGON_FAILURE) to MAPI_LOGON_FAILED (not retryable), a missing
 * message to MESSAGE_NOT_FOUND, a missing folder to FOLDER_NOT_FOUND, an unloadable backend to MAPI_UNAVAILABLE;
 * unknown HRESULTs to MAPI_CALL_FAILED (retryable, with the hex code in the message).
 *
 * @example
 * ```ts
 * toMapiError({ kind: 'mapi', fn: 'MAPILogon', code: 3, message: 'logon failed' },
 *   { mailboxId: 'a', where: 'Simple MAPI profile "Support"', op: 'logon' }).code; // 'MAPI_LOGON_FAILED'
 * ```
 */
export function toMapiError(failure: BridgeFailure, context: MapiErrorContext): MailServiceError {
  const make = (code: string, retryable: boolean, text: string) =>
    new MailServiceError({
      code,
      message: `${context.where}: ${context.op}: ${text}`,
      retryable,
      mailboxId: context.mailboxId,
    });
  switch (failure.kind) {
    case 'com': {
      // DISP_E_EXCEPTION only says "the callee raised"; the callee's own code is the one that means something.
      const effective = failure.scode ?? failure.hresult;
      const known = COM_MAP.get(effective) ?? COM_MAP.get(failure.hresult);
      const detail = `${failure.message} [${hresultText(effective)}]`;
      if (known) return make(known.code, known.retryable, `${known.hint}: ${detail}`);
      return make('MAPI_CALL_FAILED', true, detail);
    }
    case 'mapi': {
      const known = SIMPLE_MAP.get(failure.code);
      const detail = `${failure.fn} returned ${simpleMapiCodeName(failure.code)} (${failure.code}): ${failure.message}`;
      if (known) return make(known.code, known.retryable, detail);
      return make('MAPI_CALL_FAILED', true, detail);
    }
    case 'not-found': {
      const code =
        failure.what === 'folder'
          ? 'FOLDER_NOT_FOUND'
          : failure.what === 'profile'
            ? 'MAPI_LOGON_FAILED'
            : 'MESSAGE_NOT_FOUND';
      return make(code, false, failure.message);
    }
    case 'unavailable':
      return make('MAPI_UNAVAILABLE', false, failure.message);
    case 'internal':
      return make('MAPI_BRIDGE_ERROR', true, failure.message);
  }
}

/**
 * The error of an action the service did not declare in its capabilities (never retryable: the rule needs another
 * service, SPEC S13).
 *
 * @example
 * ```ts
 * throw capabilityMissing('support', 'Simple MAPI', 'moveTo', 'Simple MAPI has no folders');
 * ```
 */
export function capabilityMissing(mailboxId: string, service: string, action: string, why: string): MailServiceError {
  return new MailServiceError({
    code: 'CAPABILITY_MISSING',
    message: `${service}: ${action} is not available: ${why}`,
    retryable: false,
    mailboxId,
  });
}
