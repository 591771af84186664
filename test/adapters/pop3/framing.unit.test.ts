/**
 * The POP3 response decoder, fed byte arrays split at every possible point. Pins node-pop3 0.11.0's framing
 * defects (NOTES.md): (1) the terminator split across reads, (2) the message's final CRLF dropped, (3) stuffed dots
 * left in.
 */
import { describe, expect, it } from 'vitest';
import { MAX_STATUS_LINE, Pop3FramingError, Pop3ResponseDecoder } from '../../../adapters/pop3/framing.js';

interface Frame {
  status: string;
  body: string | null;
}

/** Decodes `chunks`; every `+OK` line is followed by a body when `multiline` says so. */
function decode(chunks: Buffer[], multiline: (status: string) => boolean = (s) => s.startsWith('+OK')): Frame[] {
  const frames: Frame[] = [];
  let body: Buffer[] | null = null;
  const decoder = new Pop3ResponseDecoder({
    status: (line) => {
      const hasBody = multiline(line);
      frames.push({ status: line, body: null });
      body = hasBody ? [] : null;
      return hasBody;
    },
    body: (bytes) => {
      body!.push(Buffer.from(bytes));
    },
    end: () => {
      frames.at(-1)!.body = Buffer.concat(body!).toString('latin1');
      body = null;
    },
  });
  for (const chunk of chunks) decoder.push(chunk);
  return frames;
}

/** Every way to cut `wire` into two reads, plus one byte per read. */
function splits(wire: string): Buffer[][] {
  const bytes = Buffer.from(wire, 'latin1');
  const result: Buffer[][] = [];
  for (let cut = 0; cut <= bytes.length; cut += 1) result.push([bytes.subarray(0, cut), bytes.subarray(cut)]);
  result.push([...bytes].map((b) => Buffer.from([b])));
  return result;
}

describe('Pop3ResponseDecoder', () => {
  it('finds the terminator wherever the reads split it (node-pop3 defect 1: RETR hung over TLS)', () => {
    const wire = '+OK 12 octets\r\nSubject: x\r\n\r\nbody\r\n.\r\n+OK next\r\n';
    for (const chunks of splits(wire)) {
      expect(decode(chunks, (s) => s === '+OK 12 octets')).toEqual([
        { status: '+OK 12 octets', body: 'Subject: x\r\n\r\nbody\r\n' },
        { status: '+OK next', body: null },
      ]);
    }
  });

  it("keeps the message's final CRLF (node-pop3 defect 2)", () => {
    for (const chunks of splits('+OK\r\nA: b\r\n\r\nlast line\r\n.\r\n')) {
      expect(decode(chunks)[0]!.body!.endsWith('last line\r\n')).toBe(true);
    }
  });

  it('undoes dot-stuffing at every line start, and only there (node-pop3 defect 3)', () => {
    const wire = '+OK\r\n..leading dot\r\n...two dots\r\nmid.dle\r\n..\r\n.\r\n';
    for (const chunks of splits(wire)) {
      expect(decode(chunks)[0]!.body).toBe('.leading dot\r\n..two dots\r\nmid.dle\r\n.\r\n');
    }
  });

  it('reads an empty body, a body that is only a stuffed dot line, and bare-LF endings', () => {
    for (const chunks of splits('+OK\r\n.\r\n+OK\r\n..\r\n.\r\n+OK\n..x\n.\n')) {
      expect(decode(chunks).map((f) => f.body)).toEqual(['', '.\r\n', '.x\n']);
    }
  });

  it('does not take "\\r\\n.\\r\\n" inside a line sequence for the end unless the dot starts a line', () => {
    for (const chunks of splits('+OK\r\nx.\r\n.y\r\n.\r\n')) {
      expect(decode(chunks)[0]!.body).toBe('x.\r\ny\r\n');
    }
  });

  it('passes -ERR and SASL continuation lines as status lines without a body', () => {
    const frames = decode([Buffer.from('-ERR [IN-USE] locked\r\n+ eyJzdGF0dXMiOiI0MDEifQ==\r\n')]);
    expect(frames).toEqual([
      { status: '-ERR [IN-USE] locked', body: null },
      { status: '+ eyJzdGF0dXMiOiI0MDEifQ==', body: null },
    ]);
  });

  it('keeps 8-bit bytes of a body exactly', () => {
    const body = Buffer.from([0xc3, 0xa4, 0x0d, 0x0a, 0xff, 0x00, 0x0d, 0x0a]);
    const wire = Buffer.concat([Buffer.from('+OK\r\n'), body, Buffer.from('.\r\n')]);
    const received: Buffer[] = [];
    const decoder = new Pop3ResponseDecoder({
      status: () => true,
      body: (b) => received.push(Buffer.from(b)),
      end: () => {},
    });
    for (const byte of wire) decoder.push(Buffer.from([byte]));
    expect(Buffer.concat(received).equals(body)).toBe(true);
  });

  it('refuses an endless status line instead of buffering without bound', () => {
    const decoder = new Pop3ResponseDecoder({ status: () => false, body: () => {}, end: () => {} });
    expect(() => decoder.push(Buffer.alloc(MAX_STATUS_LINE + 2, 0x41))).toThrow(Pop3FramingError);
  });
});
