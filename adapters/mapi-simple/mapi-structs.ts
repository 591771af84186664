/**
 * The C structures of Simple MAPI (mapi.h) for koffi, and their conversion to and from memory. Kept apart from the
 * DLL calls so that the layout and the marshalling run (and are tested) on any platform: only the MAPI32.DLL calls
 * themselves need Windows.
 *
 * ULONG and FLAGS are 32 bit on Windows in every build (LLP64), so they are declared `uint32` (koffi's `ulong` would
 * be 64 bit on Linux); LHANDLE and ULONG_PTR are pointer-sized. Strings are kept as raw pointers and decoded here,
 * because MAPIReadMail returns them in the system's ANSI code page, not UTF-8.
 *
 * @module
 */
import type { SimpleMapiFile, SimpleMapiMessage, SimpleMapiRecip } from './api.js';

/** The part of koffi's API this module uses (typed loosely: koffi is an optional dependency). */
export interface KoffiLike {
  struct(name: string, fields: Record<string, unknown>): unknown;
  sizeof(type: unknown): number;
  offsetof(type: unknown, member: string): number;
  alloc(type: unknown, count: number): unknown;
  free(pointer: unknown): void;
  encode(pointer: unknown, offset: number, type: unknown, value: unknown, length?: number): void;
  decode(pointer: unknown, offset: number, type: unknown, length?: number): unknown;
}

/**
 * The struct types of one koffi instance.
 *
 * @example
 * ```ts
 * const types = mapiTypes(koffi);
 * koffi.sizeof(types.MapiMessage); // 96 on x64
 * ```
 */
export interface MapiTypes {
  readonly MapiRecipDesc: unknown;
  readonly MapiFileDesc: unknown;
  readonly MapiMessage: unknown;
}

const cache = new WeakMap<object, MapiTypes>();

/**
 * Declares MapiRecipDesc, MapiFileDesc and MapiMessage (the W variants have the same layout: only the string
 * pointers point to UTF-16).
 *
 * @example
 * ```ts
 * const { MapiMessage } = mapiTypes(koffi);
 * ```
 */
export function mapiTypes(koffi: KoffiLike): MapiTypes {
  const known = cache.get(koffi);
  if (known) return known;
  const types: MapiTypes = {
    MapiRecipDesc: koffi.struct('MapiRecipDesc', {
      ulReserved: 'uint32',
      ulRecipClass: 'uint32',
      lpszName: 'void *',
      lpszAddress: 'void *',
      ulEIDSize: 'uint32',
      lpEntryID: 'void *',
    }),
    MapiFileDesc: koffi.struct('MapiFileDesc', {
      ulReserved: 'uint32',
      flFlags: 'uint32',
      nPosition: 'uint32',
      lpszPathName: 'void *',
      lpszFileName: 'void *',
      lpFileType: 'void *',
    }),
    MapiMessage: koffi.struct('MapiMessage', {
      ulReserved: 'uint32',
      lpszSubject: 'void *',
      lpszNoteText: 'void *',
      lpszMessageType: 'void *',
      lpszDateReceived: 'void *',
      lpszConversationID: 'void *',
      flFlags: 'uint32',
      lpOriginator: 'void *',
      nRecipCount: 'uint32',
      lpRecips: 'void *',
      nFileCount: 'uint32',
      lpFiles: 'void *',
    }),
  };
  cache.set(koffi, types);
  return types;
}

/**
 * How strings are stored: the ANSI code page (bytes, NUL-terminated) or UTF-16 (the W functions).
 *
 * @example
 * ```ts
 * const ansi: StringEncoding = { wide: false, codePage: 1252 };
 * ```
 */
export interface StringEncoding {
  readonly wide: boolean;
  /** The Windows ANSI code page (GetACP), for narrow strings. */
  readonly codePage: number;
}

function codePageLabel(codePage: number): string {
  if (codePage === 65001) return 'utf-8';
  if (codePage === 932) return 'shift_jis';
  if (codePage === 936) return 'gbk';
  if (codePage === 949) return 'euc-kr';
  if (codePage === 950) return 'big5';
  return `windows-${codePage}`;
}

