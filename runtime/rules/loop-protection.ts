/**
 * Loop protection for automatic mail (issue 4; RFC 3834 and common practice): when an automatic reply, forward or
 * send must not happen, and the headers automatic mail carries so that others do not answer it either.
 *
 * Decisions:
 * - A **reply** answers whoever wrote, so it gets every check: no answer to automatic mail (`Auto-Submitted` other
 *   than `no`, vacation-responder headers, delivery/read reports), to list or bulk mail (`List-Id`,
 *   `List-Unsubscribe`, `List-Post`, `Precedence: bulk|junk|list`), when the sender asked not to
 *   (`X-Auto-Response-Suppress`), to null or system senders (`Return-Path: <>`, MAILER-DAEMON, postmaster, list
 *   robots, no-reply addresses), to ourselves, and no more than the per-correspondent limit.
 * - A **forward** or **send** goes to configured addresses: it is refused when those are our own (the message would
 *   come back and be handled again) and, like replies, for mail that carries our own `X-Loop` marker. It is not
 *   refused for being automatic: forwarding bounces to an operator is a main use of the product.
 * - Every automatic message carries `Auto-Submitted` (`auto-replied` for replies, `auto-generated` otherwise),
 *   `X-Auto-Response-Suppress: All` (asks Exchange and friends not to answer it) and, given our address, `X-Loop`.
 *
 * @module
 */
import type { DiscoveredMessage } from '../../adapters/contract.js';
import { AddressSet, localPart, normalizeAddress, returnPathAddress } from './addresses.js';
import type { AutoReplyLimiter } from './reply-limiter.js';

/**
 * The kinds of automatic mail.
 *
 * @example
 * ```ts
 * const kind: AutoMailKind = 'reply';
 * ```
 */
export type AutoMailKind = 'reply' | 'forward' | 'send';

/**
 * Why automatic mail was refused; stable codes for the journal's `action.skipped`.
 *
 * @example
 * ```ts
 * const code: LoopProtectionCode = 'AUTO_SUBMITTED';
 * ```
 */
export type LoopProtectionCode =
  | 'AUTO_SUBMITTED'
  | 'AUTO_REPLY'
  | 'REPORT'
  | 'LIST_MAIL'
  | 'BULK_MAIL'
  | 'RESPONSE_SUPPRESSED'
  | 'NULL_SENDER'
  | 'SYSTEM_SENDER'
  | 'NO_REPLY_SENDER'
  | 'OWN_ADDRESS'
  | 'NO_RECIPIENT'
  | 'LOOP_DETECTED'
  | 'RATE_LIMITED';

/**
 * Options of {@link shouldAutoRespond}.
 *
 * @example
 * ```ts
 * const options: AutoRespondOptions = { ownAddresses: ['support@example.test'], limiter, now: Date.now() };
 * ```
 */
export interface AutoRespondOptions {
  /** Our addresses (the mailbox's user, its SMTP sender, aliases). `+tag` variants count as ours too. */
  readonly ownAddresses: readonly string[];
  /** Default `reply`. */
  readonly kind?: AutoMailKind;
  /** For `forward`/`send`: the configured recipients. Ignored for replies (the recipient comes from the message). */
  readonly recipients?: readonly string[];
  /** The per-correspondent limit; checked for every recipient when given. */
  readonly limiter?: AutoReplyLimiter;
  /** The time for the limiter (ms). Default `Date.now()`. */
  readonly now?: number;
}

/**
 * The verdict: `ok` with the recipients to use, or refused with a code and a reason for people.
 *
 * @example
 * ```ts
 * const verdict = shouldAutoRespond(message, { ownAddresses: ['support@example.test'] });
 * if (!verdict.ok) journal.append([{ type: 'action.skipped', code: verdict.code, reason: verdict.reason, … }]);
 * ```
 */
export type AutoRespondVerdict =
  | { readonly ok: true; readonly recipients: readonly string[] }
  | { readonly ok: false; readonly code: LoopProtectionCode; readonly reason: string };

const PRECEDENCE_BULK = new Set(['bulk', 'junk', 'list']);
const LIST_HEADERS = ['list-id', 'list-unsubscribe', 'list-post'];
/** Headers vacation responders and other auto-responders set (common practice beyond RFC 3834). */
const AUTO_REPLY_HEADERS = ['x-autoreply', 'x-autorespond', 'x-autoreply-from', 'x-mail-autoreply'];
const SUPPRESS_TOKENS = new Set(['all', 'oof', 'autoreply']);
const SYSTEM_LOCALS = new Set(['mailer-daemon', 'postmaster', 'listserv', 'majordomo', 'mailman']);
const NO_REPLY_LOCAL = /^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|donotreply)(?:[-_.+].*)?$/;

