/**
 * The Extended MAPI driver: answers the bridge operations with the Outlook object model (inside the bridge child).
 * Everything here is synchronous COM through winax (or the fake with the same shape).
 *
 * Identity: the EntryID changes when an item moves, so the key is PR_SEARCH_KEY (kept across moves and copies),
 * with the Internet Message-ID beside it; the EntryID is only the handle (`ref`) for actions now.
 *
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contentTypeOf, safeFileName, withTempDir } from '../mapi/child-files.js';
import type { MapiDriver } from '../mapi/driver.js';
import { HRESULT } from '../mapi/errors.js';
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
import {
  OL_BODY_FORMAT,
  OL_BY_VALUE,
  OL_FOLDER_INBOX,
  OL_MAIL_ITEM,
  OL_RECIPIENT,
  type OutlookApplication,
  type OutlookFolder,
  type OutlookMailItem,
  type OutlookNamespace,
  PROPTAG,
  PS_INTERNET_HEADERS,
} from './outlook-types.js';

/** The restriction of SPEC S5's "unread only" (Items.Restrict filter syntax). */
export const UNREAD_FILTER = '[UnRead] = True';

/** HRESULTs that mean "this item has no such property": a default is used instead. */
const ABSENT = new Set<number>([HRESULT.MAPI_E_NOT_FOUND, HRESULT.DISP_E_UNKNOWNNAME, HRESULT.DISP_E_MEMBERNOTFOUND]);

function comCode(error: unknown): number | null {
  const like = error as { errno?: unknown; code?: unknown } | null;
  if (typeof like?.code === 'number' && like.code !== 0) return like.code >>> 0;
  if (typeof like?.errno === 'number') return like.errno >>> 0;
  return null;
}

/** Reads a property that some items lack; any other failure (busy, disconnected) propagates. */
function optional<T>(read: () => T, fallback: T): T {
  try {
    const value = read();
    return value === undefined || value === null ? fallback : value;
  } catch (error) {
    const code = comCode(error);
    if (code !== null && ABSENT.has(code)) return fallback;
    throw error;
  }
}

function isGone(error: unknown): boolean {
  const code = comCode(error);
  return code === HRESULT.MAPI_E_NOT_FOUND || code === HRESULT.MAPI_E_OBJECT_DELETED;
}

function isoDate(value: unknown): string | null {
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : null;
}