function narrowBytes(text: string, codePage: number): Buffer {
  // Node can decode every Windows code page but encode only latin1 and UTF-8: characters outside them become '?'.
  if (codePage === 65001) return Buffer.from(text, 'utf8');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is every latin1 code unit, NUL included.
  return Buffer.from(text.replace(/[^\x00-\xff]/g, '?'), 'latin1');
}

/**
 * Memory a caller allocated for one call, freed together.
 *
 * @example
 * ```ts
 * const arena = new Arena(koffi);
 * try { call(encodeMessage(koffi, arena, message, encoding)); } finally { arena.free(); }
 * ```
 */
export class Arena {
  readonly #koffi: KoffiLike;
  readonly #blocks: unknown[] = [];

  constructor(koffi: KoffiLike) {
    this.#koffi = koffi;
  }

  /** Allocates `count` elements of `type`. */
  alloc(type: unknown, count: number): unknown {
    const block = this.#koffi.alloc(type, Math.max(count, 1));
    this.#blocks.push(block);
    return block;
  }

  /** A NUL-terminated string in the given encoding, or null. */
  string(text: string | null, encoding: StringEncoding): unknown {
    if (text === null) return null;
    if (encoding.wide) {
      const units = Buffer.from(`${text}\0`, 'utf16le');
      const block = this.alloc('uint8_t', units.length);
      this.#koffi.encode(block, 0, 'uint8_t', [...units], units.length);
      return block;
    }
    const bytes = Buffer.concat([narrowBytes(text, encoding.codePage), Buffer.from([0])]);
    const block = this.alloc('uint8_t', bytes.length);
    this.#koffi.encode(block, 0, 'uint8_t', [...bytes], bytes.length);
    return block;
  }

