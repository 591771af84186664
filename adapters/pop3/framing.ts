/**
 * The POP3 response framing of RFC 1939 §3, as a pure byte decoder: status lines, and multi-line bodies ended by a
 * line holding only `.`, with dot-stuffing undone.
 *
 * It exists because node-pop3 0.11.0 frames per socket read (NOTES.md): it looks for `\r\n.\r\n` only inside one
 * chunk (so a terminator split across two TLS records hangs RETR), cuts the message's final CRLF, and leaves
 * stuffed dots in. This decoder keeps state across chunks, so any split of the input gives the same output.
 *
 * @module
 */

/**
 * Longest status line accepted (RFC 2449 §4 allows 512 octets; servers' texts are far shorter).
 *
 * @example
 * ```ts
 * if (line.length > MAX_STATUS_LINE) throw new Pop3FramingError('status line too long');
 * ```
 */
export const MAX_STATUS_LINE = 8 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const EMPTY = Buffer.alloc(0);

/**
 * What the decoder reports, in stream order. `status` returns whether a multi-line body follows that line (only
 * the caller knows: it depends on the command sent and on `+OK` vs `-ERR`).
 *
 * @example
 * ```ts
 * const events: Pop3FrameEvents = {
 *   status: (line) => line.startsWith('+OK') && expectingBody,
 *   body: (bytes) => chunks.push(bytes),
 *   end: () => finish(Buffer.concat(chunks)),
 * };
 * ```
 */
export interface Pop3FrameEvents {
  /** A status line without its line ending (`+OK ...`, `-ERR ...`, `+ <base64>`). */
  status(line: string): boolean;
  /** Unstuffed body bytes, line endings kept: the concatenation of all calls is the body byte for byte. */
  body(bytes: Buffer): void;
  /** The terminating `.` line was read; the next bytes are a new status line. */
  end(): void;
}

/**
 * Thrown by {@link Pop3ResponseDecoder.push} when the server sends something no POP3 server sends.
 *
 * @example
 * ```ts
 * try { decoder.push(chunk); } catch (e) { if (e instanceof Pop3FramingError) socket.destroy(); }
 * ```
 */
export class Pop3FramingError extends Error {
  override readonly name = 'Pop3FramingError';
}

/**
 * Incremental decoder of a POP3 server's byte stream. Feed it every chunk in order; it calls {@link Pop3FrameEvents}
 * synchronously. Bytes of a body line are passed on as soon as they arrive (no per-message buffering); only the
 * first two bytes of a line that starts with `.` and a partial status line are held back until the next chunk.
 *
 * @example
 * ```ts
 * const decoder = new Pop3ResponseDecoder(events);
 * socket.on('data', (chunk) => decoder.push(chunk));
 * ```
 */
export class Pop3ResponseDecoder {
  readonly #events: Pop3FrameEvents;
  #inBody = false;
  /** Whether the next body byte starts a line (where `.` means stuffing or the terminator). */
  #atLineStart = true;
  /** Bytes that cannot be decided yet: a partial status line, or `.`/`.\r` at the start of a body line. */
  #held: Buffer = EMPTY;

  constructor(events: Pop3FrameEvents) {
    this.#events = events;
  }

  /** Whether a multi-line body is being read (its terminator has not arrived yet). */
  get inBody(): boolean {
    return this.#inBody;
  }

  /**
   * Octets received but not decided yet (a partial status line, or a line-initial `.` that may end a body). After
   * `+OK` to STLS it must be 0: bytes sent before the TLS handshake would otherwise be read as if they were secure.
   */
  get buffered(): number {
    return this.#held.length;
  }

  /** Decodes one chunk. Throws {@link Pop3FramingError} on an overlong status line. */
  push(chunk: Buffer): void {
    const data = this.#held.length > 0 ? Buffer.concat([this.#held, chunk]) : chunk;
    this.#held = EMPTY;
    let pos = 0;
    while (pos < data.length) {
      pos = this.#inBody ? this.#readBody(data, pos) : this.#readStatus(data, pos);
      if (pos < 0) return;
    }
  }

  /** Reads one status line from `pos`; returns where decoding continues, or -1 when the rest was held. */
  #readStatus(data: Buffer, pos: number): number {
    const lf = data.indexOf(LF, pos);
    if (lf < 0) {
      if (data.length - pos > MAX_STATUS_LINE) {
        throw new Pop3FramingError(`status line longer than ${MAX_STATUS_LINE} octets`);
      }
      this.#held = Buffer.from(data.subarray(pos));
      return -1;
    }
    if (lf - pos > MAX_STATUS_LINE) throw new Pop3FramingError(`status line longer than ${MAX_STATUS_LINE} octets`);
    const end = lf > pos && data[lf - 1] === CR ? lf - 1 : lf;
    const line = data.toString('utf8', pos, end);
    if (this.#events.status(line)) {
      this.#inBody = true;
      this.#atLineStart = true;
    }
    return lf + 1;
  }

  /**
   * Reads body bytes from `pos` until the terminator or the end of the chunk. Returns where decoding continues
   * (after the terminator), `data.length` when the chunk was used up, or -1 when bytes were held back.
   */
  #readBody(data: Buffer, pos: number): number {
    let segmentStart = pos;
    while (pos < data.length) {
      if (this.#atLineStart) {
        this.#atLineStart = false;
        if (data[pos] === DOT) {
          const terminatorLength = this.#terminatorAt(data, pos);
          if (terminatorLength === undefined) {
            // `.` or `.\r` at the end of the chunk: stuffed dot or terminator, the next chunk tells.
            this.#emit(data, segmentStart, pos);
            this.#held = Buffer.from(data.subarray(pos));
            this.#atLineStart = true;
            return -1;
          }
          if (terminatorLength > 0) {
            this.#emit(data, segmentStart, pos);
            this.#inBody = false;
            this.#atLineStart = true;
            this.#events.end();
            return pos + terminatorLength;
          }
          // A stuffed dot (RFC 1939 §3): drop it, keep the rest of the line.
          this.#emit(data, segmentStart, pos);
          pos += 1;
          segmentStart = pos;
        }
      }
      const lf = data.indexOf(LF, pos);
      if (lf < 0) {
        pos = data.length;
        break;
      }
      pos = lf + 1;
      this.#atLineStart = true;
    }
    this.#emit(data, segmentStart, pos);
    return pos;
  }

  /**
   * At a line-initial `.`: the terminator's length (`.\r\n` → 3, `.\n` → 2), 0 for a stuffed dot, or `undefined`
   * when the chunk ends before that can be told.
   */
  #terminatorAt(data: Buffer, pos: number): number | undefined {
    const next = data[pos + 1];
    if (next === undefined) return undefined;
    if (next === LF) return 2;
    if (next !== CR) return 0;
    const after = data[pos + 2];
    if (after === undefined) return undefined;
    return after === LF ? 3 : 0;
  }

  #emit(data: Buffer, start: number, end: number): void {
    if (end > start) this.#events.body(data.subarray(start, end));
  }
}
