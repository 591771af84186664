/**
 * A fake of the Outlook object model, following Microsoft's documentation rather than the adapter (docs/mapi.md
 * lists the sources): collections are 1-based and raise "Array index out of bounds" outside 1..Count;
 * `Items.Restrict` returns a new, live collection (items that stop matching drop out of it); `Move` returns the
 * moved item, which has a new EntryID while the old one stops resolving; `Delete` moves to Deleted Items (or
 * removes for good from there); changes to `UnRead` persist with `Save`; `NameSpace.Logon` with a running Outlook
 * keeps the running profile; `PropertyAccessor.GetProperty` of a missing property raises MAPI_E_NOT_FOUND; with the
 * security prompts on, protected members wait for a person, which in a service means for ever. Errors look like
 * winax's: `errno` is the HRESULT of Invoke, `code` the EXCEPINFO scode (both signed 32 bit).
 *
 * Runs inside the bridge child (loaded through `--fake-module`), over the shared {@link FakeMailStore}.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { HRESULT } from '../../../../adapters/mapi/errors.js';
import {
  applyFault,
  DEFAULT_FOLDERS,
  type FakeMailStore,
  type FakeMessage,
  hangForever,
  FakeMailStore as Store,
} from './fake-store.js';

const PROPTAG_PREFIX = 'http://schemas.microsoft.com/mapi/proptag/0x';
const PS_INTERNET_HEADERS = 'http://schemas.microsoft.com/mapi/string/{00020386-0000-0000-C000-000000000046}/';

/**
 * A COM error as winax throws it: `errno` = Invoke's HRESULT; for errors raised by Outlook, Invoke returns
 * DISP_E_EXCEPTION and the real code is the EXCEPINFO scode in `code`.
 *
 * @example
 * ```ts
 * throw comError(HRESULT.MAPI_E_NOT_FOUND, 'The attempted operation failed. An object could not be found.');
 * ```
 */
export function comError(scode: number, description: string, options: { raw?: boolean } = {}): Error {
  const error = new Error(`${options.raw ? 'Invoke' : 'DispInvoke'}: ${description}`) as Error & {
    errno: number;
    code?: number;
    description: string;
  };
  if (options.raw) error.errno = scode | 0;
  else {
    error.errno = HRESULT.DISP_E_EXCEPTION | 0;
    error.code = scode | 0;
  }
  error.description = description;
  return error;
}

const notFound = () =>
  comError(HRESULT.MAPI_E_NOT_FOUND, 'The attempted operation failed. An object could not be found.');
const badIndex = () => comError(HRESULT.DISP_E_BADINDEX, 'Array index out of bounds.');
const unknownName = (name: string) => comError(HRESULT.DISP_E_UNKNOWNNAME, `Unknown name: ${name}`, { raw: true });

/** Runs a fault for `op` (hang, crash, or a COM error). */
function checkpoint(store: FakeMailStore, op: string): void {
  const fault = applyFault(store, op);
  if (fault?.action === 'com') {
    throw fault.scode !== undefined
      ? comError(fault.scode, fault.description ?? 'fault')
      : comError(fault.hresult ?? HRESULT.E_FAIL, fault.description ?? 'fault', { raw: true });
  }
}

/** A protected member (Object Model Guard): with prompts on, a modal dialog waits for a person that never comes. */
function guarded(store: FakeMailStore, member: string): void {
  if (store.config().guard === 'prompt') {
    store.log({ event: 'security-prompt', member });
    hangForever();
  }
}

class FakePropertyAccessor {
  readonly #store: FakeMailStore;
  readonly #read: () => FakeMessage | null;
  readonly #extra: Record<string, unknown>;
  readonly #onSet: ((name: string, value: string) => void) | null;

  constructor(
    store: FakeMailStore,
    read: () => FakeMessage | null,
    extra: Record<string, unknown> = {},
    onSet: ((name: string, value: string) => void) | null = null,
  ) {
    this.#store = store;
    this.#read = read;
    this.#extra = extra;
    this.#onSet = onSet;
  }