  /** Frees every block. */
  free(): void {
    for (const block of this.#blocks.splice(0)) this.#koffi.free(block);
  }
}

/**
 * Writes a {@link SimpleMapiMessage} into memory for MAPISendMail(W); returns the MapiMessage pointer.
 *
 * @example
 * ```ts
 * const pointer = encodeMessage(koffi, arena, message, { wide: true, codePage: 1252 });
 * MAPISendMailW(session, 0, pointer, 0, 0);
 * ```
 */
export function encodeMessage(
  koffi: KoffiLike,
  arena: Arena,
  message: SimpleMapiMessage,
  encoding: StringEncoding,
): unknown {
  const types = mapiTypes(koffi);
  const recipSize = koffi.sizeof(types.MapiRecipDesc);
  const fileSize = koffi.sizeof(types.MapiFileDesc);
  const recip = (r: SimpleMapiRecip) => ({
    ulReserved: 0,
    ulRecipClass: r.recipClass,
    lpszName: arena.string(r.name, encoding),
    lpszAddress: arena.string(r.address, encoding),
    ulEIDSize: 0,
    lpEntryID: null,
  });
  let recips: unknown = null;
  if (message.recips.length > 0) {
    recips = arena.alloc(types.MapiRecipDesc, message.recips.length);
    message.recips.forEach((r, i) => {
      koffi.encode(recips, i * recipSize, types.MapiRecipDesc, recip(r));
    });
  }
  let files: unknown = null;
  if (message.files.length > 0) {
    files = arena.alloc(types.MapiFileDesc, message.files.length);
    message.files.forEach((f: SimpleMapiFile, i) => {
      koffi.encode(files, i * fileSize, types.MapiFileDesc, {
        ulReserved: 0,
        flFlags: 0,
        // 0xFFFFFFFF: do not place the attachment inside the text.
        nPosition: 0xffffffff,
        lpszPathName: arena.string(f.pathName, encoding),
        lpszFileName: arena.string(f.fileName, encoding),
        lpFileType: null,
      });
    });
  }
  let originator: unknown = null;
  if (message.originator) {
    originator = arena.alloc(types.MapiRecipDesc, 1);
    koffi.encode(originator, 0, types.MapiRecipDesc, recip(message.originator));
  }
  const pointer = arena.alloc(types.MapiMessage, 1);
  koffi.encode(pointer, 0, types.MapiMessage, {
    ulReserved: 0,
    lpszSubject: arena.string(message.subject, encoding),
    lpszNoteText: arena.string(message.noteText, encoding),
    lpszMessageType: arena.string(message.messageType, encoding),
    lpszDateReceived: arena.string(message.dateReceived, encoding),
    lpszConversationID: arena.string(message.conversationId, encoding),
    flFlags: message.flags,
    lpOriginator: originator,
    nRecipCount: message.recips.length,
    lpRecips: recips,
    nFileCount: message.files.length,
    lpFiles: files,
  });
  return pointer;
}

/** Reads a NUL-terminated string at `pointer` (null stays null). */
export function decodeString(koffi: KoffiLike, pointer: unknown, encoding: StringEncoding): string | null {
  if (pointer === null || pointer === undefined) return null;
  const unit = encoding.wide ? 2 : 1;
  const chunk = 256;
  const bytes: number[] = [];
  for (let offset = 0; ; offset += chunk) {
    const part = koffi.decode(pointer, offset, 'uint8_t', chunk) as number[];
    for (let i = 0; i + unit - 1 < part.length; i += unit) {
      const zero = unit === 1 ? part[i] === 0 : part[i] === 0 && part[i + 1] === 0;
      if (zero) {
        const buffer = Buffer.from(bytes);
        return encoding.wide
          ? buffer.toString('utf16le')
          : new TextDecoder(codePageLabel(encoding.codePage)).decode(buffer);
      }
      for (let k = 0; k < unit; k += 1) bytes.push(part[i + k]!);
    }
    if (bytes.length > 64 * 1024 * 1024) throw new Error('unterminated MAPI string');
  }
}

/**
 * Reads the MapiMessage MAPIReadMail returned (its memory stays MAPI's until MAPIFreeBuffer).
 *
 * @example
 * ```ts
 * const message = decodeMessage(koffi, pointer, { wide: false, codePage: 1252 });
 * ```
 */
export function decodeMessage(koffi: KoffiLike, pointer: unknown, encoding: StringEncoding): SimpleMapiMessage {
  const types = mapiTypes(koffi);
  const raw = koffi.decode(pointer, 0, types.MapiMessage) as Record<string, unknown>;
  const text = (value: unknown) => decodeString(koffi, value, encoding);
  const recipSize = koffi.sizeof(types.MapiRecipDesc);
  const fileSize = koffi.sizeof(types.MapiFileDesc);
  const recipAt = (base: unknown, index: number): SimpleMapiRecip => {
    const r = koffi.decode(base, index * recipSize, types.MapiRecipDesc) as Record<string, unknown>;
    return { recipClass: Number(r.ulRecipClass), name: text(r.lpszName), address: text(r.lpszAddress) };
  };
  const recips: SimpleMapiRecip[] = [];
  for (let i = 0; i < Number(raw.nRecipCount); i += 1) recips.push(recipAt(raw.lpRecips, i));
  const files: SimpleMapiFile[] = [];
  for (let i = 0; i < Number(raw.nFileCount); i += 1) {
    const f = koffi.decode(raw.lpFiles, i * fileSize, types.MapiFileDesc) as Record<string, unknown>;
    files.push({ pathName: text(f.lpszPathName), fileName: text(f.lpszFileName) });
  }
  return {
    subject: text(raw.lpszSubject),
    noteText: text(raw.lpszNoteText),
    messageType: text(raw.lpszMessageType),
    dateReceived: text(raw.lpszDateReceived),
    conversationId: text(raw.lpszConversationID),
    flags: Number(raw.flFlags),
    originator: raw.lpOriginator ? recipAt(raw.lpOriginator, 0) : null,
    recips,
    files,
  };
}
