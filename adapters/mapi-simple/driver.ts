/**
 * The Simple MAPI driver: answers the bridge operations with the MAPI32.DLL functions (inside the bridge child).
 *
 * What Simple MAPI allows shapes it: messages are enumerated with MAPIFindNext from a seed (the previous id), so an
 * enumeration is always finished before anything is acted on (a deleted message's id is no longer a valid seed);
 * every MAPIReadMail that must not mark the message read carries MAPI_PEEK; every buffer MAPIReadMail returns is
 * freed; no call ever carries MAPI_LOGON_UI or MAPI_DIALOG (a service has nobody to answer a dialog).
 *
 * @module
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contentTypeOf, safeFileName, withTempDir } from '../mapi/child-files.js';
import type { MapiDriver } from '../mapi/driver.js';
import { SIMPLE_MAPI, simpleMapiCodeName } from '../mapi/errors.js';
import { BridgeFailureError } from '../mapi/protocol.js';
import type {
  MapiAddress,
  MapiAttachment,
  MapiEnvelope,
  MapiListEntry,
  MapiMessageParts,
  MapiOp,
  MapiOps,
  MapiOutgoing,
} from '../mapi/types.js';
import { MAPI, type SimpleMapiApi, type SimpleMapiMessage, type SimpleMapiRecip } from './api.js';

/**
 * The message classes enumerated: NULL finds interpersonal messages (IPM.*); non-delivery reports have the class
 * REPORT.IPM.Note.NDR and are matched by prefix (MAPIFindNext matches classes up to the given length).
 */
export const ENUMERATED_CLASSES: readonly (string | null)[] = [null, 'REPORT.'];

/** A bound on one enumeration, so a store that keeps answering never loops forever. */
const MAX_ENUMERATED = 200_000;

function fail(fn: string, rc: number): never {
  throw new BridgeFailureError({ kind: 'mapi', fn, code: rc, message: `${fn} failed with ${simpleMapiCodeName(rc)}` });
}

/**
 * The SMTP address in a Simple MAPI address (`SMTP:ada@example.test` → `ada@example.test`); other address types
 * (an Exchange `EX:` DN, `FAX:`) give an empty string.
 *
 * @example
 * ```ts
 * smtpOf('SMTP:ada@example.test'); // 'ada@example.test'
 * ```
 */
export function smtpOf(address: string | null): string {
  if (!address) return '';
  const match = /^([A-Za-z0-9-]+):(.*)$/.exec(address);
  if (!match) return address.includes('@') ? address : '';
  return match[1]!.toUpperCase() === 'SMTP' ? match[2]! : '';
}

/**
 * MapiMessage's `YYYY/MM/DD HH:MM` (local time) as ISO 8601.
 *
 * @example
 * ```ts
 * receivedIso('2024/01/02 03:04'); // '2024-01-02T03:04:00.000Z' when local time is UTC
 * ```
 */
