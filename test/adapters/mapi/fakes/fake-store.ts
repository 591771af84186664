/**
 * The mailbox behind both MAPI fakes: a directory that the test process and the bridge child share, so that the
 * fakes can run inside the real bridge child (a separate process) while the test puts mail in and looks at the
 * result. Every access is synchronous file I/O, like the blocking COM/DLL calls the fakes stand in for. Writes are
 * atomic (temporary file + rename).
 *
 * Layout: `config.json`, `folders/<encoded folder path>/<EntryID>.json`, `faults.json`, `events.jsonl`.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/** OOM recipient types (OlMailRecipientType). */
export type FakeRecipientType = 1 | 2 | 3;

/**
 * A message as the fake store keeps it (one JSON file per message).
 *
 * @example
 * ```ts
 * store.deliver('Inbox', { subject: 'Hello', senderAddress: 'ada@example.test', unread: true });
 * ```
 */
export interface FakeMessage {
  /** The EntryID: changes when the message moves to another folder. */
  readonly entryId: string;
  /** PR_SEARCH_KEY as hex: kept across moves. */
  readonly searchKey: string;
  /** Arrival order (microseconds of a monotonic clock). */
  readonly seq: number;
  readonly messageClass: string;
  readonly internetMessageId: string | null;
  readonly subject: string;
  readonly senderName: string;
  readonly senderAddress: string;
  readonly senderType: 'SMTP' | 'EX';
  /** The SMTP address of an EX sender (PR_SENDER_SMTP_ADDRESS). */
  readonly senderSmtp: string | null;
  readonly recipients: readonly { readonly name: string; readonly address: string; readonly type: FakeRecipientType }[];
  readonly receivedTime: string;
  readonly body: string;
  readonly htmlBody: string | null;
  readonly unread: boolean;
  readonly transportHeaders: string | null;
  readonly attachments: readonly {
    readonly filename: string;
    readonly contentType: string;
    readonly contentBase64: string;
  }[];
  /** Sent items: which API sent it, and the Internet headers set on it. */
  readonly sentVia?: string;
  readonly headersSet?: Readonly<Record<string, string>>;
}

/**
 * The fake MAPI installation: which profiles exist, which is the default, whether Outlook is already running with
 * one, and whether the Outlook security prompts are on (`prompt`: protected members wait for a person, forever).
 *
 * @example
 * ```ts
 * const config: FakeConfig = { profiles: ['Outlook', 'Support'], defaultProfile: 'Outlook', running: null,
 *   guard: 'trusted', storeName: 'Mailbox - Support' };
 * ```
 */
export interface FakeConfig {
  readonly profiles: readonly string[];
  readonly defaultProfile: string | null;
  readonly running: string | null;
  readonly guard: 'trusted' | 'prompt';
  readonly storeName: string;
}

/**
 * A fault to inject at a named operation (`Items.Restrict`, `MAPIFindNext`, …): hang (the call never returns, as
 * a COM call blocked by a modal dialog), crash (the process dies), a COM error, or a Simple MAPI return code.
 * `times` bounds how often it fires (unbounded when missing).
 *
 * @example
 * ```ts
 * store.addFault({ op: 'Items.Restrict', action: 'com', hresult: 0x8001010a, times: 1 });
 * ```
 */
export interface FakeFault {
  readonly op: string;
  readonly action: 'hang' | 'crash' | 'com' | 'mapi';
  readonly hresult?: number;
  readonly scode?: number;
  readonly code?: number;
  readonly description?: string;
  readonly times?: number;
}

export const DEFAULT_CONFIG: FakeConfig = {
  profiles: ['Outlook'],
  defaultProfile: 'Outlook',
  running: null,
  guard: 'trusted',
  storeName: 'Mailbox - Fake',
};

/** The default folders of a new store. */
export const DEFAULT_FOLDERS = ['Inbox', 'Deleted Items', 'Sent Items', 'Outbox', 'Drafts'] as const;

function writeAtomic(path: string, content: string): void {
  const temporary = join(path, '..', `.${randomBytes(6).toString('hex')}.tmp`);
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * A new EntryID: long uppercase hex, like Exchange's long-term EntryIDs (longer than Simple MAPI's 64-byte
 * message ids, so a caller without MAPI_LONG_MSGID fails as documented).
 *
 * @example
 * ```ts
 * newEntryId().length; // 140
 * ```
 */
export function newEntryId(): string {
  return `00000000${randomBytes(66).toString('hex')}`.toUpperCase();
}

/**
 * The fake store on a directory.
 *
 * @example
 * ```ts
 * const store = FakeMailStore.create(dir, { profiles: ['Support'], defaultProfile: 'Support' });
 * store.deliver('Inbox', { subject: 'Hi' });
 * ```
 */
export class FakeMailStore {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /** Creates (or resets) a store with the default folders. */
  static create(root: string, config: Partial<FakeConfig> = {}): FakeMailStore {
    rmSync(join(root, 'folders'), { recursive: true, force: true });
    rmSync(join(root, 'faults.json'), { force: true });
    rmSync(join(root, 'events.jsonl'), { force: true });
    mkdirSync(join(root, 'folders'), { recursive: true });
    const store = new FakeMailStore(root);
    store.configure({ ...DEFAULT_CONFIG, ...config });
    for (const folder of DEFAULT_FOLDERS) store.ensureFolder(folder);
    return store;
  }

  config(): FakeConfig {
    return JSON.parse(readFileSync(join(this.root, 'config.json'), 'utf8')) as FakeConfig;
  }

  configure(config: FakeConfig): void {
    writeAtomic(join(this.root, 'config.json'), JSON.stringify(config));
  }

