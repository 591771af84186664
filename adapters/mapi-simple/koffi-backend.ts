/**
 * The real Simple MAPI: MAPI32.DLL through the optional `koffi` package, loaded lazily inside the bridge child and
 * only on Windows. The structures and their marshalling are in mapi-structs.ts (tested on every platform); the DLL
 * calls below are the last inch that only the Windows workflow runs (.github/workflows/windows-mapi.yml).
 *
 * @module
 */
import { BridgeFailureError } from '../mapi/protocol.js';
import { MESSAGE_ID_BUFFER_CHARS, type SimpleMapiApi, type SimpleMapiMessage } from './api.js';
import {
  Arena,
  decodeMessage,
  decodeString,
  encodeMessage,
  type KoffiLike,
  type StringEncoding,
} from './mapi-structs.js';

interface KoffiModule extends KoffiLike {
  load(path: string): {
    func(convention: string, name: string, result: string, args: unknown[]): (...args: unknown[]) => unknown;
  };
  out(type: unknown): unknown;
  pointer(type: unknown): unknown;
}

type Fn = (...args: unknown[]) => unknown;

/**
 * Loads koffi and MAPI32.DLL and returns the Simple MAPI functions. Throws a BridgeFailureError of kind
 * `unavailable` off Windows, without koffi, or without a MAPI provider (MAPI32.DLL routes to the default mail
 * client's provider, e.g. Outlook's).
 *
 * @example
 * ```ts
 * const api = await loadMapi32();
 * const { rc, session } = api.MAPILogon(0, 'Support', null, MAPI.NEW_SESSION);
 * ```
 */
export async function loadMapi32(): Promise<SimpleMapiApi> {
  if (process.platform !== 'win32') {
    throw new BridgeFailureError({
      kind: 'unavailable',
      message: `Simple MAPI needs Windows (MAPI32.DLL, SPEC S1); this system is ${process.platform}`,
    });
  }
  let koffi: KoffiModule;
  try {
    koffi = ((await import('koffi')) as unknown as { default: KoffiModule }).default;
  } catch (error) {
    throw new BridgeFailureError({
      kind: 'unavailable',
      message: `the optional package koffi is not installed: ${(error as Error).message}`,
    });
  }
  let lib: ReturnType<KoffiModule['load']>;
  let kernel32: ReturnType<KoffiModule['load']>;
  try {
    lib = koffi.load('MAPI32.DLL');
    kernel32 = koffi.load('kernel32.dll');
  } catch (error) {
    throw new BridgeFailureError({
      kind: 'unavailable',
      message: `cannot load MAPI32.DLL: ${(error as Error).message}`,
    });
  }
  // WINAPI is __stdcall on 32-bit Windows; koffi ignores the convention on x64 and ARM64.
  const fn = (name: string, result: string, args: unknown[]): Fn => lib.func('__stdcall', name, result, args);
  const optionalFn = (name: string, result: string, args: unknown[]): Fn | undefined => {
    try {
      return fn(name, result, args);
    } catch {
      return undefined;
    }
  };
  const codePage = Number(kernel32.func('__stdcall', 'GetACP', 'uint32', [])());
  const ansi: StringEncoding = { wide: false, codePage };
  const wide: StringEncoding = { wide: true, codePage };

  const handleOut = koffi.out(koffi.pointer('uintptr_t'));
  const pointerOut = koffi.out(koffi.pointer('void *'));
  const logon = fn('MAPILogon', 'uint32', ['uintptr_t', 'void *', 'void *', 'uint32', 'uint32', handleOut]);
  const logoff = fn('MAPILogoff', 'uint32', ['uintptr_t', 'uintptr_t', 'uint32', 'uint32']);
  const findNext = fn('MAPIFindNext', 'uint32', [
    'uintptr_t',
    'uintptr_t',
    'void *',
    'void *',
    'uint32',
    'uint32',
    'void *',
  ]);
  const readMail = fn('MAPIReadMail', 'uint32', ['uintptr_t', 'uintptr_t', 'void *', 'uint32', 'uint32', pointerOut]);
  const freeBuffer = fn('MAPIFreeBuffer', 'uint32', ['void *']);
  const deleteMail = fn('MAPIDeleteMail', 'uint32', ['uintptr_t', 'uintptr_t', 'void *', 'uint32', 'uint32']);
  const sendMail = fn('MAPISendMail', 'uint32', ['uintptr_t', 'uintptr_t', 'void *', 'uint32', 'uint32']);
  const sendMailW = optionalFn('MAPISendMailW', 'uint32', ['uintptr_t', 'uintptr_t', 'void *', 'uint32', 'uint32']);

  /** Runs `call` with an arena whose memory lives exactly as long as the call. */
  const withArena = <T>(call: (arena: Arena) => T): T => {
    const arena = new Arena(koffi);
    try {
      return call(arena);
    } finally {
      arena.free();
    }
  };

  const send =
    (encoding: StringEncoding, call: Fn) =>
    (session: number, uiParam: number, message: SimpleMapiMessage, flags: number) =>
      withArena((arena) => Number(call(session, uiParam, encodeMessage(koffi, arena, message, encoding), flags, 0)));

  return {
    MAPILogon(uiParam, profile, password, flags) {
      return withArena((arena) => {
        const session = [0];
        const rc = Number(logon(uiParam, arena.string(profile, ansi), arena.string(password, ansi), flags, 0, session));
        return { rc, session: Number(session[0]) };
      });
    },
    MAPILogoff(session, uiParam, flags) {
      return Number(logoff(session, uiParam, flags, 0));
    },
    MAPIFindNext(session, uiParam, messageType, seed, flags) {
      return withArena((arena) => {
        const out = arena.alloc('uint8_t', MESSAGE_ID_BUFFER_CHARS);
        koffi.encode(out, 0, 'uint8_t', 0);
        const rc = Number(
          findNext(session, uiParam, arena.string(messageType, ansi), arena.string(seed, ansi), flags, 0, out),
        );
        return { rc, messageId: rc === 0 ? (decodeString(koffi, out, ansi) ?? '') : '' };
      });
    },
    MAPIReadMail(session, uiParam, messageId, flags) {
      return withArena((arena) => {
        const out: unknown[] = [null];
        const rc = Number(readMail(session, uiParam, arena.string(messageId, ansi), flags, 0, out));
        if (rc !== 0 || !out[0]) return { rc, message: null, buffer: null };
        return { rc, message: decodeMessage(koffi, out[0], ansi), buffer: out[0] };
      });
    },
    MAPIFreeBuffer(buffer) {
      return buffer ? Number(freeBuffer(buffer)) : 0;
    },
    MAPIDeleteMail(session, uiParam, messageId, flags) {
      return withArena((arena) => Number(deleteMail(session, uiParam, arena.string(messageId, ansi), flags, 0)));
    },
    MAPISendMail: send(ansi, sendMail),
    ...(sendMailW ? { MAPISendMailW: send(wide, sendMailW) } : {}),
  };
}
