/**
 * The mail-service contract: what every adapter (IMAP, POP3, Extended MAPI, Simple MAPI) gives the mailbox machine
 * and the runtime. Adapters know *how* to speak a service; they never decide retry policy (that is the machine's)
 * nor what happens to a message (that is the runtime's).
 *
 * (Over 400 lines: it is the one contract every adapter and the runtime speak — sessions, messages, sinks, listings,
 * outgoing mail, logger, clock — and is read as one page; split, each adapter would import five files to see it.)
 *
 * @module
 */
import type { Readable } from 'node:stream';
import type { HandledLookup, MessageIdentity } from '../machines/message/identity.js';

// A message's identity and the handled lookup are the message core's vocabulary (machines/message); the contract
// speaks them.
export type { HandledLookup, MessageIdentity } from '../machines/message/identity.js';

/** The four services of SPEC S1. */
export type ServiceKind = 'imap' | 'pop3' | 'mapi-extended' | 'mapi-simple';

/**
 * What a service can do, declared by its adapter. The runtime rejects a rule whose actions need a capability the
 * service lacks (a configuration error naming the rule), instead of failing per message.
 *
 * @example
 * ```ts
 * const simpleMapi: MailServiceCapabilities = {
 *   unreadOnly: true, markRead: true, flag: false, move: false, delete: true, folders: false,
 *   rawMime: false, push: false, send: true,
 * };
 * ```
 */
export interface MailServiceCapabilities {
  /** Can restrict discovery to unread messages (S5). */
  readonly unreadOnly: boolean;
  readonly markRead: boolean;
  /** Can set flags/keywords (`\Flagged`, custom keywords). */
  readonly flag: boolean;
  /** Can move a message to another folder (Simple MAPI and POP3 cannot). */
  readonly move: boolean;
  readonly delete: boolean;
  /** Has folders other than the inbox. */
  readonly folders: boolean;
  /** Gives the original MIME source (Simple MAPI and the Outlook object model rebuild it from parts). */
  readonly rawMime: boolean;
  /** Is told of new mail by the server (IMAP IDLE) rather than only by polling. */
  readonly push: boolean;
  /** Can send mail itself (MAPI); IMAP and POP3 send through their SMTP transport. */
  readonly send: boolean;
}

/**
 * An address as parsed from a header.
 *
 * @example
 * ```ts
 * const from: MailAddress = { name: 'Ada', address: 'ada@example.test' };
 * ```
 */
export interface MailAddress {
  readonly name: string;
  readonly address: string;
}

/**
 * The envelope of a discovered message: enough for most rules without downloading the body.
 *
 * @example
 * ```ts
 * if (message.envelope.subject.startsWith('Undelivered')) { ... }
 * ```
 */
export interface MessageEnvelope {
  readonly subject: string;
  readonly from: readonly MailAddress[];
  readonly to: readonly MailAddress[];
  readonly cc: readonly MailAddress[];
  readonly replyTo: readonly MailAddress[];
  readonly date: Date | null;
  readonly messageId: string | null;
  readonly inReplyTo: string | null;
}

/**
 * A message as discovered: identity, flags, size, envelope and headers. Body and source are fetched only on
 * demand, through the session that discovered it.
 *
 * @example
 * ```ts
 * messages$.subscribe((m) => console.log(m.identity.key, m.envelope.subject, m.headers.get('list-id')));
 * ```
 */
export interface DiscoveredMessage {
  readonly identity: MessageIdentity;
  /** Service-level handle for actions (IMAP: UID; POP3: message number at discovery; MAPI: entry id). */
  readonly ref: string;
  readonly flags: readonly string[];
  /** Size in octets as the server reports it. */
  readonly size: number;
  readonly envelope: MessageEnvelope;
  /** Header fields, lower-case names, each with all its values in order (unfolded, decoded where RFC 2047 says). */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  /**
   * The attachments, where known without downloading the message (IMAP: from BODYSTRUCTURE, fetched when a rule
   * has an `attachment` condition), or after the runtime fetched the body for a rule (issue 15 point 6). Absent:
   * not known yet.
   */
  readonly attachments?: readonly AttachmentSummary[];
  /**
   * The text the `body` conditions test: the text part (else the text of the HTML part), at most the mailbox's
   * `bodyMatchBytes` bytes of UTF-8. Set by the runtime when it fetched the body because a rule's other conditions
   * held; absent otherwise.
   */
  readonly bodyText?: string;
}