export function receivedIso(value: string | null): string | null {
  const match = /^(\d{4})\/(\d{1,2})\/(\d{1,2})\s+(\d{1,2}):(\d{2})/.exec(value ?? '');
  if (!match) return null;
  const [, y, mo, d, h, mi] = match.map(Number) as [number, number, number, number, number, number];
  const date = new Date(y, mo - 1, d, h, mi);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function addressOf(recip: SimpleMapiRecip): MapiAddress {
  return { name: recip.name ?? '', address: smtpOf(recip.address) };
}

/**
 * Creates the driver over the Simple MAPI functions (koffi on Windows, the fake in tests).
 *
 * @example
 * ```ts
 * const driver = createSimpleMapiDriver(loadMapi32());
 * driver.handle('logon', { profile: 'Support', folder: 'INBOX' });
 * ```
 */
export function createSimpleMapiDriver(api: SimpleMapiApi): MapiDriver {
  let session: number | null = null;

  function current(): number {
    if (session === null) throw new BridgeFailureError({ kind: 'internal', message: 'not logged on' });
    return session;
  }

  /** MAPIReadMail, with the buffer always freed. */
  function readMail<T>(ref: string, flags: number, use: (message: SimpleMapiMessage) => T): T {
    const { rc, message, buffer } = api.MAPIReadMail(current(), 0, ref, flags);
    if (rc !== SIMPLE_MAPI.SUCCESS_SUCCESS || message === null) {
      if (rc === SIMPLE_MAPI.MAPI_E_INVALID_MESSAGE) {
        throw new BridgeFailureError({
          kind: 'not-found',
          what: 'message',
          message: `no message with id ${ref.slice(0, 24)}…`,
        });
      }
      fail('MAPIReadMail', rc === 0 ? SIMPLE_MAPI.MAPI_E_FAILURE : rc);
    }
    try {
      return use(message);
    } finally {
      api.MAPIFreeBuffer(buffer);
    }
  }

  function enumerate(messageType: string | null, unreadOnly: boolean): string[] {
    const flags = MAPI.GUARANTEE_FIFO | MAPI.LONG_MSGID | (unreadOnly ? MAPI.UNREAD_ONLY : 0);
    const ids: string[] = [];
    const seen = new Set<string>();
    let seed: string | null = null;
    let restarted = false;
    while (ids.length < MAX_ENUMERATED) {
      const { rc, messageId } = api.MAPIFindNext(current(), 0, messageType, seed, flags);
      if (rc === SIMPLE_MAPI.MAPI_E_NO_MESSAGES) break;
      if (rc === SIMPLE_MAPI.MAPI_E_INVALID_MESSAGE && seed !== null && !restarted) {
        // The seed went away under us (deleted in Outlook meanwhile): start over once, dropping repeats.
        restarted = true;
        seed = null;
        continue;
      }
      if (rc !== SIMPLE_MAPI.SUCCESS_SUCCESS) fail('MAPIFindNext', rc);
      if (seen.has(messageId)) {
        if (!restarted) break; // a store that starts again from the top: the enumeration is complete
      } else {
        seen.add(messageId);
        ids.push(messageId);
      }
      seed = messageId;
    }
    return ids;
  }

  function envelopeOf(ref: string, message: SimpleMapiMessage): MapiEnvelope {
    const to = message.recips.filter((r) => r.recipClass === MAPI.TO).map(addressOf);
    const cc = message.recips.filter((r) => r.recipClass === MAPI.CC).map(addressOf);
    return {
      ref,
      key: `simple-mapi:${ref}`,
      messageId: null,
      unread: (message.flags & MAPI.UNREAD) !== 0,
      subject: message.subject ?? '',
      from: message.originator ? [addressOf(message.originator)] : [],
      to,
      cc,
      replyTo: [],
      receivedAt: receivedIso(message.dateReceived),
      size: 0,
      transportHeaders: null,
    };
  }

  function filesOf(message: SimpleMapiMessage, maxBytes: number): { list: MapiAttachment[]; truncated: boolean } {
    const list: MapiAttachment[] = [];
    let used = 0;
    let truncated = false;
    for (const file of message.files) {
      const filename = file.fileName ?? null;
      const contentType = contentTypeOf(filename ?? file.pathName);
      let content: Buffer | null = null;
      if (file.pathName) {
        try {
          content = readFileSync(file.pathName);
        } finally {
          // MAPIReadMail wrote a temporary file for the caller; the caller removes it.
          rmSync(file.pathName, { force: true });
        }
      }
      const size = content?.length ?? 0;
      if (content === null || used + size > maxBytes) {
        truncated ||= content !== null;
        list.push({ filename, contentType, size, contentBase64: null });
        continue;
      }
      used += size;
      list.push({ filename, contentType, size, contentBase64: content.toString('base64') });
    }
    return { list, truncated };
  }

  function send(mail: MapiOutgoing): { messageId: string | null } {
    const recips: SimpleMapiRecip[] = [
      ...mail.to.map((address) => ({ recipClass: MAPI.TO, name: address, address: `SMTP:${address}` })),
      ...mail.cc.map((address) => ({ recipClass: MAPI.CC, name: address, address: `SMTP:${address}` })),
      ...mail.bcc.map((address) => ({ recipClass: MAPI.BCC, name: address, address: `SMTP:${address}` })),
    ];
    // Simple MAPI sends plain text only; an HTML-only message goes as its text.
    const noteText = mail.text ?? (mail.html ? mail.html.replace(/<[^>]*>/g, '').trim() : '');
    return withTempDir((dir) => {
      const files = mail.attachments.map((attachment, i) => {
        const fileName = safeFileName(attachment.filename, i + 1);
        const pathName = join(dir, `${i + 1}-${fileName}`);
        writeFileSync(pathName, Buffer.from(attachment.contentBase64, 'base64'));
        return { pathName, fileName };
      });
      const message: SimpleMapiMessage = {
        subject: mail.subject,
        noteText,
        messageType: null,
        dateReceived: null,
        conversationId: null,
        flags: 0,
        originator: null,
        recips,
        files,
      };
      const sendMail = api.MAPISendMailW ?? api.MAPISendMail;
      const rc = sendMail.call(api, current(), 0, message, 0);
      if (rc !== SIMPLE_MAPI.SUCCESS_SUCCESS) fail(api.MAPISendMailW ? 'MAPISendMailW' : 'MAPISendMail', rc);
      return { messageId: null };
    });
  }

  const handlers: { [K in MapiOp]: (args: MapiOps[K]['args']) => MapiOps[K]['result'] } = {
    logon({ profile, folder }) {
      if (folder.length > 0 && folder.toUpperCase() !== 'INBOX') {
        throw new BridgeFailureError({
          kind: 'not-found',
          what: 'folder',
          message: `Simple MAPI sees only the Inbox, not ${JSON.stringify(folder)}`,
        });
      }
      // Never MAPI_LOGON_UI (SPEC S2: no logon UI in a service); an empty name means the default profile.
      const result = api.MAPILogon(0, profile.length > 0 ? profile : null, null, MAPI.NEW_SESSION);
      if (result.rc !== SIMPLE_MAPI.SUCCESS_SUCCESS) fail('MAPILogon', result.rc);
      session = result.session;
      return { folder: 'Inbox' };
    },
    list({ unreadOnly }) {
      const entries: MapiListEntry[] = [];
      for (const messageType of ENUMERATED_CLASSES) {
        for (const ref of enumerate(messageType, unreadOnly)) {
          entries.push({ ref, key: `simple-mapi:${ref}`, messageId: null, unread: unreadOnly });
        }
      }
      return entries;
    },
    envelope({ ref }) {
      return readMail(ref, MAPI.PEEK | MAPI.ENVELOPE_ONLY, (message) => envelopeOf(ref, message));
    },
    read({ ref, maxBytes }): MapiMessageParts {
      return readMail(ref, MAPI.PEEK, (message) => {
        const { list, truncated } = filesOf(message, maxBytes);
        return {
          ...envelopeOf(ref, message),
          text: message.noteText ?? null,
          html: null,
          attachments: list,
          truncated,
        };
      });
    },
    markRead({ ref }) {
      // Without MAPI_PEEK, reading marks the message read; attachments are not needed for that.
      readMail(ref, MAPI.SUPPRESS_ATTACH, () => null);
      return null;
    },
    move() {
      throw new BridgeFailureError({
        kind: 'mapi',
        fn: 'move',
        code: SIMPLE_MAPI.MAPI_E_NOT_SUPPORTED,
        message: 'Simple MAPI cannot move messages',
      });
    },
    delete({ ref }) {
      const rc = api.MAPIDeleteMail(current(), 0, ref, 0);
      if (rc === SIMPLE_MAPI.MAPI_E_INVALID_MESSAGE) {
        throw new BridgeFailureError({
          kind: 'not-found',
          what: 'message',
          message: `no message with id ${ref.slice(0, 24)}…`,
        });
      }
      if (rc !== SIMPLE_MAPI.SUCCESS_SUCCESS) fail('MAPIDeleteMail', rc);
      return null;
    },
    send({ mail }) {
      return send(mail);
    },
    logoff() {
      if (session !== null) {
        const rc = api.MAPILogoff(session, 0, 0);
        session = null;
        if (rc !== SIMPLE_MAPI.SUCCESS_SUCCESS && rc !== SIMPLE_MAPI.MAPI_E_INVALID_SESSION) fail('MAPILogoff', rc);
      }
      return null;
    },
  };

  return {
    handle(op, args) {
      const handler = handlers[op] as ((args: unknown) => unknown) | undefined;
      if (!handler) throw new BridgeFailureError({ kind: 'internal', message: `unknown operation ${String(op)}` });
      return handler(args) as never;
    },
    close() {
      if (session !== null) {
        try {
          api.MAPILogoff(session, 0, 0);
        } catch {
          // Closing: nothing to report to.
        }
        session = null;
      }
    },
  };
}