function refuse(code: LoopProtectionCode, reason: string): AutoRespondVerdict {
  return { ok: false, code, reason };
}

function values(message: DiscoveredMessage, name: string): readonly string[] {
  return message.headers.get(name) ?? [];
}

/** RFC 3834 §2 and common practice: addresses of systems and list robots, which nobody reads. */
function systemSender(address: string): LoopProtectionCode | null {
  const local = localPart(address);
  if (
    SYSTEM_LOCALS.has(local) ||
    local.startsWith('owner-') ||
    local.endsWith('-request') ||
    local.endsWith('-owner')
  ) {
    return 'SYSTEM_SENDER';
  }
  return NO_REPLY_LOCAL.test(local) ? 'NO_REPLY_SENDER' : null;
}

/**
 * The address an automatic reply goes to: the first `Reply-To` address, else the first `From` address, else
 * `null`. (RFC 3834 prefers the Return-Path for personal responders; this product's replies answer requests such as
 * double opt-in confirmations, where Reply-To/From is whom the sender wants answered.)
 *
 * @example
 * ```ts
 * replyRecipient(message); // 'ada@example.test'
 * ```
 */
export function replyRecipient(message: DiscoveredMessage): string | null {
  const candidate =
    message.envelope.replyTo.find((a) => a.address !== '') ?? message.envelope.from.find((a) => a.address !== '');
  return candidate ? normalizeAddress(candidate.address) : null;
}

/** Checks that hold for every kind: our own marker means the message is our own automatic mail come back. */
function loopMarker(message: DiscoveredMessage, own: AddressSet): AutoRespondVerdict | null {
  if (values(message, 'x-loop').some((v) => own.occursIn(v))) {
    return refuse('LOOP_DETECTED', 'the message carries our own X-Loop header: it is our automatic mail come back');
  }
  return null;
}

function automaticOrBulk(message: DiscoveredMessage): AutoRespondVerdict | null {
  for (const value of values(message, 'auto-submitted')) {
    const token = value.split(';')[0]!.trim().toLowerCase();
    if (token !== 'no') return refuse('AUTO_SUBMITTED', `the message is automatic (Auto-Submitted: ${token})`);
  }
  for (const name of AUTO_REPLY_HEADERS) {
    if (values(message, name).length > 0) return refuse('AUTO_REPLY', `the message is an automatic reply (${name})`);
  }
  const contentType = values(message, 'content-type')[0]?.trim().toLowerCase() ?? '';
  if (contentType.startsWith('multipart/report')) {
    return refuse('REPORT', 'the message is a delivery or read report (multipart/report)');
  }
  for (const name of LIST_HEADERS) {
    if (values(message, name).length > 0) return refuse('LIST_MAIL', `the message came through a list (${name})`);
  }
  for (const value of values(message, 'precedence')) {
    const token = value.trim().toLowerCase();
    if (PRECEDENCE_BULK.has(token)) return refuse('BULK_MAIL', `the message is bulk mail (Precedence: ${token})`);
  }
  for (const value of values(message, 'x-auto-response-suppress')) {
    const tokens = value.split(/[,\s]+/).map((t) => t.toLowerCase());
    if (tokens.some((t) => SUPPRESS_TOKENS.has(t))) {
      return refuse('RESPONSE_SUPPRESSED', `the sender asked for no automatic answers (X-Auto-Response-Suppress)`);
    }
  }
  return null;
}

function senders(message: DiscoveredMessage, own: AddressSet, recipient: string): AutoRespondVerdict | null {
  const returnPath = values(message, 'return-path')[0];
  const reversePath = returnPath === undefined ? null : returnPathAddress(returnPath);
  if (reversePath === '') return refuse('NULL_SENDER', 'the message has a null sender (Return-Path: <>)');
  const addresses = [recipient, ...message.envelope.from.map((a) => a.address).filter((a) => a !== '')];
  if (reversePath !== null) addresses.push(reversePath);
  for (const address of addresses) {
    const code = systemSender(address);
    if (code) return refuse(code, `the sender ${normalizeAddress(address)} is not a person (${code})`);
  }
  for (const address of addresses) {
    if (own.has(address))
      return refuse('OWN_ADDRESS', `the message is from our own address ${normalizeAddress(address)}`);
  }
  return null;
}

function limit(recipients: readonly string[], options: AutoRespondOptions): AutoRespondVerdict | null {
  if (!options.limiter) return null;
  const now = options.now ?? Date.now();
  for (const recipient of recipients) {
    if (!options.limiter.allows(recipient, now)) {
      return refuse(
        'RATE_LIMITED',
        `${recipient} already got ${options.limiter.max} automatic messages within ${options.limiter.windowMs} ms`,
      );
    }
  }
  return null;
}