/**
 * One attachment as a rule sees it: a part that is not the message's text or HTML body (a part with
 * `Content-Disposition: attachment`, a file name, or a type other than text/*; multipart containers are not parts).
 *
 * @example
 * ```ts
 * const pdf: AttachmentSummary = { filename: 'invoice.pdf', contentType: 'application/pdf', size: 48_213 };
 * ```
 */
export interface AttachmentSummary {
  /** The file name (Content-Disposition `filename`, else Content-Type `name`), decoded; `null` without one. */
  readonly filename: string | null;
  /** Lower-case `type/subtype`. */
  readonly contentType: string;
  /** Octets as the server reports them (encoded size for BODYSTRUCTURE), or the decoded size after a fetch. */
  readonly size: number;
}

/**
 * The body of a message as parsed by mailparser, limited to what rules and handlers use.
 *
 * @example
 * ```ts
 * const body = await session.fetchBody(message);
 * console.log(body.text?.slice(0, 200));
 * ```
 */
export interface MessageBody {
  readonly text: string | null;
  readonly html: string | null;
  readonly attachments: readonly {
    readonly filename: string | null;
    readonly contentType: string;
    readonly size: number;
    readonly content: Buffer | null;
  }[];
  /** True when the message was larger than the limit and parts were left out (the message is still reported). */
  readonly truncated: boolean;
}

/**
 * Where discovery puts messages. `next` may return a promise: the adapter awaits it before discovering more,
 * which is the back-pressure of ARCHITECTURE.md (no unbounded buffer between discovery and rules).
 *
 * @example
 * ```ts
 * const sink: DiscoverySink = { next: (m) => subject.next(m), checked: () => actor.send({ type: 'CHECKED' }) };
 * ```
 */
export interface DiscoverySink {
  next(message: DiscoveredMessage): void | Promise<void>;
  /** Called after each successful check of the server (IDLE notification, NOOP, poll), for liveness. */
  checked?(): void;
  /** Progress of a long first pass: done of total candidates. */
  progress?(done: number, total: number): void;
  /** Something a person should know that is not an error (e.g. UIDVALIDITY changed and messages were re-identified). */
  notice?(code: string, message: string): void;
  /**
   * Called once per session, after every message present when the session started has been passed to `next` and
   * each `next` promise resolved: the first pass is over (`run --once` stops here).
   */
  caughtUp?(): void;
  /**
   * Resolves when every message passed to `next` so far is finished by the runtime. With a handler concurrency above
   * 1, `next` resolves when the runtime accepted the message, not when it finished: an adapter that must commit
   * something after handling (POP3's QUIT) awaits `drain()` first.
   */
  drain?(): Promise<void>;
  /**
   * Batch delivery (issue 12): when present the adapter hands every batch it fetched (in UID order) here instead of
   * calling `next` per message, and awaits it (back-pressure). The runtime journals the batch's facts in one write.
   */
  nextBatch?(messages: readonly DiscoveredMessage[]): Promise<void>;
  /**
   * The server answered the rules' {@link SearchFilter} for a range of UIDs (issue 12 point 3): every candidate in
   * the range that was not delivered is one no rule can match. Awaited before the range's hits are delivered.
   */
  examined?(range: ExaminedRange): void | Promise<void>;
  /**
   * The highest UID of the folder (under this UIDVALIDITY) that earlier sessions reported as examined; the adapter
   * reports `examined` ranges only above it (a full pass after a reconnect splits its range there), so every message
   * ruled out by the server is counted once.
   */
  examinedThrough?(folder: string, uidValidity: string): number;
  /**
   * The server's whole listing of this pass, as keys (issue 16; POP3: every UIDL of the maildrop, each cycle, also
   * when it is empty), so the runtime can forget handled messages that are gone. Awaited before discovery goes on.
   */
  listed?(keys: readonly string[]): void | Promise<void>;
  /**
   * Asked before every full pass (IMAP): which old messages `startAt` leaves out. The runtime may journal a
   * baseline from the watermark (`startAt: new`, the first start). Absent: nothing is left out.
   */
  startBound?(watermark: FolderWatermark): StartBound | Promise<StartBound>;
}

