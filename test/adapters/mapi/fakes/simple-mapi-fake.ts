/**
 * A fake of MAPI32.DLL's Simple MAPI functions, following Microsoft's documentation (docs/mapi.md lists the
 * sources) rather than the adapter: return codes of mapi.h; MAPILogon with an empty profile and no MAPI_LOGON_UI
 * uses the default profile or fails with MAPI_E_LOGON_FAILURE; MAPIFindNext enumerates from a seed (NULL or "" =
 * first), returns MAPI_E_NO_MESSAGES at the end and MAPI_E_INVALID_MESSAGE for a seed that is no longer valid (a
 * deleted message's id), matches message classes by prefix (NULL = IPM), orders by arrival only with
 * MAPI_GUARANTEE_FIFO, and needs MAPI_LONG_MSGID for ids longer than 64 characters; MAPIReadMail marks the message
 * read unless MAPI_PEEK (and leaves it unread on error), writes attachments to temporary files the caller removes,
 * and returns a buffer the caller frees with MAPIFreeBuffer; MAPIDeleteMail invalidates the id; MAPISendMail with
 * MAPI_DIALOG opens a dialog (which waits for a person). Sessions live in the process, as MAPI's do.
 *
 * Runs inside the bridge child (loaded through `--fake-module`), over the shared {@link FakeMailStore}.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIMPLE_MAPI } from '../../../../adapters/mapi/errors.js';
import { MAPI, type SimpleMapiApi, type SimpleMapiMessage } from '../../../../adapters/mapi-simple/api.js';
import { applyFault, FakeMailStore, type FakeMessage, hangForever } from './fake-store.js';

const INBOX = 'Inbox';
/** Message ids of more than this many characters need MAPI_LONG_MSGID (older MAPI's 64-byte ids). */
const SHORT_ID_LIMIT = 64;

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/** MapiMessage's date format: `YYYY/MM/DD HH:MM`, local time. */
function mapiDate(iso: string): string {
  const date = new Date(iso);
  return `${date.getFullYear()}/${pad(date.getMonth() + 1)}/${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * The fake Simple MAPI on the store at `root`.
 *
 * @example
 * ```ts
 * const api = createSimpleMapi('/tmp/store');
 * const { rc, session } = api.MAPILogon(0, null, null, MAPI.NEW_SESSION);
 * ```
 */
export function createSimpleMapi(root: string): SimpleMapiApi & { outstandingBuffers(): number } {
  const store = new FakeMailStore(root);
  const sessions = new Map<number, string>();
  const buffers = new Set<number>();
  let nextHandle = 0x1000 + Math.floor(Math.random() * 0x1000);

  /** A fault: hang/crash happen inside; a return code comes back to return. */
  function fault(op: string): number | null {
    const found = applyFault(store, op);
    if (found?.action === 'mapi') return found.code ?? SIMPLE_MAPI.MAPI_E_FAILURE;
    return null;
  }

  function classMatches(message: FakeMessage, messageType: string | null): boolean {
    const wanted = messageType && messageType.length > 0 ? messageType : 'IPM';
    return message.messageClass.toUpperCase().startsWith(wanted.toUpperCase());
  }

  function ordered(flags: number): FakeMessage[] {
    const messages = store.messages(INBOX);
    if ((flags & MAPI.GUARANTEE_FIFO) !== 0) {
      return messages.sort((a, b) =>
        a.receivedTime < b.receivedTime ? -1 : a.receivedTime > b.receivedTime ? 1 : a.seq - b.seq,
      );
    }
    // Without MAPI_GUARANTEE_FIFO no order is promised: here, the id order.
    return messages.sort((a, b) => (a.entryId < b.entryId ? -1 : 1));
  }

  function inInbox(messageId: string): FakeMessage | null {
    const found = store.find(messageId);
    return found && found.folder === INBOX ? found.message : null;
  }

  const api: SimpleMapiApi & { outstandingBuffers(): number } = {
    MAPILogon(uiParam, profile, _password, flags) {
      const injected = fault('MAPILogon');
      if (injected !== null) return { rc: injected, session: 0 };
      store.log({ event: 'logon', api: 'MAPILogon', profile, flags, uiParam });
      if ((flags & MAPI.LOGON_UI) !== 0) store.log({ event: 'dialog', kind: 'logon' });
      const config = store.config();
      const wanted = profile && profile.length > 0 ? profile : config.defaultProfile;
      const known = wanted === null ? undefined : config.profiles.find((p) => p.toLowerCase() === wanted.toLowerCase());
      if (!known) {
        if ((flags & MAPI.LOGON_UI) !== 0) hangForever(); // the logon dialog waits for a person
        return { rc: SIMPLE_MAPI.MAPI_E_LOGON_FAILURE, session: 0 };
      }
      const handle = nextHandle++;
      sessions.set(handle, known);
      return { rc: SIMPLE_MAPI.SUCCESS_SUCCESS, session: handle };
    },

    MAPILogoff(session) {
      const injected = fault('MAPILogoff');
      if (injected !== null) return injected;
      if (!sessions.delete(session)) return SIMPLE_MAPI.MAPI_E_INVALID_SESSION;
      store.log({ event: 'logoff', api: 'MAPILogoff', outstandingBuffers: buffers.size });
      return SIMPLE_MAPI.SUCCESS_SUCCESS;
    },

    MAPIFindNext(session, _uiParam, messageType, seed, flags) {
      const injected = fault('MAPIFindNext');
      if (injected !== null) return { rc: injected, messageId: '' };
      if (!sessions.has(session)) return { rc: SIMPLE_MAPI.MAPI_E_INVALID_SESSION, messageId: '' };
      const all = ordered(flags);
      let start = 0;
      if (seed && seed.length > 0) {
        const at = all.findIndex((m) => m.entryId === seed);
        // A seed that no longer names a message (deleted, moved) is an invalid message identifier.
        if (at < 0) return { rc: SIMPLE_MAPI.MAPI_E_INVALID_MESSAGE, messageId: '' };
        start = at + 1;
      }
      const next = all
        .slice(start)
        .find((m) => classMatches(m, messageType) && ((flags & MAPI.UNREAD_ONLY) === 0 || m.unread));
      if (!next) return { rc: SIMPLE_MAPI.MAPI_E_NO_MESSAGES, messageId: '' };
      if (next.entryId.length >= SHORT_ID_LIMIT && (flags & MAPI.LONG_MSGID) === 0) {
        return { rc: SIMPLE_MAPI.MAPI_E_FAILURE, messageId: '' };
      }
      return { rc: SIMPLE_MAPI.SUCCESS_SUCCESS, messageId: next.entryId };
    },

    MAPIReadMail(session, _uiParam, messageId, flags) {
      const injected = fault('MAPIReadMail');
      if (injected !== null) return { rc: injected, message: null, buffer: null };
      if (!sessions.has(session)) return { rc: SIMPLE_MAPI.MAPI_E_INVALID_SESSION, message: null, buffer: null };
      const found = inInbox(messageId);
      if (!found) return { rc: SIMPLE_MAPI.MAPI_E_INVALID_MESSAGE, message: null, buffer: null };
      store.log({ event: 'read', api: 'MAPIReadMail', peek: (flags & MAPI.PEEK) !== 0, flags });
      const envelopeOnly = (flags & MAPI.ENVELOPE_ONLY) !== 0;
      const withFiles = !envelopeOnly && (flags & MAPI.SUPPRESS_ATTACH) === 0;
      let files: { pathName: string; fileName: string }[] = [];
      if (withFiles && found.attachments.length > 0) {
        const dir = join(root, 'tmp', randomBytes(6).toString('hex'));
        mkdirSync(dir, { recursive: true });
        files = found.attachments.map((attachment, i) => {
          const pathName = join(dir, `${i + 1}.tmp`);
          writeFileSync(pathName, Buffer.from(attachment.contentBase64, 'base64'));
          return { pathName, fileName: attachment.filename };
        });
      }
      const message: SimpleMapiMessage = {
        subject: found.subject,
        noteText: envelopeOnly ? null : found.body,
        messageType: found.messageClass,
        dateReceived: mapiDate(found.receivedTime),
        conversationId: null,
        flags: found.unread ? MAPI.UNREAD : 0,
        originator:
          found.senderName || found.senderAddress
            ? {
                recipClass: MAPI.ORIG,
                name: found.senderName || null,
                address: found.senderAddress ? `${found.senderType}:${found.senderAddress}` : null,
              }
            : null,
        recips: found.recipients
          .filter((r) => r.type !== 3)
          .map((r) => ({ recipClass: r.type, name: r.name || null, address: `SMTP:${r.address}` })),
        files,
      };
      // Read without MAPI_PEEK: the message is marked read (only on success, which this is).
      if ((flags & MAPI.PEEK) === 0 && found.unread) store.update(found.entryId, { unread: false });
      const buffer = nextHandle++;
      buffers.add(buffer);
      return { rc: SIMPLE_MAPI.SUCCESS_SUCCESS, message, buffer };
    },

    MAPIFreeBuffer(buffer) {
      if (typeof buffer !== 'number' || !buffers.delete(buffer)) {
        store.log({ event: 'bad-free', buffer: String(buffer) });
        return SIMPLE_MAPI.MAPI_E_FAILURE;
      }
      return SIMPLE_MAPI.SUCCESS_SUCCESS;
    },

    MAPIDeleteMail(session, _uiParam, messageId) {
      const injected = fault('MAPIDeleteMail');
      if (injected !== null) return injected;
      if (!sessions.has(session)) return SIMPLE_MAPI.MAPI_E_INVALID_SESSION;
      if (!inInbox(messageId)) return SIMPLE_MAPI.MAPI_E_INVALID_MESSAGE;
      // The message goes to Deleted Items under a new id: the old id (and any seed equal to it) is invalid now.
      store.move(messageId, 'Deleted Items');
      return SIMPLE_MAPI.SUCCESS_SUCCESS;
    },

    MAPISendMail(session, uiParam, message, flags) {
      return send('MAPISendMail', session, uiParam, message, flags);
    },

    MAPISendMailW(session, uiParam, message, flags) {
      return send('MAPISendMailW', session, uiParam, message, flags);
    },

    outstandingBuffers() {
      return buffers.size;
    },
  };

  function send(fn: string, session: number, _uiParam: number, message: SimpleMapiMessage, flags: number): number {
    const injected = fault(fn);
    if (injected !== null) return injected;
    if (session !== 0 && !sessions.has(session)) return SIMPLE_MAPI.MAPI_E_INVALID_SESSION;
    store.log({ event: 'send', api: fn, flags });
    if ((flags & MAPI.DIALOG) !== 0 || (flags & MAPI.LOGON_UI) !== 0) {
      store.log({ event: 'dialog', kind: 'send' });
      hangForever();
    }
    if (message.recips.length === 0) return SIMPLE_MAPI.MAPI_E_INVALID_RECIPS;
    const recipients: { name: string; address: string; type: 1 | 2 | 3 }[] = [];
    for (const recip of message.recips) {
      if (recip.recipClass < MAPI.TO || recip.recipClass > MAPI.BCC) return SIMPLE_MAPI.MAPI_E_BAD_RECIPTYPE;
      const address = /^SMTP:(.+@.+)$/i.exec(recip.address ?? '')?.[1];
      // Without an address, a name must resolve through the address book: the fake has none.
      if (!address) return SIMPLE_MAPI.MAPI_E_UNKNOWN_RECIPIENT;
      recipients.push({ name: recip.name ?? address, address, type: recip.recipClass as 1 | 2 | 3 });
    }
    const attachments: { filename: string; contentType: string; contentBase64: string }[] = [];
    for (const file of message.files) {
      if (!file.pathName || !existsSync(file.pathName)) return SIMPLE_MAPI.MAPI_E_ATTACHMENT_NOT_FOUND;
      attachments.push({
        filename: file.fileName ?? 'attachment',
        contentType: 'application/octet-stream',
        contentBase64: readFileSync(file.pathName).toString('base64'),
      });
    }
    store.deliver('Sent Items', {
      subject: message.subject ?? '',
      recipients,
      body: message.noteText ?? '',
      unread: false,
      attachments,
      sentVia: fn,
    });
    return SIMPLE_MAPI.SUCCESS_SUCCESS;
  }

  return api;
}
