/**
 * The Simple MAPI C structures through koffi, in memory: the layout Windows expects (ULONG is 32 bit even where C's
 * long is 64 bit) and a round trip of MapiMessage in the ANSI code page and in UTF-16 (MAPISendMailW). Only the
 * MAPI32.DLL calls themselves need Windows.
 */
import koffi from 'koffi';
import { describe, expect, it } from 'vitest';
import type { SimpleMapiMessage } from '../../../adapters/mapi-simple/api.js';
import {
  Arena,
  decodeMessage,
  encodeMessage,
  type KoffiLike,
  mapiTypes,
} from '../../../adapters/mapi-simple/mapi-structs.js';

const k = koffi as unknown as KoffiLike;
const pointerSize = koffi.sizeof('void *');

const message: SimpleMapiMessage = {
  subject: 'Grüße',
  noteText: 'Zeile 1\r\nZeile 2',
  messageType: 'IPM.Note',
  dateReceived: '2024/01/02 03:04',
  conversationId: null,
  flags: 1,
  originator: { recipClass: 0, name: 'Ada', address: 'SMTP:ada@example.test' },
  recips: [
    { recipClass: 1, name: 'Bob', address: 'SMTP:bob@example.test' },
    { recipClass: 2, name: 'Cy', address: null },
  ],
  files: [{ pathName: 'C:\\Temp\\1.tmp', fileName: 'Bericht.pdf' }],
};

describe('Simple MAPI structures (koffi)', () => {
  it('have the Windows layout: 32-bit ULONG/FLAGS, pointer-sized pointers', () => {
    const types = mapiTypes(k);
    if (pointerSize === 8) {
      expect(k.sizeof(types.MapiMessage)).toBe(96);
      expect(k.offsetof(types.MapiMessage, 'flFlags')).toBe(48);
      expect(k.offsetof(types.MapiMessage, 'lpFiles')).toBe(88);
      expect(k.sizeof(types.MapiRecipDesc)).toBe(40);
      expect(k.sizeof(types.MapiFileDesc)).toBe(40);
    } else {
      expect(k.sizeof(types.MapiMessage)).toBe(48);
      expect(k.sizeof(types.MapiRecipDesc)).toBe(24);
    }
  });

  it('round-trip a MapiMessage in the ANSI code page (windows-1252) and in UTF-16', () => {
    for (const encoding of [
      { wide: false, codePage: 1252 },
      { wide: true, codePage: 1252 },
    ]) {
      const arena = new Arena(k);
      try {
        expect(decodeMessage(k, encodeMessage(k, arena, message, encoding), encoding)).toEqual(message);
      } finally {
        arena.free();
      }
    }
  });
});