/**
 * A folder as a session found it before a full discovery pass (IMAP: after SELECT), for `startAt` (issue 15).
 *
 * @example
 * ```ts
 * const watermark: FolderWatermark = { folder: 'INBOX', uidValidity: '7', uidNext: 6, exists: 5 };
 * ```
 */
export interface FolderWatermark {
  readonly folder: string;
  readonly uidValidity: string;
  readonly uidNext: number;
  readonly exists: number;
}

/**
 * What discovery leaves out, as the runtime decided from `startAt` (issue 15 point 3): every UID at or below
 * `aboveUid` (0: none), and messages whose internal date is before `since` (IMAP SEARCH SINCE / YOUNGER).
 *
 * @example
 * ```ts
 * const bound: StartBound = { aboveUid: 5, since: null };
 * ```
 */
export interface StartBound {
  readonly aboveUid: number;
  readonly since: Date | null;
}

/**
 * A range of a folder that discovery examined by asking the server (IMAP SEARCH with the rules' filter): `candidates`
 * messages had UIDs in `fromUid..throughUid` (unread only where configured), `hits` of them were delivered.
 *
 * @example
 * ```ts
 * const range: ExaminedRange = { folder: 'INBOX', uidValidity: '7', fromUid: 1, throughUid: 10000, candidates: 10000, hits: 1000 };
 * ```
 */
export interface ExaminedRange {
  readonly folder: string;
  readonly uidValidity: string;
  readonly fromUid: number;
  readonly throughUid: number;
  readonly candidates: number;
  readonly hits: number;
}

/**
 * A server-side pre-selection of candidates (issue 12 point 3), compiled from a mailbox's rules by the runtime: a
 * message the filter does not select is one no rule can match. It is a superset test only (IMAP SEARCH is a
 * case-insensitive substring match); the exact rule still runs locally on every hit.
 *
 * @example
 * ```ts
 * const filter: SearchFilter = { op: 'or', of: [
 *   { op: 'header', field: 'subject', contains: 'invoice' },
 *   { op: 'header', field: 'from', contains: '@shop.test' },
 * ] };
 * ```
 */
export type SearchFilter =
  | { readonly op: 'all' }
  | { readonly op: 'header'; readonly field: string; readonly contains: string }
  /** RFC822.SIZE above `larger` and/or below `smaller` octets (IMAP LARGER/SMALLER: exact, not a superset only). */
  | { readonly op: 'size'; readonly larger?: number; readonly smaller?: number }
  | { readonly op: 'and'; readonly of: readonly SearchFilter[] }
  | { readonly op: 'or'; readonly of: readonly SearchFilter[] }
  | { readonly op: 'not'; readonly of: SearchFilter };

/**
 * One message the server holds, as a completeness check lists it (issue 15 point 4): its identity key (the same key
 * discovery gives it), its `ref` for {@link MailSession.examine}, and for IMAP its folder, UIDVALIDITY and UID so the
 * check can compare it with the journal's examined ranges.
 *
 * @example
 * ```ts
 * const entry: ListedMessage = { key: 'imap:INBOX:7:42', ref: '42', folder: 'INBOX', uidValidity: '7', uid: 42 };
 * ```
 */
export interface ListedMessage {
  readonly key: string;
  readonly ref: string;
  readonly folder?: string;
  readonly uidValidity?: string;
  readonly uid?: number;
}