  GetProperty(schemaName: string): unknown {
    checkpoint(this.#store, 'PropertyAccessor.GetProperty');
    if (schemaName in this.#extra) {
      const value = this.#extra[schemaName];
      if (value === null || value === undefined) throw notFound();
      return value;
    }
    const message = this.#read();
    if (!message) throw notFound();
    const tag = schemaName.startsWith(PROPTAG_PREFIX) ? schemaName.slice(PROPTAG_PREFIX.length).toUpperCase() : '';
    switch (tag) {
      case '007D001F':
      case '007D001E':
        if (message.transportHeaders === null) throw notFound();
        return message.transportHeaders;
      case '1035001F':
      case '1035001E':
        if (message.internetMessageId === null) throw notFound();
        return message.internetMessageId;
      case '300B0102':
        // PT_BINARY comes back as a byte array.
        return [...Buffer.from(message.searchKey, 'hex')];
      case '5D01001F':
        if (message.senderType !== 'EX' || !message.senderSmtp) throw notFound();
        return message.senderSmtp;
      default:
        throw notFound();
    }
  }

  SetProperty(schemaName: string, value: unknown): void {
    checkpoint(this.#store, 'PropertyAccessor.SetProperty');
    if (!schemaName.startsWith(PS_INTERNET_HEADERS) || !this.#onSet) {
      throw comError(HRESULT.E_ACCESSDENIED, 'The property cannot be set.');
    }
    this.#onSet(schemaName.slice(PS_INTERNET_HEADERS.length), String(value));
  }

  BinaryToString(value: unknown): string {
    if (!Array.isArray(value)) throw comError(HRESULT.E_FAIL, 'Type mismatch.');
    return Buffer.from(value as number[])
      .toString('hex')
      .toUpperCase();
  }
}

interface Draft {
  To: string;
  CC: string;
  BCC: string;
  Subject: string;
  Body: string;
  HTMLBody: string;
  BodyFormat: number;
  attachments: { filename: string; contentType: string; contentBase64: string }[];
  headers: Record<string, string>;
}

class FakeRecipient {
  readonly Name: string;
  readonly #address: string;
  Type: number;
  readonly #store: FakeMailStore;

  constructor(store: FakeMailStore, name: string, address: string, type: number) {
    this.#store = store;
    this.Name = name;
    this.#address = address;
    this.Type = type;
  }

  get Address(): string {
    guarded(this.#store, 'Recipient.Address');
    return this.#address;
  }

  get PropertyAccessor(): FakePropertyAccessor {
    guarded(this.#store, 'Recipient.PropertyAccessor');
    return new FakePropertyAccessor(this.#store, () => null, {
      [`${PROPTAG_PREFIX}39FE001F`]: this.#address.includes('@') ? this.#address : null,
    });
  }
}

class FakeMailItem {
  readonly #store: FakeMailStore;
  readonly #entryId: string | null;
  readonly #draft: Draft | null;
  #pending: { -readonly [K in keyof FakeMessage]?: FakeMessage[K] } = {};

  constructor(store: FakeMailStore, entryId: string | null, draft: Draft | null = null) {
    this.#store = store;
    this.#entryId = entryId;
    this.#draft = draft;
  }

  /** The stored message, or the error Outlook gives for an item that was moved or deleted. */
  #data(): FakeMessage {
    if (this.#entryId === null) throw comError(HRESULT.E_FAIL, 'The item has not been saved.');
    const found = this.#store.find(this.#entryId);
    if (!found) throw comError(HRESULT.MAPI_E_OBJECT_DELETED, 'The item has been moved or deleted.');
    return { ...found.message, ...this.#pending };
  }

  #isReport(): boolean {
    return this.#draft === null && this.#data().messageClass.startsWith('REPORT.');
  }

  get Class(): number {
    return this.#isReport() ? 46 : 43;
  }
  get EntryID(): string {
    if (this.#draft) return '';
    return this.#data().entryId;
  }
  get MessageClass(): string {
    return this.#draft ? 'IPM.Note' : this.#data().messageClass;
  }
  get Subject(): string {
    return this.#draft ? this.#draft.Subject : this.#data().subject;
  }
  set Subject(value: string) {
    if (this.#draft) this.#draft.Subject = value;
    else this.#pending.subject = value;
  }
  get SenderName(): string {
    if (this.#isReport()) throw unknownName('SenderName');
    return this.#draft ? '' : this.#data().senderName;
  }
  get SenderEmailAddress(): string {
    if (this.#isReport()) throw unknownName('SenderEmailAddress');
    guarded(this.#store, 'MailItem.SenderEmailAddress');
    return this.#draft ? '' : this.#data().senderAddress;
  }
  get SenderEmailType(): string {
    if (this.#isReport()) throw unknownName('SenderEmailType');
    return this.#draft ? '' : this.#data().senderType;
  }
  #names(type: number): string {
    return this.#data()
      .recipients.filter((r) => r.type === type)
      .map((r) => r.name || r.address)
      .join('; ');
  }
  get To(): string {
    return this.#draft ? this.#draft.To : this.#names(1);
  }
  set To(value: string) {
    if (!this.#draft) throw comError(HRESULT.E_ACCESSDENIED, 'You do not have permission.');
    this.#draft.To = value;
  }
  get CC(): string {
    return this.#draft ? this.#draft.CC : this.#names(2);
  }
  set CC(value: string) {
    if (!this.#draft) throw comError(HRESULT.E_ACCESSDENIED, 'You do not have permission.');
    this.#draft.CC = value;
  }
  get BCC(): string {
    return this.#draft ? this.#draft.BCC : this.#names(3);
  }
  set BCC(value: string) {
    if (!this.#draft) throw comError(HRESULT.E_ACCESSDENIED, 'You do not have permission.');
    this.#draft.BCC = value;
  }
  get Recipients() {
    const store = this.#store;
    const list = this.#draft
      ? [
          ...splitAddresses(this.#draft.To).map((a) => ({ name: a, address: a, type: 1 })),
          ...splitAddresses(this.#draft.CC).map((a) => ({ name: a, address: a, type: 2 })),
          ...splitAddresses(this.#draft.BCC).map((a) => ({ name: a, address: a, type: 3 })),
        ]
      : this.#data().recipients.map((r) => ({ ...r }));
    return {
      get Count() {
        return list.length;
      },
      Item(index: number) {
        const r = list[index - 1];
        if (!Number.isInteger(index) || !r) throw badIndex();
        return new FakeRecipient(store, r.name, r.address, r.type);
      },
      Add(): never {
        throw comError(HRESULT.E_FAIL, 'not supported by the fake: set To/CC/BCC instead');
      },
      ResolveAll(): boolean {
        // An address that is not an SMTP address (no @) does not resolve without the address book.
        return list.every((r) => r.address.includes('@'));
      },
    };
  }
  get ReceivedTime(): Date {
    return new Date(this.#data().receivedTime);
  }
  get Size(): number {
    const data = this.#data();
    return Buffer.byteLength(JSON.stringify(data));
  }
  get Body(): string {
    guarded(this.#store, 'MailItem.Body');
    return this.#draft ? this.#draft.Body : this.#data().body;
  }
  set Body(value: string) {
    if (this.#draft) this.#draft.Body = value;
    else this.#pending.body = value;
  }
  get HTMLBody(): string {
    guarded(this.#store, 'MailItem.HTMLBody');
    if (this.#draft) return this.#draft.HTMLBody;
    const data = this.#data();
    // Outlook renders plain-text mail as HTML when asked for HTMLBody.
    return data.htmlBody ?? `<html><body><pre>${data.body}</pre></body></html>`;
  }
  set HTMLBody(value: string) {
    if (this.#draft) this.#draft.HTMLBody = value;
    else this.#pending.htmlBody = value;
  }
  get BodyFormat(): number {
    if (this.#draft) return this.#draft.BodyFormat;
    return this.#data().htmlBody !== null ? 2 : 1;
  }
  set BodyFormat(value: number) {
    if (this.#draft) this.#draft.BodyFormat = value;
  }
  get UnRead(): boolean {
    return this.#draft ? false : this.#data().unread;
  }
  set UnRead(value: boolean) {
    // Persisted only by Save(), like every other change to a stored item.
    this.#pending.unread = value === true;
  }
  get Attachments() {
    const store = this.#store;
    const draft = this.#draft;
    const list = draft ? draft.attachments : [...this.#data().attachments];
    return {
      get Count() {
        return list.length;
      },
      Item(index: number) {
        const attachment = list[index - 1];
        if (!Number.isInteger(index) || !attachment) throw badIndex();
        const content = Buffer.from(attachment.contentBase64, 'base64');
        return {
          FileName: attachment.filename,
          Size: content.length,
          get PropertyAccessor() {
            guarded(store, 'Attachment.PropertyAccessor');
            return new FakePropertyAccessor(store, () => null, {
              [`${PROPTAG_PREFIX}370E001F`]: attachment.contentType,
            });
          },
          SaveAsFile(path: string) {
            checkpoint(store, 'Attachment.SaveAsFile');
            writeFileSync(path, content);
          },
        };
      },
      Add(source: string, _type?: number, _position?: number, displayName?: string) {
        if (!draft) throw comError(HRESULT.E_ACCESSDENIED, 'You do not have permission.');
        // Outlook copies the file when it is added.
        const content = readFileSync(source);
        const filename = displayName ?? basename(source);
        draft.attachments.push({
          filename,
          contentType: 'application/octet-stream',
          contentBase64: content.toString('base64'),
        });
        return {};
      },
    };
  }
  get PropertyAccessor(): FakePropertyAccessor {
    guarded(this.#store, 'MailItem.PropertyAccessor');
    const draft = this.#draft;
    return new FakePropertyAccessor(
      this.#store,
      () => (draft ? null : this.#data()),
      {},
      draft
        ? (name, value) => {
            draft.headers[name] = value;
          }
        : null,
    );
  }
  Save(): void {
    checkpoint(this.#store, 'MailItem.Save');
    if (this.#draft) return;
    const data = this.#data();
    this.#store.update(data.entryId, this.#pending);
    this.#pending = {};
  }
  Move(destination: FakeFolder): FakeMailItem {
    checkpoint(this.#store, 'MailItem.Move');
    const data = this.#data();
    const moved = this.#store.move(data.entryId, destination.path);
    if (!moved) throw comError(HRESULT.MAPI_E_OBJECT_DELETED, 'The item has been moved or deleted.');
    return new FakeMailItem(this.#store, moved.entryId);
  }
  Delete(): void {
    checkpoint(this.#store, 'MailItem.Delete');
    const data = this.#data();
    const here = this.#store.find(data.entryId)!.folder;
    if (here === 'Deleted Items') this.#store.remove(data.entryId);
    else this.#store.move(data.entryId, 'Deleted Items');
  }
  Send(): void {
    checkpoint(this.#store, 'MailItem.Send');
    guarded(this.#store, 'MailItem.Send');
    const draft = this.#draft;
    if (!draft) throw comError(HRESULT.E_FAIL, 'The item has already been sent.');
    if (splitAddresses(draft.To).length + splitAddresses(draft.CC).length + splitAddresses(draft.BCC).length === 0) {
      throw comError(HRESULT.E_FAIL, 'Outlook does not recognize one or more names.');
    }
    const recipients = [
      ...splitAddresses(draft.To).map((a) => ({ name: a, address: a, type: 1 as const })),
      ...splitAddresses(draft.CC).map((a) => ({ name: a, address: a, type: 2 as const })),
      ...splitAddresses(draft.BCC).map((a) => ({ name: a, address: a, type: 3 as const })),
    ];
    this.#store.deliver('Sent Items', {
      subject: draft.Subject,
      senderName: this.#store.config().storeName,
      recipients,
      body: draft.Body,
      htmlBody: draft.BodyFormat === 2 ? draft.HTMLBody : null,
      unread: false,
      attachments: draft.attachments,
      sentVia: 'Outlook',
      headersSet: draft.headers,
    });
  }
}

function splitAddresses(value: string): string[] {
  return value
    .split(/[;,]/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/** A live view of a folder's items: recomputed at every access, as Outlook's collections are. */
class FakeItems {
  readonly #store: FakeMailStore;
  readonly #folder: string;
  readonly #unread: boolean | null;
  #sortDescending: boolean | null = null;

  constructor(store: FakeMailStore, folder: string, unread: boolean | null) {
    this.#store = store;
    this.#folder = folder;
    this.#unread = unread;
  }

  #current(): FakeMessage[] {
    const all = this.#store.messages(this.#folder).filter((m) => this.#unread === null || m.unread === this.#unread);
    if (this.#sortDescending === null) {
      // Without Sort, Outlook promises no order: here it is the EntryID order, which is not arrival order.
      return all.sort((a, b) => (a.entryId < b.entryId ? -1 : 1));
    }
    const direction = this.#sortDescending ? -1 : 1;
    return all.sort(
      (a, b) =>
        (a.receivedTime < b.receivedTime ? -1 : a.receivedTime > b.receivedTime ? 1 : a.seq - b.seq) * direction,
    );
  }

  get Count(): number {
    checkpoint(this.#store, 'Items.Count');
    return this.#current().length;
  }

  Item(index: number): FakeMailItem {
    checkpoint(this.#store, 'Items.Item');
    const message = this.#current()[index - 1];
    if (!Number.isInteger(index) || !message) throw badIndex();
    return new FakeMailItem(this.#store, message.entryId);
  }

  Restrict(filter: string): FakeItems {
    checkpoint(this.#store, 'Items.Restrict');
    const match = /^\s*\[unread\]\s*=\s*(true|false|1|0)\s*$/i.exec(filter);
    if (!match) throw comError(HRESULT.E_FAIL, `Cannot parse condition. Error at "${filter}".`);
    const value = /^(true|1)$/i.test(match[1]!);
    return new FakeItems(this.#store, this.#folder, value);
  }

  Sort(property: string, descending = false): void {
    checkpoint(this.#store, 'Items.Sort');
    if (!/^\[ReceivedTime\]$/i.test(property.trim()))
      throw comError(HRESULT.E_FAIL, `The property "${property}" is unknown.`);
    this.#sortDescending = descending === true;
  }
}

class FakeFolder {
  readonly #store: FakeMailStore;
  readonly #namespace: FakeNamespace;
  /** Path below the store root; '' is the root. */
  readonly path: string;

  constructor(store: FakeMailStore, namespace: FakeNamespace, path: string) {
    this.#store = store;
    this.#namespace = namespace;
    this.path = path;
  }

  get Name(): string {
    return this.path === '' ? this.#store.config().storeName : this.path.split('/').pop()!;
  }
  get EntryID(): string {
    return createHash('sha256').update(this.path).digest('hex').toUpperCase();
  }
  get FolderPath(): string {
    return `\\\\${this.#store.config().storeName}${this.path ? `\\${this.path.replaceAll('/', '\\')}` : ''}`;
  }
  get Items(): FakeItems {
    return new FakeItems(this.#store, this.path, null);
  }
  get Parent(): FakeFolder | FakeNamespace {
    if (this.path === '') return this.#namespace;
    const parent = this.path.includes('/') ? this.path.slice(0, this.path.lastIndexOf('/')) : '';
    return new FakeFolder(this.#store, this.#namespace, parent);
  }
  get Folders() {
    const store = this.#store;
    const namespace = this.#namespace;
    const base = this.path;
    const children = () =>
      store
        .folders()
        .filter((f) =>
          base === '' ? !f.includes('/') : f.startsWith(`${base}/`) && !f.slice(base.length + 1).includes('/'),
        )
        .sort();
    return {
      get Count() {
        return children().length;
      },
      Item(index: number | string): FakeFolder {
        const list = children();
        if (typeof index === 'number') {
          const path = list[index - 1];
          if (!Number.isInteger(index) || !path) throw badIndex();
          return new FakeFolder(store, namespace, path);
        }
        const path = list.find((f) => f.split('/').pop()!.toLowerCase() === index.toLowerCase());
        if (!path) throw notFound();
        return new FakeFolder(store, namespace, path);
      },
      Add(name: string): FakeFolder {
        const path = base === '' ? name : `${base}/${name}`;
        if (store.folderExists(path)) throw comError(HRESULT.E_FAIL, 'Cannot create the folder.');
        store.ensureFolder(path);
        return new FakeFolder(store, namespace, path);
      },
    };
  }
}

/** OlDefaultFolders the fake knows. */
const DEFAULT_FOLDER_BY_TYPE: Record<number, string> = {
  3: 'Deleted Items',
  4: 'Outbox',
  5: 'Sent Items',
  6: 'Inbox',
  16: 'Drafts',
};

class FakeNamespace {
  readonly #store: FakeMailStore;
  #profile: string | null = null;

  constructor(store: FakeMailStore) {
    this.#store = store;
  }

  get CurrentProfileName(): string {
    return this.#profile ?? '';
  }

  Logon(profile = '', _password = '', showDialog = false, newSession = false): void {
    checkpoint(this.#store, 'NameSpace.Logon');
    const config = this.#store.config();
    this.#store.log({ event: 'logon', api: 'Outlook', profile, showDialog, newSession });
    if (showDialog) {
      this.#store.log({ event: 'dialog', kind: 'choose-profile' });
      hangForever();
    }
    if (config.running !== null) {
      // Outlook is running: one process, one profile; Logon joins it whatever profile was asked for.
      this.#profile = config.running;
      return;
    }
    const wanted = profile.length > 0 ? profile : config.defaultProfile;
    const known = wanted === null ? undefined : config.profiles.find((p) => p.toLowerCase() === wanted.toLowerCase());
    if (!known)
      throw comError(HRESULT.MAPI_E_LOGON_FAILED, `Cannot log on: profile ${JSON.stringify(profile)} not found.`);
    this.#profile = known;
  }

  #requireLogon(): void {
    if (this.#profile === null) throw comError(HRESULT.MAPI_E_LOGON_FAILED, 'Not logged on.');
  }

  GetDefaultFolder(folderType: number): FakeFolder {
    checkpoint(this.#store, 'NameSpace.GetDefaultFolder');
    this.#requireLogon();
    const path = DEFAULT_FOLDER_BY_TYPE[folderType];
    if (!path) throw comError(HRESULT.E_FAIL, `The fake has no default folder ${folderType}.`);
    return new FakeFolder(this.#store, this, path);
  }

  GetItemFromID(entryId: string): FakeMailItem {
    checkpoint(this.#store, 'NameSpace.GetItemFromID');
    this.#requireLogon();
    if (!this.#store.find(entryId)) throw notFound();
    return new FakeMailItem(this.#store, entryId);
  }
}

/**
 * The fake `Outlook.Application` on the store at `root` (what the bridge child calls for `new
 * winax.Object('Outlook.Application')`).
 *
 * @example
 * ```ts
 * const app = createOutlookApplication('/tmp/store');
 * app.GetNamespace('MAPI').Logon('', '', false, false);
 * ```
 */
export function createOutlookApplication(root: string) {
  const store = new Store(root);
  checkpoint(store, 'Application.create');
  const namespace = new FakeNamespace(store);
  for (const folder of DEFAULT_FOLDERS) store.ensureFolder(folder);
  return {
    GetNamespace(type: string): FakeNamespace {
      if (type !== 'MAPI') throw comError(HRESULT.E_FAIL, 'Only "MAPI" is supported.');
      return namespace;
    },
    CreateItem(itemType: number): FakeMailItem {
      checkpoint(store, 'Application.CreateItem');
      if (itemType !== 0) throw comError(HRESULT.E_FAIL, 'The fake creates mail items only.');
      return new FakeMailItem(store, null, {
        To: '',
        CC: '',
        BCC: '',
        Subject: '',
        Body: '',
        HTMLBody: '',
        BodyFormat: 1,
        attachments: [],
        headers: {},
      });
    },
  };
}
