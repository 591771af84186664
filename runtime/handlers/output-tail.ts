/**
 * Keeps the last bytes of a stream: a handler may print megabytes, the journal and logs want the end of it.
 *
 * @module
 */

/**
 * The last `max` bytes written to it (the end of a handler's output is where its error usually is).
 *
 * @example
 * ```ts
 * const tail = new OutputTail(16_384);
 * child.stderr.on('data', (chunk) => tail.push(chunk));
 * // later: tail.text(), tail.truncated
 * ```
 */
export class OutputTail {
  readonly #max: number;
  readonly #chunks: Buffer[] = [];
  #size = 0;
  #dropped = 0;

  constructor(max: number) {
    this.#max = max;
  }

  /** Whether earlier output was dropped. */
  get truncated(): boolean {
    return this.#dropped > 0 || this.#size > this.#max;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    // Drop whole chunks from the front while the rest still holds `max` bytes; the final cut happens in text().
    while (this.#chunks.length > 1 && this.#size - this.#chunks[0]!.length >= this.#max) {
      const first = this.#chunks.shift()!;
      this.#size -= first.length;
      this.#dropped += first.length;
    }
  }

  /** The kept bytes as UTF-8 (a character cut at the front becomes U+FFFD and is removed). */
  text(): string {
    const all = Buffer.concat(this.#chunks);
    const cut = all.length > this.#max ? all.subarray(all.length - this.#max) : all;
    const text = cut.toString('utf8');
    return this.truncated ? text.replace(/^\uFFFD+/, '') : text;
  }
}