/**
 * What the server holds of the watched set right now (IMAP: `UID SEARCH` UNSEEN or ALL, and UIDNEXT; POP3: the
 * UIDL listing of the latest cycle).
 *
 * @example
 * ```ts
 * const listing: ServerListing = { messages: [{ key: 'pop3:abc', ref: 'abc' }] };
 * ```
 */
export interface ServerListing {
  readonly messages: readonly ListedMessage[];
  /** IMAP: the folder's UIDNEXT when it was listed. */
  readonly uidNext?: number;
  /**
   * IMAP with the rules' SEARCH filter: only the filter's hits are listed (what the server ruled out is examined
   * already), so the journal's examined ranges say nothing about the listed ones.
   */
  readonly filtered?: boolean;
}

/**
 * One live connection to a mailbox, opened by {@link MailService.connect}.
 *
 * @example
 * ```ts
 * const session = await service.connect(signal);
 * await session.watch(sink, signal); // resolves or rejects when the connection is lost
 * ```
 */
export interface MailSession {
  /**
   * Discovers every candidate message (unread only where configured) that the lookup does not report as handled,
   * then waits for new ones until the connection is lost (rejects with a typed error) or `signal` aborts
   * (resolves after closing).
   */
  watch(sink: DiscoverySink, signal: AbortSignal): Promise<void>;
  /** The raw RFC 5322 source, streamed. */
  fetchSource(message: DiscoveredMessage): Promise<Readable>;
  /** The parsed body; parts above the adapter's size limit are left out and `truncated` is set. */
  fetchBody(message: DiscoveredMessage): Promise<MessageBody>;
  /**
   * The first `maxBytes` bytes (UTF-8) of the message's text/plain body, fetched alone and partially (IMAP:
   * `BODY.PEEK[part]<0.n>`), decoded; `undefined` when the message has no text/plain body (the caller then fetches
   * the whole body for the text of its HTML). Where absent, `body:` conditions use {@link fetchBody} (issue 15
   * point 6).
   */
  fetchText?(message: DiscoveredMessage, maxBytes: number): Promise<string | undefined>;
  markRead(message: DiscoveredMessage): Promise<void>;
  flag(message: DiscoveredMessage, flag: string): Promise<void>;
  moveTo(message: DiscoveredMessage, folder: string): Promise<void>;
  delete(message: DiscoveredMessage): Promise<void>;
  /** Closes the connection politely (LOGOUT/QUIT) and releases its sockets and timers. Never throws. */
  close(): Promise<void>;
  /**
   * Batch forms of the actions (issue 12 point 2): one protocol command for the whole set where the protocol can
   * (IMAP: one `UID STORE` / `UID MOVE`, or COPY + STORE + EXPUNGE without MOVE). All messages are of this session.
   * Rejects with one typed error when the server refused the command; the runtime then retries message by message
   * to tell which ones failed. Absent: the runtime calls the single forms.
   */
  markReadMany?(messages: readonly DiscoveredMessage[]): Promise<void>;
  flagMany?(messages: readonly DiscoveredMessage[], flag: string): Promise<void>;
  moveToMany?(messages: readonly DiscoveredMessage[], folder: string): Promise<void>;
  deleteMany?(messages: readonly DiscoveredMessage[]): Promise<void>;
  /** Sources of several messages in one batched fetch (IMAP: `UID FETCH set BODY.PEEK[]`), by identity key. */
  fetchSources?(messages: readonly DiscoveredMessage[]): Promise<ReadonlyMap<string, Buffer>>;
  /** IMAP (issue 13 point 4): appends a copy of a sent mail to the Sent folder (SPECIAL-USE `\\Sent`), `\\Seen`. */
  saveSent?(raw: Buffer): Promise<void>;
  /** IMAP: whether the Sent folder holds a message with this Message-ID (recovery of a send without outcome). */
  findSent?(messageId: string): Promise<boolean>;
  /**
   * Completeness check (issue 15 point 4): lists what the server holds of the watched set, without downloading
   * anything. Rejects with a typed error when the session cannot ask (lost, closed).
   */
  listPresent?(): Promise<ServerListing>;
  /**
   * Asks the running `watch` to discover these messages (by {@link ListedMessage.ref}) at once, through the same sink
   * as every other message; the handled lookup still applies. Returns at once; the watch does the work.
   */
  examine?(refs: readonly string[]): void;
}

