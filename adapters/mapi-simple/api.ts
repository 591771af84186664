/**
 * Simple MAPI as the driver sees it: the MAPI32.DLL functions with their C signatures kept (session handles, flags,
 * return codes, caller-freed buffers), C structures as plain objects. The koffi binding (koffi-backend.ts) and the
 * test fake implement this; the driver uses nothing else.
 *
 * @module
 */

/**
 * Flags of mapi.h.
 *
 * @example
 * ```ts
 * api.MAPIReadMail(session, 0, id, MAPI.PEEK | MAPI.ENVELOPE_ONLY);
 * ```
 */
export const MAPI = {
  LOGON_UI: 0x0001,
  NEW_SESSION: 0x0002,
  FORCE_DOWNLOAD: 0x1000,
  DIALOG: 0x0008,
  UNREAD_ONLY: 0x0020,
  ENVELOPE_ONLY: 0x0040,
  PEEK: 0x0080,
  GUARANTEE_FIFO: 0x0100,
  BODY_AS_FILE: 0x0200,
  SUPPRESS_ATTACH: 0x0800,
  LONG_MSGID: 0x4000,
  /** MapiMessage.flFlags */
  UNREAD: 0x0001,
  RECEIPT_REQUESTED: 0x0002,
  SENT: 0x0004,
  /** MapiRecipDesc.ulRecipClass */
  ORIG: 0,
  TO: 1,
  CC: 2,
  BCC: 3,
} as const;

/** Characters of the buffer MAPIFindNext writes the message id into (with MAPI_LONG_MSGID: 512). */
export const MESSAGE_ID_BUFFER_CHARS = 512;

/**
 * MapiRecipDesc.
 *
 * @example
 * ```ts
 * const to: SimpleMapiRecip = { recipClass: MAPI.TO, name: 'Ada', address: 'SMTP:ada@example.test' };
 * ```
 */
export interface SimpleMapiRecip {
  readonly recipClass: number;
  readonly name: string | null;
  /** `addresstype:address`, e.g. `SMTP:ada@example.test`. */
  readonly address: string | null;
}

/**
 * MapiFileDesc: an attachment as a file on disk (MAPIReadMail writes it to a temporary file; MAPISendMail reads it).
 *
 * @example
 * ```ts
 * const file: SimpleMapiFile = { pathName: 'C:\\Temp\\x.pdf', fileName: 'Invoice.pdf' };
 * ```
 */
export interface SimpleMapiFile {
  readonly pathName: string | null;
  readonly fileName: string | null;
}

/**
 * MapiMessage as MAPIReadMail returns it and MAPISendMail takes it.
 *
 * @example
 * ```ts
 * const message: SimpleMapiMessage = { subject: 'Hi', noteText: 'x', messageType: null, dateReceived: null,
 *   conversationId: null, flags: 0, originator: null, recips: [], files: [] };
 * ```
 */
export interface SimpleMapiMessage {
  readonly subject: string | null;
  readonly noteText: string | null;
  readonly messageType: string | null;
  /** `YYYY/MM/DD HH:MM`, 24-hour clock, local time. */
  readonly dateReceived: string | null;
  readonly conversationId: string | null;
  readonly flags: number;
  readonly originator: SimpleMapiRecip | null;
  readonly recips: readonly SimpleMapiRecip[];
  readonly files: readonly SimpleMapiFile[];
}

/**
 * The MAPI32.DLL functions the driver calls. Every function returns the Simple MAPI return code (`rc`, 0 =
 * SUCCESS_SUCCESS); out parameters come back beside it. `uiParam` is always 0 (no parent window: no UI).
 *
 * @example
 * ```ts
 * const { rc, session } = api.MAPILogon(0, 'Support', null, MAPI.NEW_SESSION);
 * ```
 */
export interface SimpleMapiApi {
  MAPILogon(
    uiParam: number,
    profile: string | null,
    password: string | null,
    flags: number,
  ): { rc: number; session: number };
  MAPILogoff(session: number, uiParam: number, flags: number): number;
  MAPIFindNext(
    session: number,
    uiParam: number,
    messageType: string | null,
    seedMessageId: string | null,
    flags: number,
  ): { rc: number; messageId: string };
  /** On success `buffer` must be released with {@link SimpleMapiApi.MAPIFreeBuffer}. */
  MAPIReadMail(
    session: number,
    uiParam: number,
    messageId: string,
    flags: number,
  ): { rc: number; message: SimpleMapiMessage | null; buffer: unknown };
  MAPIFreeBuffer(buffer: unknown): number;
  MAPIDeleteMail(session: number, uiParam: number, messageId: string, flags: number): number;
  /** ANSI MAPISendMail. */
  MAPISendMail(session: number, uiParam: number, message: SimpleMapiMessage, flags: number): number;
  /** MAPISendMailW (Unicode; Windows 8 and later), when the DLL exports it. */
  readonly MAPISendMailW?: (session: number, uiParam: number, message: SimpleMapiMessage, flags: number) => number;
}