  #folderDir(path: string): string {
    return join(this.root, 'folders', encodeURIComponent(path));
  }

  /** Every folder path (`Inbox`, `Inbox/Bounces`, `Archive`). */
  folders(): string[] {
    return readdirSync(join(this.root, 'folders')).map((name) => decodeURIComponent(name));
  }

  folderExists(path: string): boolean {
    return existsSync(this.#folderDir(path));
  }

  ensureFolder(path: string): void {
    mkdirSync(this.#folderDir(path), { recursive: true });
  }

  /** The messages of a folder in arrival order. */
  messages(folder: string): FakeMessage[] {
    const dir = this.#folderDir(folder);
    if (!existsSync(dir)) return [];
    const out: FakeMessage[] = [];
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      try {
        out.push(JSON.parse(readFileSync(join(dir, name), 'utf8')) as FakeMessage);
      } catch {
        // Removed between readdir and read: it is gone.
      }
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** Every message with its folder. */
  all(): { folder: string; message: FakeMessage }[] {
    return this.folders().flatMap((folder) => this.messages(folder).map((message) => ({ folder, message })));
  }

  find(entryId: string): { folder: string; message: FakeMessage } | null {
    if (!/^[0-9A-F]+$/.test(entryId)) return null;
    for (const folder of this.folders()) {
      const path = join(this.#folderDir(folder), `${entryId}.json`);
      if (existsSync(path)) {
        try {
          return { folder, message: JSON.parse(readFileSync(path, 'utf8')) as FakeMessage };
        } catch {
          return null;
        }
      }
    }
    return null;
  }

  /** Puts a message into a folder (a new arrival: new EntryID, search key and sequence number). */
  deliver(folder: string, partial: Partial<FakeMessage> = {}): FakeMessage {
    const message: FakeMessage = {
      messageClass: 'IPM.Note',
      internetMessageId: null,
      subject: '',
      senderName: '',
      senderAddress: '',
      senderType: 'SMTP',
      senderSmtp: null,
      recipients: [],
      receivedTime: new Date().toISOString(),
      body: '',
      htmlBody: null,
      unread: true,
      transportHeaders: null,
      attachments: [],
      ...partial,
      entryId: newEntryId(),
      searchKey: partial.searchKey ?? randomBytes(16).toString('hex').toUpperCase(),
      seq: monotonicMicros(),
    };
    this.write(folder, message);
    return message;
  }

  write(folder: string, message: FakeMessage): void {
    this.ensureFolder(folder);
    writeAtomic(join(this.#folderDir(folder), `${message.entryId}.json`), JSON.stringify(message));
  }

  update(entryId: string, patch: Partial<FakeMessage>): FakeMessage | null {
    const found = this.find(entryId);
    if (!found) return null;
    const updated = { ...found.message, ...patch, entryId };
    this.write(found.folder, updated);
    return updated;
  }

  /** Moves a message: it gets a new EntryID in the target folder; the search key stays. */
  move(entryId: string, folder: string): FakeMessage | null {
    const found = this.find(entryId);
    if (!found) return null;
    const moved: FakeMessage = { ...found.message, entryId: newEntryId() };
    this.write(folder, moved);
    rmSync(join(this.#folderDir(found.folder), `${entryId}.json`), { force: true });
    return moved;
  }

  remove(entryId: string): boolean {
    const found = this.find(entryId);
    if (!found) return false;
    rmSync(join(this.#folderDir(found.folder), `${entryId}.json`), { force: true });
    return true;
  }

  addFault(fault: FakeFault): void {
    writeAtomic(join(this.root, 'faults.json'), JSON.stringify([...this.faults(), fault]));
  }

  clearFaults(): void {
    rmSync(join(this.root, 'faults.json'), { force: true });
  }

  faults(): FakeFault[] {
    const path = join(this.root, 'faults.json');
    if (!existsSync(path)) return [];
    return JSON.parse(readFileSync(path, 'utf8')) as FakeFault[];
  }

  /** The first fault for `op`, counted down (a fault with `times` fires that often). */
  takeFault(op: string): FakeFault | null {
    const faults = this.faults();
    const index = faults.findIndex((fault) => fault.op === op && (fault.times === undefined || fault.times > 0));
    if (index < 0) return null;
    const fault = faults[index]!;
    if (fault.times !== undefined) {
      faults[index] = { ...fault, times: fault.times - 1 };
      writeAtomic(join(this.root, 'faults.json'), JSON.stringify(faults));
    }
    return fault;
  }

  /** Records something the fake saw (a dialog shown, a logon, a security prompt) for tests to check. */
  log(event: Record<string, unknown>): void {
    appendFileSync(join(this.root, 'events.jsonl'), `${JSON.stringify({ ...event, pid: process.pid })}\n`);
  }

  events(): Record<string, unknown>[] {
    const path = join(this.root, 'events.jsonl');
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

/**
 * Blocks this thread for good, as a COM call waiting on a modal dialog does (the parent's deadline kills us).
 *
 * @example
 * ```ts
 * if (fault.action === 'hang') hangForever();
 * ```
 */
export function hangForever(): never {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(cell, 0, 0);
}

/**
 * Applies a hang or crash fault; returns the fault for the caller to apply the rest (COM error, return code).
 *
 * @example
 * ```ts
 * const fault = applyFault(store, 'MAPIFindNext');
 * if (fault?.action === 'mapi') return { rc: fault.code!, messageId: '' };
 * ```
 */
export function applyFault(store: FakeMailStore, op: string): FakeFault | null {
  const fault = store.takeFault(op);
  if (!fault) return null;
  store.log({ event: 'fault', op, action: fault.action });
  if (fault.action === 'hang') hangForever();
  if (fault.action === 'crash') process.kill(process.pid, 'SIGKILL');
  return fault;
}