/**
 * One configured mailbox's service: declares capabilities and opens sessions.
 *
 * @example
 * ```ts
 * const service = createImapService(config, { handled: journal });
 * if (!service.capabilities.move) throw new Error('rule needs moveTo');
 * ```
 */
export interface MailService {
  readonly kind: ServiceKind;
  readonly mailboxId: string;
  readonly capabilities: MailServiceCapabilities;
  /** Opens a session; rejects with a typed {@link MailServiceError}. One deadline covers the whole connect. */
  connect(signal: AbortSignal): Promise<MailSession>;
  /**
   * Sends mail through the service itself. Present exactly when `capabilities.send` is true (the MAPI services,
   * whose mailboxes have no SMTP transport); IMAP and POP3 send through SMTP instead. Rejects with a typed
   * {@link MailServiceError}.
   */
  send?(mail: SmtpMessage, signal?: AbortSignal): Promise<SmtpSendResult>;
}

/**
 * Logging as every layer takes it (a pino-compatible subset: fields first, message second). Never given a secret.
 *
 * @example
 * ```ts
 * const logger: Logger = pino();
 * logger.warn({ mailboxId: 'support', code: 'TIMEOUT' }, 'IMAP watch ended');
 * ```
 */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * A clock as xstate takes it (`SimulatedClock` fits), optionally with `now()` so times in the journal follow it.
 *
 * @example
 * ```ts
 * const clock: Clock = new SimulatedClock();
 * ```
 */
export interface Clock {
  setTimeout(fn: (...args: any[]) => void, timeout: number): any;
  clearTimeout(id: any): void;
  now?(): number;
}

// --- outgoing mail (what a reply, forward or send hands the SMTP transport, or a MAPI service) -----------------

/** One address or several: `'a@example.test'`, `'Ada <a@example.test>'`, or a list of them. */
export type SmtpAddresses = string | readonly string[];

/**
 * An attachment given by content (never by path or URL: sending does not read local files or fetch URLs on a
 * message's say-so).
 *
 * @example
 * ```ts
 * const attachment: SmtpAttachment = { filename: 'report.csv', content: 'a,b\n1,2\n', contentType: 'text/csv' };
 * ```
 */
export interface SmtpAttachment {
  readonly filename?: string;
  readonly content: string | Buffer | Readable;
  readonly contentType?: string;
  /** Content-ID for inline images referenced from the HTML as `cid:...`. */
  readonly cid?: string;
}

/**
 * A message to send. With `raw`, the given RFC 5322 source is sent unchanged and `from`/`to`/`cc`/`bcc` only make
 * the envelope; otherwise the message is composed from the fields.
 *
 * @example
 * ```ts
 * const reply: SmtpMessage = {
 *   from: 'support@example.test', to: 'customer@example.test', subject: 'Re: Order 42', text: 'Thanks!',
 *   inReplyTo: '<order-42@example.test>', references: ['<order-42@example.test>'],
 * };
 * ```
 */
export interface SmtpMessage {
  readonly from: string;
  readonly to: SmtpAddresses;
  readonly cc?: SmtpAddresses;
  readonly bcc?: SmtpAddresses;
  readonly subject?: string;
  readonly text?: string;
  readonly html?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly inReplyTo?: string;
  readonly references?: SmtpAddresses;
  readonly raw?: string | Buffer;
  readonly attachments?: readonly SmtpAttachment[];
}

/**
 * What a send reports: the Message-ID, the recipients the server accepted and refused, and its final reply.
 *
 * @example
 * ```ts
 * const result: SmtpSendResult = {
 *   messageId: '<1@example.test>', accepted: ['a@example.test'], rejected: [], response: '250 2.0.0 Ok',
 * };
 * ```
 */
export interface SmtpSendResult {
  readonly messageId: string;
  readonly accepted: string[];
  readonly rejected: string[];
  readonly response: string;
}
