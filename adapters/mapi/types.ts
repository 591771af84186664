/**
 * The data that crosses the bridge between the MAPI service (parent process) and the bridge child that makes the
 * MAPI/COM calls: plain JSON, binary content as base64. Both MAPI flavours (Outlook object model, Simple MAPI) speak
 * the same operations, so one parent-side session serves both.
 *
 * @module
 */

/**
 * Which backend the bridge child drives.
 *
 * @example
 * ```ts
 * const flavour: MapiFlavour = 'extended'; // Outlook object model through winax
 * ```
 */
export type MapiFlavour = 'extended' | 'simple';

/**
 * An address as MAPI reports it: a display name and an SMTP address (empty when the store only has an
 * Exchange X.500 address or none).
 *
 * @example
 * ```ts
 * const from: MapiAddress = { name: 'Ada Lovelace', address: 'ada@example.test' };
 * ```
 */
export interface MapiAddress {
  readonly name: string;
  readonly address: string;
}

/**
 * One candidate found by a listing: its current handle and the identity that outlives a move.
 *
 * @example
 * ```ts
 * const entry: MapiListEntry = { ref: '00000000AB…', key: 'outlook:sk:9F3C…', messageId: '<a@x>', unread: true };
 * ```
 */
export interface MapiListEntry {
  /** The handle for actions now: the EntryID (Outlook) or the Simple MAPI message id. Changes on a move. */
  readonly ref: string;
  /** Unique within the mailbox while the message exists, and the same after a move (see docs/mapi.md). */
  readonly key: string;
  /** The Internet Message-ID when the backend can read it (Simple MAPI cannot: always null). */
  readonly messageId: string | null;
  readonly unread: boolean;
}

/**
 * What discovery needs of one message besides its list entry: envelope fields and, where the store kept them, the
 * transport headers (PR_TRANSPORT_MESSAGE_HEADERS) as received.
 *
 * @example
 * ```ts
 * const envelope: MapiEnvelope = {
 *   ref: 'AB12', key: 'outlook:sk:9F3C', messageId: '<a@x>', unread: true, subject: 'Hello',
 *   from: [{ name: 'Ada', address: 'ada@example.test' }], to: [], cc: [], replyTo: [],
 *   receivedAt: '2024-01-02T03:04:05.000Z', size: 1234, transportHeaders: 'Subject: Hello\r\n',
 * };
 * ```
 */
export interface MapiEnvelope extends MapiListEntry {
  readonly subject: string;
  readonly from: readonly MapiAddress[];
  readonly to: readonly MapiAddress[];
  readonly cc: readonly MapiAddress[];
  readonly replyTo: readonly MapiAddress[];
  /** ISO 8601, or null when unknown. */
  readonly receivedAt: string | null;
  /** Size in bytes as the store reports it (0 when unknown). */
  readonly size: number;
  /** The Internet header block as received, or null (Simple MAPI; mail that never crossed a transport). */
  readonly transportHeaders: string | null;
}

/**
 * An attachment as read through the bridge; `contentBase64` is null when it was left out for size.
 *
 * @example
 * ```ts
 * const part: MapiAttachment = { filename: 'a.txt', contentType: 'text/plain', size: 3, contentBase64: 'YWJj' };
 * ```
 */
export interface MapiAttachment {
  readonly filename: string | null;
  readonly contentType: string;
  readonly size: number;
  readonly contentBase64: string | null;
}

/**
 * A message read whole: envelope plus bodies and attachments.
 *
 * @example
 * ```ts
 * const parts: MapiMessageParts = { ...envelope, text: 'Hi', html: null, attachments: [], truncated: false };
 * ```
 */
export interface MapiMessageParts extends MapiEnvelope {
  readonly text: string | null;
  readonly html: string | null;
  readonly attachments: readonly MapiAttachment[];
  /** True when attachments above the byte limit were left out. */
  readonly truncated: boolean;
}

/**
 * A message to send through MAPI (the subset of SmtpMessage that MAPI can express), attachments as base64.
 *
 * @example
 * ```ts
 * const mail: MapiOutgoing = { to: ['a@example.test'], cc: [], bcc: [], subject: 'Hi', text: 'x', html: null,
 *   headers: {}, attachments: [] };
 * ```
 */
export interface MapiOutgoing {
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly bcc: readonly string[];
  readonly subject: string;
  readonly text: string | null;
  readonly html: string | null;
  /** Extra Internet headers (Auto-Submitted, In-Reply-To, …): the Outlook backend sets them, Simple MAPI cannot. */
  readonly headers: Readonly<Record<string, string>>;
  readonly attachments: readonly {
    readonly filename: string;
    readonly contentType: string;
    readonly contentBase64: string;
  }[];
}

/**
 * The operations the bridge child offers, with their arguments and results.
 *
 * @example
 * ```ts
 * const args: MapiOps['read']['args'] = { ref: 'AB12', maxBytes: 1_000_000 };
 * ```
 */
export interface MapiOps {
  /** Logs on to the profile (empty = default, never with UI) and opens the folder. */
  logon: { args: { profile: string; folder: string }; result: { folder: string } };
  /** The candidates of the folder: unread only when asked. */
  list: { args: { unreadOnly: boolean }; result: MapiListEntry[] };
  /** Envelope and transport headers of one message, without marking it read. */
  envelope: { args: { ref: string }; result: MapiEnvelope };
  /** The whole message, without marking it read; attachments above `maxBytes` in sum are left out. */
  read: { args: { ref: string; maxBytes: number }; result: MapiMessageParts };
  markRead: { args: { ref: string }; result: null };
  /** Moves to a folder (path below the store root, created when missing); the result is the new handle. */
  move: { args: { ref: string; folder: string }; result: { ref: string } };
  delete: { args: { ref: string }; result: null };
  send: { args: { mail: MapiOutgoing }; result: { messageId: string | null } };
  logoff: { args: Record<string, never>; result: null };
}

/** The name of a bridge operation. */
export type MapiOp = keyof MapiOps;