/** Splits a folder path (`Archive/2024`, `Inbox\Done`) into names. */
function segments(path: string): string[] {
  return path
    .split(/[/\\]+/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/**
 * Creates the driver over an Outlook application factory (winax on Windows, the fake in tests).
 *
 * @example
 * ```ts
 * const driver = createOutlookDriver(() => new winax.Object('Outlook.Application'));
 * driver.handle('logon', { profile: 'Support', folder: 'INBOX' });
 * ```
 */
export function createOutlookDriver(openApplication: () => OutlookApplication): MapiDriver {
  let app: OutlookApplication | null = null;
  let ns: OutlookNamespace | null = null;
  let folder: OutlookFolder | null = null;

  function session(): { app: OutlookApplication; ns: OutlookNamespace; folder: OutlookFolder } {
    if (!app || !ns || !folder) throw new BridgeFailureError({ kind: 'internal', message: 'not logged on' });
    return { app, ns, folder };
  }

  function inboxOf(namespace: OutlookNamespace): OutlookFolder {
    return namespace.GetDefaultFolder(OL_FOLDER_INBOX);
  }

  /** Resolves a folder path below the store root; "INBOX" (any case) is the default Inbox. */
  function resolveFolder(namespace: OutlookNamespace, path: string, create: boolean): OutlookFolder {
    const inbox = inboxOf(namespace);
    const parts = segments(path);
    if (parts.length === 0) return inbox;
    let current: OutlookFolder;
    if (parts[0]!.toUpperCase() === 'INBOX' || parts[0] === inbox.Name) {
      current = inbox;
      parts.shift();
    } else {
      current = inbox.Parent as OutlookFolder;
    }
    for (const name of parts) {
      try {
        current = current.Folders.Item(name);
      } catch (error) {
        if (!isGone(error)) throw error;
        if (!create) {
          throw new BridgeFailureError({
            kind: 'not-found',
            what: 'folder',
            message: `no folder ${JSON.stringify(path)}`,
          });
        }
        current = current.Folders.Add(name);
      }
    }
    return current;
  }

  function itemOf(ref: string): OutlookMailItem {
    try {
      return session().ns.GetItemFromID(ref);
    } catch (error) {
      if (isGone(error)) {
        throw new BridgeFailureError({
          kind: 'not-found',
          what: 'message',
          message: `no message with EntryID ${ref.slice(0, 24)}…`,
        });
      }
      throw error;
    }
  }

  function entryOf(item: OutlookMailItem): MapiListEntry {
    const accessor = item.PropertyAccessor;
    const searchKey = optional(() => accessor.BinaryToString(accessor.GetProperty(PROPTAG.searchKey)), '');
    const messageId = optional(() => String(accessor.GetProperty(PROPTAG.internetMessageId)), '');
    const ref = item.EntryID;
    return {
      ref,
      key: searchKey ? `outlook:sk:${searchKey.toUpperCase()}` : `outlook:id:${ref}`,
      messageId: messageId.length > 0 ? messageId : null,
      unread: item.UnRead === true,
    };
  }

  function senderOf(item: OutlookMailItem): MapiAddress[] {
    const name = optional(() => item.SenderName, '');
    const type = optional(() => item.SenderEmailType, '');
    let address = optional(() => item.SenderEmailAddress, '');
    if (type === 'EX' || !address.includes('@')) {
      const accessor = item.PropertyAccessor;
      address = optional(
        () => String(accessor.GetProperty(PROPTAG.senderSmtpAddress)),
        address.includes('@') ? address : '',
      );
    }
    return name || address ? [{ name, address }] : [];
  }

  function recipientsOf(item: OutlookMailItem): { to: MapiAddress[]; cc: MapiAddress[] } {
    const to: MapiAddress[] = [];
    const cc: MapiAddress[] = [];
    const recipients = optional(() => item.Recipients, null);
    if (!recipients) return { to, cc };
    const count = recipients.Count;
    for (let i = 1; i <= count; i += 1) {
      const recipient = recipients.Item(i);
      let address = optional(() => recipient.Address, '');
      if (!address.includes('@')) {
        const accessor = recipient.PropertyAccessor;
        address = optional(() => String(accessor.GetProperty(PROPTAG.smtpAddress)), '');
      }
      const entry = { name: optional(() => recipient.Name, ''), address };
      const type = optional(() => recipient.Type, OL_RECIPIENT.to);
      if (type === OL_RECIPIENT.cc) cc.push(entry);
      else if (type === OL_RECIPIENT.to) to.push(entry);
    }
    return { to, cc };
  }

  function envelopeOf(item: OutlookMailItem): MapiEnvelope {
    const accessor = item.PropertyAccessor;
    const headers = optional(() => String(accessor.GetProperty(PROPTAG.transportMessageHeaders)), '');
    const { to, cc } = recipientsOf(item);
    return {
      ...entryOf(item),
      subject: optional(() => item.Subject, ''),
      from: senderOf(item),
      to,
      cc,
      replyTo: [],
      receivedAt: isoDate(optional<unknown>(() => item.ReceivedTime, null)),
      size: optional(() => Number(item.Size), 0) || 0,
      transportHeaders: headers.length > 0 ? headers : null,
    };
  }

  function attachmentsOf(item: OutlookMailItem, maxBytes: number): { list: MapiAttachment[]; truncated: boolean } {
    const attachments = item.Attachments;
    const count = attachments.Count;
    const list: MapiAttachment[] = [];
    let used = 0;
    let truncated = false;
    if (count === 0) return { list, truncated };
    withTempDir((dir) => {
      for (let i = 1; i <= count; i += 1) {
        const attachment = attachments.Item(i);
        const filename = optional(() => attachment.FileName, '') || null;
        const accessor = attachment.PropertyAccessor;
        const contentType =
          optional(() => String(accessor.GetProperty(PROPTAG.attachMimeTag)), '') || contentTypeOf(filename);
        const size = optional(() => Number(attachment.Size), 0) || 0;
        if (used + size > maxBytes) {
          truncated = true;
          list.push({ filename, contentType, size, contentBase64: null });
          continue;
        }
        // The object model hands attachment content out only as a file.
        const path = join(dir, `${i}-${safeFileName(filename, i)}`);
        attachment.SaveAsFile(path);
        const content = readFileSync(path);
        used += content.length;
        list.push({ filename, contentType, size: content.length, contentBase64: content.toString('base64') });
      }
    });
    return { list, truncated };
  }

  function send(outgoing: MapiOutgoing): { messageId: string | null } {
    const mail = session().app.CreateItem(OL_MAIL_ITEM);
    mail.To = outgoing.to.join('; ');
    if (outgoing.cc.length > 0) mail.CC = outgoing.cc.join('; ');
    if (outgoing.bcc.length > 0) mail.BCC = outgoing.bcc.join('; ');
    mail.Subject = outgoing.subject;
    if (outgoing.html !== null) {
      mail.BodyFormat = OL_BODY_FORMAT.html;
      mail.HTMLBody = outgoing.html;
    } else {
      mail.BodyFormat = OL_BODY_FORMAT.plain;
      mail.Body = outgoing.text ?? '';
    }
    const accessor = mail.PropertyAccessor;
    for (const [name, value] of Object.entries(outgoing.headers)) {
      // Message-ID is assigned by the transport; the others become Internet headers of the sent message.
      if (name.toLowerCase() === 'message-id') continue;
      accessor.SetProperty(`${PS_INTERNET_HEADERS}${name}`, value);
    }
    withTempDir((dir) => {
      outgoing.attachments.forEach((attachment, i) => {
        const name = safeFileName(attachment.filename, i + 1);
        const path = join(dir, name);
        writeFileSync(path, Buffer.from(attachment.contentBase64, 'base64'));
        mail.Attachments.Add(path, OL_BY_VALUE, undefined, name);
      });
      if (!mail.Recipients.ResolveAll()) {
        throw new BridgeFailureError({
          kind: 'mapi',
          fn: 'Recipients.ResolveAll',
          code: 14,
          message: 'Outlook could not resolve every recipient',
        });
      }
      mail.Send();
    });
    const requested = Object.entries(outgoing.headers).find(([name]) => name.toLowerCase() === 'message-id')?.[1];
    return { messageId: requested ?? null };
  }

  const handlers: { [K in MapiOp]: (args: MapiOps[K]['args']) => MapiOps[K]['result'] } = {
    logon({ profile, folder: path }) {
      const application = openApplication();
      const namespace = application.GetNamespace('MAPI');
      // ShowDialog false, always: a service has nobody to answer a dialog (SPEC S2). NewSession false: Outlook has
      // one session per user; asking for a new one while Outlook runs is not supported.
      namespace.Logon(profile, '', false, false);
      const current = optional(() => namespace.CurrentProfileName, '');
      if (profile.length > 0 && current.length > 0 && current.toLowerCase() !== profile.toLowerCase()) {
        throw new BridgeFailureError({
          kind: 'not-found',
          what: 'profile',
          message:
            `Outlook is already running with profile ${JSON.stringify(current)}, not ${JSON.stringify(profile)}: ` +
            'one Outlook process serves one profile per user; close Outlook or configure that profile',
        });
      }
      const opened = resolveFolder(namespace, path, false);
      app = application;
      ns = namespace;
      folder = opened;
      return { folder: optional(() => opened.FolderPath, opened.Name) };
    },
    list({ unreadOnly }) {
      const all = session().folder.Items;
      const items = unreadOnly ? all.Restrict(UNREAD_FILTER) : all;
      items.Sort('[ReceivedTime]', false);
      // Collect first: a Restrict result is live, so acting on items while walking it would skip some.
      const entries: MapiListEntry[] = [];
      const count = items.Count;
      for (let i = 1; i <= count; i += 1) {
        let item: OutlookMailItem;
        try {
          item = items.Item(i);
        } catch (error) {
          // The view shrank under us (someone read or moved mail in Outlook meanwhile): the next poll sees the rest.
          if (comCode(error) === HRESULT.DISP_E_BADINDEX) break;
          throw error;
        }
        entries.push(entryOf(item));
      }
      return entries;
    },
    envelope({ ref }) {
      return envelopeOf(itemOf(ref));
    },
    read({ ref, maxBytes }): MapiMessageParts {
      const item = itemOf(ref);
      const envelope = envelopeOf(item);
      const format = optional(() => item.BodyFormat, OL_BODY_FORMAT.plain);
      const text = optional(() => item.Body, '');
      const html = format === OL_BODY_FORMAT.html ? optional(() => item.HTMLBody, '') : '';
      const { list, truncated } = attachmentsOf(item, maxBytes);
      return {
        ...envelope,
        text: text.length > 0 ? text : null,
        html: html.length > 0 ? html : null,
        attachments: list,
        truncated,
      };
    },
    markRead({ ref }) {
      const item = itemOf(ref);
      item.UnRead = false;
      item.Save();
      return null;
    },
    move({ ref, folder: path }) {
      const item = itemOf(ref);
      const target = resolveFolder(session().ns, path, true);
      const moved = item.Move(target);
      return { ref: moved.EntryID };
    },
    delete({ ref }) {
      // To Deleted Items (or for good when already there), as Outlook's Delete does.
      itemOf(ref).Delete();
      return null;
    },
    send({ mail }) {
      return send(mail);
    },
    logoff() {
      // No NameSpace.Logoff: it would end the user's own Outlook session if Outlook is open on the desktop.
      app = null;
      ns = null;
      folder = null;
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
      app = null;
      ns = null;
      folder = null;
    },
  };
}