/**
 * Decides whether automatic mail of `kind` may be sent for `message` (see the module's decisions).
 *
 * @example
 * ```ts
 * const verdict = shouldAutoRespond(message, { ownAddresses: ['support@example.test'], limiter, now: Date.now() });
 * if (verdict.ok) await smtp.sendMail({ to: verdict.recipients, headers: autoHeaders('reply'), ... });
 * else console.log(verdict.code, verdict.reason);
 * ```
 */
export function shouldAutoRespond(message: DiscoveredMessage, options: AutoRespondOptions): AutoRespondVerdict {
  const own = new AddressSet(options.ownAddresses);
  const kind = options.kind ?? 'reply';
  const marker = loopMarker(message, own);
  if (marker) return marker;

  if (kind !== 'reply') {
    const recipients = (options.recipients ?? []).map(normalizeAddress);
    if (recipients.length === 0) return refuse('NO_RECIPIENT', `the ${kind} has no recipients`);
    const ours = recipients.find((r) => own.has(r));
    if (ours) return refuse('OWN_ADDRESS', `${ours} is our own address: the ${kind} would come back as new mail`);
    return limit(recipients, options) ?? { ok: true, recipients };
  }

  const automatic = automaticOrBulk(message);
  if (automatic) return automatic;
  const recipient = replyRecipient(message);
  if (recipient === null) return refuse('NO_RECIPIENT', 'the message has no From or Reply-To address to answer');
  return senders(message, own, recipient) ?? limit([recipient], options) ?? { ok: true, recipients: [recipient] };
}

/**
 * Headers every automatic message carries (RFC 3834 §5; `X-Auto-Response-Suppress` for Exchange; `X-Loop` as in
 * procmail/Sieve setups, recognised by {@link shouldAutoRespond} when the mail comes back).
 *
 * @example
 * ```ts
 * autoHeaders('reply', { loopAddress: 'support@example.test' });
 * // { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All', 'X-Loop': 'support@example.test' }
 * ```
 */
export function autoHeaders(kind: AutoMailKind, options: { loopAddress?: string } = {}): Record<string, string> {
  const headers: Record<string, string> = {
    'Auto-Submitted': kind === 'reply' ? 'auto-replied' : 'auto-generated',
    'X-Auto-Response-Suppress': 'All',
  };
  if (options.loopAddress) headers['X-Loop'] = normalizeAddress(options.loopAddress);
  return headers;
}

/** How many Message-IDs a References header keeps: the first (thread root) and the most recent ones. */
const MAX_REFERENCES = 20;
const MSG_ID = /<[^<>\s]+>/g;

/**
 * `Re: subject`, unless the subject already starts with a reply prefix (`Re:`, also German `AW:`).
 *
 * @example
 * ```ts
 * replySubject('Newsletter confirmation'); // 'Re: Newsletter confirmation'
 * replySubject('AW: Anfrage');             // 'AW: Anfrage'
 * ```
 */
export function replySubject(subject: string): string {
  const s = subject.replace(/[\r\n]+[ \t]*/g, ' ').trim();
  return /^(re|aw)\s*:/i.test(s) ? s : `Re: ${s}`;
}

/**
 * Threading headers for a reply (RFC 5322 §3.6.4): `In-Reply-To` is the original Message-ID; `References` is the
 * original's References (or In-Reply-To) plus its Message-ID, shortened to the first and the latest IDs. Both are
 * absent when the original has no Message-ID.
 *
 * @example
 * ```ts
 * const { inReplyTo, references, subject } = replyHeaders(message);
 * await smtp.sendMail({ inReplyTo, references, subject, ... });
 * ```
 */
export function replyHeaders(message: DiscoveredMessage): {
  inReplyTo?: string;
  references?: string;
  subject: string;
} {
  const subject = replySubject(message.envelope.subject);
  const messageId = message.identity.messageId ?? message.envelope.messageId;
  const own = messageId?.match(MSG_ID)?.[0];
  if (!own) return { subject };
  const previous =
    values(message, 'references').join(' ').match(MSG_ID) ??
    (message.envelope.inReplyTo ?? values(message, 'in-reply-to').join(' ')).match(MSG_ID) ??
    [];
  let ids = [...previous.filter((id) => id !== own), own];
  if (ids.length > MAX_REFERENCES) ids = [ids[0]!, ...ids.slice(ids.length - (MAX_REFERENCES - 1))];
  return { inReplyTo: own, references: ids.join(' '), subject };
}
