/**
 * `startAt` carried out (issue 15 point 3): which existing messages a mailbox's discovery leaves out, and the
 * baseline of `startAt: new`, journaled once at the first start. Pure decisions over the journaled status; the
 * runner (runtime/mailbox-runner.ts) journals what they return.
 *
 * IMAP is bounded at the server (the adapter searches above the baseline's UIDNEXT and SINCE the date, so old
 * messages are never fetched); POP3 and MAPI list every message anyway (S6), so their old messages are left out as
 * discovery delivers them: by key (the baseline's UIDLs / entry ids) or by the envelope's date.
 *
 * @module
 */
import type { DiscoveredMessage, FolderWatermark, StartBound } from '../adapters/contract.js';
import type { StartAt } from './config/start-at.js';
import type { MailboxBaselineEvent } from './journal/events.js';
import type { MailboxStatus } from './journal/mailbox-projection.js';

/**
 * The IMAP bound of a full pass, and the baseline to journal first when `startAt: new` has none yet. Under a
 * UIDVALIDITY other than the baseline's, every message is new: the server renumbered the folder, and the UIDs of
 * the baseline no longer say which messages were there at the first start.
 *
 * @example
 * ```ts
 * const { bound, baseline } = imapStartBound({ kind: 'new' }, undefined, 'support',
 *   { folder: 'INBOX', uidValidity: '7', uidNext: 6, exists: 5 }, Date.now());
 * bound.aboveUid; // 5 — and `baseline` is the event to journal
 * ```
 */
export function imapStartBound(
  startAt: StartAt,
  status: MailboxStatus | undefined,
  mailboxId: string,
  watermark: FolderWatermark,
  at: number,
): { readonly bound: StartBound; readonly baseline: MailboxBaselineEvent | null } {
  if (startAt.kind === 'all') return { bound: { aboveUid: 0, since: null }, baseline: null };
  if (startAt.kind === 'since') return { bound: { aboveUid: 0, since: new Date(startAt.since) }, baseline: null };
  const known = status?.baseline;
  if (known) {
    const same = known.folder === watermark.folder && known.uidValidity === watermark.uidValidity;
    return { bound: { aboveUid: same && known.uidNext !== null ? known.uidNext - 1 : 0, since: null }, baseline: null };
  }
  const baseline: MailboxBaselineEvent = {
    type: 'mailbox.baseline',
    mailboxId,
    at,
    folder: watermark.folder,
    uidValidity: watermark.uidValidity,
    uidNext: watermark.uidNext,
    keys: null,
    existing: watermark.exists,
  };
  return { bound: { aboveUid: watermark.uidNext - 1, since: null }, baseline };
}

/**
 * For services bounded as messages are delivered (POP3, MAPI): whether `startAt` leaves this message out.
 * `collecting` is true during the first pass of a `startAt: new` mailbox without a baseline: every message then is
 * old (the runner gathers their keys into the baseline). A message without a Date header is kept by a date bound:
 * nothing says it is old.
 *
 * @example
 * ```ts
 * leftOut({ kind: 'since', since: Date.parse('2026-11-01'), text: '2026-11-01' }, undefined, message, false);
 * ```
 */
export function leftOut(
  startAt: StartAt,
  status: MailboxStatus | undefined,
  message: DiscoveredMessage,
  collecting: boolean,
): boolean {
  if (startAt.kind === 'all') return false;
  if (startAt.kind === 'since') {
    const date = message.envelope.date;
    return date !== null && date.getTime() < startAt.since;
  }
  if (collecting) return true;
  return status?.baseline?.keys?.has(message.identity.key) ?? false;
}

/**
 * The baseline of a POP3/MAPI mailbox: the keys its first pass delivered.
 *
 * @example
 * ```ts
 * const event = keyBaseline('support', ['pop3:support:u1'], Date.now());
 * ```
 */
export function keyBaseline(mailboxId: string, keys: readonly string[], at: number): MailboxBaselineEvent {
  return {
    type: 'mailbox.baseline',
    mailboxId,
    at,
    folder: null,
    uidValidity: null,
    uidNext: null,
    keys: [...keys],
    existing: keys.length,
  };
}
